/**
 * Parse worker: runs one job (one file) synchronously, off the main thread, so the main
 * thread stays free for input decompression and a live progress display. With a record ring
 * (keys, analyze) it only parses and estimates; a consumer worker aggregates and writes rows.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { fileSource, type ChunkSource } from '../input/source.ts';
import { RingSource, setProgress } from '../input/channel.ts';
import { Scan } from '../scan.ts';
import { versionFromOption } from '../format/version.ts';
import { makeHandler, ringHandler } from './handlers.ts';
import { RingAborted, RingWriter } from './record-ring.ts';
import { failedResult, toJobError, type Job, type JobResult } from './job.ts';

interface WorkerInput {
  job: Job;
  port: MessagePort | null;
  control: SharedArrayBuffer;
  ring: SharedArrayBuffer | null;
}

function run({ job, port, control, ring }: WorkerInput): JobResult {
  const src: ChunkSource = job.path !== null ? fileSource(job.path) : new RingSource(control, port!, job.file);
  const handler = ring ? ringHandler(new RingWriter(ring)) : makeHandler(job);
  let n = 0;
  const onKey = handler.onKey;
  const scan: Scan = new Scan(src, {
    file: job.file,
    memory: job.memory ? { allocator: job.memory.allocator, version: job.memory.version ? versionFromOption(job.memory.version) : null } : false,
    values: job.kind === 'dump',
    validate: job.kind === 'check' || job.kind === 'dump',
    checksumMismatch: job.kind === 'info' ? 'record' : 'throw',
    deferChecksum: job.deferChecksum,
    visitor: handler.visitor,
    onHeader: handler.onHeader,
    onKey: (rec) => {
      onKey(rec);
      if ((++n & 4095) === 0) setProgress(control, scan.parser.offset, n);
    },
  });
  const base = () => ({ info: scan.parser.info, keys: scan.parser.keys, bytes: scan.parser.offset, complete: scan.parser.complete, modelVersion: scan.model?.release ?? 0, allocator: job.memory?.allocator ?? null });
  try {
    const result = scan.run();
    setProgress(control, scan.parser.offset, n);
    return { ok: true, ...base(), instance: result.instance, report: handler.finish(result.info, result.instance, null) };
  } catch (e) {
    const error = toJobError(e, job.file);
    // The consumer gave up (its own error is the one reported): nobody reads a finish.
    const report = e instanceof RingAborted ? undefined : handler.finish(scan.parser.info, scan.instanceSoFar(), error);
    return { ok: false, error, ...base(), instance: scan.instanceSoFar(), report };
  }
}

const input = workerData as WorkerInput;
let result: JobResult;
try {
  result = run(input);
} catch (e) {
  // Failures before the parse started (unreadable file, bad options).
  result = failedResult(toJobError(e, input.job.file));
}
parentPort!.postMessage(result);
