/**
 * Consumer worker of a split job (keys, analyze): takes the parse worker's records off the
 * record ring and runs the command's handler on them (aggregation, per-key rows), so parsing
 * and reporting use two cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { newKeyRecord } from '../format/parser.ts';
import { makeHandler, type ParquetModule } from './handlers.ts';
import { abortRing, RingAborted, RingReader } from './record-ring.ts';
import { toJobError, type Job, type JobError } from './job.ts';
import type { Report } from '../analyze/schema.ts';

export type ConsumerResult = { ok: true; report: Report | undefined } | { ok: false; error: JobError; aborted: boolean };

function run(job: Job, ring: SharedArrayBuffer, parquet: ParquetModule | null): ConsumerResult {
  try {
    const handler = makeHandler(job, parquet);
    const reader = new RingReader(ring);
    const rec = newKeyRecord();
    const onKey = handler.onKey;
    for (;;) {
      const item = reader.next(rec);
      if (item === 'key') onKey(rec);
      else if (item === 'info') handler.onHeader?.(reader.info!);
      else break;
    }
    const end = reader.ended!;
    return { ok: true, report: handler.finish(end.info, end.instance, end.error) };
  } catch (e) {
    abortRing(ring);
    // Aborted: the parse side failed first, and its error is the one to report.
    return { ok: false, error: toJobError(e, job.file), aborted: e instanceof RingAborted };
  }
}

const input = workerData as { job: Job; ring: SharedArrayBuffer };
// The Parquet writer is loaded only by the runs that write Parquet.
const parquet: ParquetModule | null = input.job.rows === 'parquet' ? await import('../report/keys-parquet.ts') : null;
parentPort!.postMessage(run(input.job, input.ring, parquet));
