/**
 * Parse worker: runs one job (one file) synchronously, off the main thread, so the main
 * thread stays free for input decompression and a live progress display.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { fileSource, type ChunkSource } from '../input/source.ts';
import { PortSource, setProgress } from '../input/channel.ts';
import { Scan } from '../scan.ts';
import { RdbError } from '../types.ts';
import { versionFromOption } from '../format/version.ts';
import { LineWriter } from '../report/write.ts';
import { makeHandler } from './handlers.ts';
import type { Job, JobError, JobResult } from './job.ts';

interface WorkerInput {
  job: Job;
  port: MessagePort | null;
  control: SharedArrayBuffer;
}

function run({ job, port, control }: WorkerInput): JobResult {
  const src: ChunkSource = job.path !== null ? fileSource(job.path) : new PortSource(port!, control, job.file);
  const out = job.outFd >= 0 ? new LineWriter(job.outFd, false) : null;
  const handler = makeHandler(job, out);
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
  const base = () => ({ info: scan.parser.info, keys: scan.parser.keys, bytes: scan.parser.offset, complete: scan.parser.complete, modelVersion: scan.model?.v ?? 0, allocator: job.memory?.allocator ?? null });
  try {
    const result = scan.run();
    setProgress(control, scan.parser.offset, n);
    return { ok: true, ...base(), instance: result.instance, report: handler.finish(result.info, result.instance, null) };
  } catch (e) {
    const error = jobError(e);
    return { ok: false, error, ...base(), instance: scan.instanceSoFar(), report: handler.finish(scan.parser.info, scan.instanceSoFar(), error) };
  }
}

const input = workerData as WorkerInput;
let result: JobResult;
try {
  result = run(input);
} catch (e) {
  // Failures before the parse started (unreadable file, bad options).
  result = { ok: false, error: jobError(e), info: null as never, keys: 0, bytes: 0, modelVersion: 0, allocator: null, instance: null };
}
parentPort!.postMessage(result);

function jobError(e: unknown): JobError {
  if (e instanceof RdbError) return { kind: 'input', message: e.message, offset: e.offset, expected: e.expected };
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EPIPE') return { kind: 'pipe', message: 'output closed' };
  const message = e instanceof Error ? e.message : String(e);
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return { kind: 'input', message: `${input.job.file}: cannot read: ${message}` };
  return { kind: 'internal', message, stack: e instanceof Error ? e.stack : undefined };
}
