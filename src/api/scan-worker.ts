/**
 * The parse worker of scanFile / scanStream: runs the synchronous parser over a plain file or
 * the input channel, and posts the header, batches of key records and the result. It waits
 * while MAX_BATCHES_IN_FLIGHT batches are unread, so a slow onKey slows the parse instead of
 * queueing records.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fileSource, type ChunkSource } from '../input/source.ts';
import { RingSource } from '../input/channel.ts';
import { Scan } from '../scan.ts';
import { RdbError } from '../core/types.ts';
import { BatchWriter } from './batch.ts';
import { CREDIT_DONE, CREDIT_SENT, CREDIT_STOP, MAX_BATCHES_IN_FLIGHT, type ScanWorkerData, type WireError, type WorkerMessage } from './protocol.ts';

/** The caller gave up: nothing more to say. */
class Stopped extends Error {}

const data = workerData as ScanWorkerData;
const credits = new Int32Array(data.credits);
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);

const batches = new BatchWriter((batch, transfer) => {
  post({ t: 'keys', batch }, transfer);
  const sent = Atomics.add(credits, CREDIT_SENT, 1) + 1;
  for (;;) {
    if (Atomics.load(credits, CREDIT_STOP)) throw new Stopped();
    const done = Atomics.load(credits, CREDIT_DONE);
    if (sent - done <= MAX_BATCHES_IN_FLIGHT) return;
    // Timed, so a caller that went away without a word is noticed.
    Atomics.wait(credits, CREDIT_DONE, done, 100);
  }
});

function wire(e: unknown): WireError {
  if (e instanceof RdbError) return { rdb: true, offset: e.offset, expected: e.expected, file: e.file || data.file };
  const err = e instanceof Error ? e : new Error(String(e));
  return { rdb: false, message: err.message, name: err.name, code: (err as NodeJS.ErrnoException).code, stack: err.stack };
}

try {
  const src: ChunkSource = data.path !== null ? fileSource(data.path) : new RingSource(data.control, data.port!, data.file);
  const scan = new Scan(src, {
    file: data.file,
    memory: data.memory,
    validate: data.validate,
    checksumMismatch: data.checksumMismatch,
    onHeader: (info) => post({ t: 'header', info }),
    onKey: data.keys ? (rec) => batches.add(rec) : undefined,
  });
  const result = scan.run();
  batches.flush();
  post({ t: 'done', result });
} catch (e) {
  if (!(e instanceof Stopped)) {
    // The keys read completely before the failure still reach onKey, ahead of the error.
    try {
      batches.flush();
      post({ t: 'failed', error: wire(e) });
    } catch {
      /* stopped meanwhile */
    }
  }
}
