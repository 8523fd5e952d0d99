/** Worker for test/input.test.ts: drains a PortSource and reports what it saw. */
import { createHash } from 'node:crypto';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { PortSource, setProgress, CTL_CONSUMED, CTL_POSTED } from '../src/input/channel.ts';
import { RdbError } from '../src/types.ts';

const { port, control, stopAfter, delayEvery } = workerData as {
  port: MessagePort;
  control: SharedArrayBuffer;
  /** Close the source after this many chunks. */
  stopAfter?: number;
  /** Sleep 5 ms every this many chunks (a slow consumer, to exercise backpressure). */
  delayEvery?: number;
};

const src = new PortSource(port, control, 'worker-input');
const ctl = new Int32Array(control, 0, 4);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const hash = createHash('sha256');
let bytes = 0;
let chunks = 0;
let maxInFlight = 0;
try {
  for (;;) {
    // Messages posted and not consumed yet. CONSUMED only moves in this thread, so read it
    // first; the main side may post only while POSTED − CONSUMED < maxInFlight.
    const consumed = Atomics.load(ctl, CTL_CONSUMED);
    maxInFlight = Math.max(maxInFlight, Atomics.load(ctl, CTL_POSTED) - consumed);
    const c = src.next();
    if (c === null) break;
    hash.update(c);
    bytes += c.length;
    chunks++;
    setProgress(control, bytes, chunks);
    if (delayEvery && chunks % delayEvery === 0) Atomics.wait(sleeper, 0, 0, 5);
    if (stopAfter !== undefined && chunks >= stopAfter) {
      src.close();
      break;
    }
  }
  parentPort!.postMessage({ ok: true, bytes, chunks, hash: hash.digest('hex'), maxInFlight, srcBytes: src.bytes });
} catch (e) {
  const err = e as Error;
  parentPort!.postMessage({
    ok: false,
    isRdbError: e instanceof RdbError,
    name: err.name,
    message: err.message,
    offset: e instanceof RdbError ? e.offset : undefined,
    bytes,
  });
}
