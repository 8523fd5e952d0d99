/** Worker for test/input.test.ts: drains a RingSource and reports what it saw. */
import { createHash } from 'node:crypto';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { RingSource, setProgress } from '../src/input/channel.ts';
import { RdbError } from '../src/core/types.ts';

const { port, control, stopAfter, delayEvery } = workerData as {
  port: MessagePort;
  control: SharedArrayBuffer;
  /** Close the source after this many chunks. */
  stopAfter?: number;
  /** Sleep 5 ms every this many chunks (a slow consumer, so the pump waits for room). */
  delayEvery?: number;
};

const src = new RingSource(control, port, 'worker-input');
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const hash = createHash('sha256');
let bytes = 0;
let chunks = 0;
try {
  let prev: Uint8Array | null = null;
  let prevCopy: Uint8Array | null = null;
  for (;;) {
    const c = src.next();
    // The chunk before stays valid until the call after this one (the parser relies on it).
    if (prev !== null) assertSame(prev, prevCopy!);
    if (c === null) break;
    hash.update(c);
    prev = c;
    prevCopy = Uint8Array.from(c);
    bytes += c.length;
    chunks++;
    setProgress(control, bytes, chunks);
    if (delayEvery && chunks % delayEvery === 0) Atomics.wait(sleeper, 0, 0, 5);
    if (stopAfter !== undefined && chunks >= stopAfter) {
      src.close();
      break;
    }
  }
  parentPort!.postMessage({ ok: true, bytes, chunks, hash: hash.digest('hex'), srcBytes: src.bytes });
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

function assertSame(a: Uint8Array, b: Uint8Array): void {
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) throw new Error('a chunk changed before the call after the following one');
}
