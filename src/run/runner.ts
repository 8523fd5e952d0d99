/**
 * Main-thread side of a parse: detects the input format, starts a parse worker, feeds it
 * decompressed chunks when the input is not a plain file (plain files the worker reads
 * itself), reports progress, and returns the worker's result.
 */
import { MessageChannel, type TransferListItem, type Worker } from 'node:worker_threads';
import { peek } from '../input/peek.ts';
import { openInput, type Input } from '../input/decompress.ts';
import { createControl, pumpToRing, readProgress, cancelChannel, INPUT_RING_BYTES } from '../input/channel.ts';
import { RdbError } from '../core/types.ts';
import { crcOfFile } from '../input/crc-file.ts';
import { spawnWorker } from './spawn.ts';
import { abortRing, createRing } from './record-ring.ts';
import type { ConsumerResult } from './consumer.ts';
import { failedResult, type Job, type JobError, type JobResult } from './job.ts';

export interface Progress {
  file: string;
  /** Bytes of the input file read so far (compressed bytes for compressed input). */
  bytes: number;
  /** Size of the input file when known. */
  total: number | null;
  keys: number;
}

export interface RunOptions {
  onProgress?: (p: Progress) => void;
}

const here = import.meta.url;

/**
 * Young generation of the workers (MB). They allocate little that lives: a small one keeps
 * their heaps (and the process' peak RSS) small at no measurable cost in speed. The split
 * workers of keys/analyze take the smaller size; a validating parse (check, dump) promotes
 * more at that size and peaks higher, so it takes the larger one (BENCHMARKS.md has the figures).
 */
const YOUNG_SPLIT_MB = 2;
const YOUNG_MB = 4;
/**
 * Old generation of a consumer writing Parquet (MB): its row groups are garbage soon after, and
 * without a cap V8 let the heap grow with the run (mixed-1g: peak RSS 152 MB, 110 MB capped;
 * the aggregation's own data stays far below it).
 */
const PARQUET_OLD_MB = 128;

function startWorker(name: 'worker' | 'consumer', workerData: unknown, transferList: TransferListItem[], youngMb: number, oldMb?: number): Worker {
  return spawnWorker(here, name, { workerData, transferList, resourceLimits: { maxYoungGenerationSizeMb: youngMb, ...(oldMb ? { maxOldGenerationSizeMb: oldMb } : {}) } });
}

/** The one message a worker posts, or `failed(...)` when it dies without one. */
function outcome<T>(worker: Worker, failed: (message: string, stack?: string) => T): Promise<T> {
  return new Promise<T>((resolve) => {
    let done = false;
    worker.once('message', (m: T) => {
      done = true;
      resolve(m);
    });
    worker.once('error', (e) => {
      done = true;
      resolve(failed(e.message, e.stack));
    });
    worker.once('exit', (code) => {
      if (!done) resolve(failed(`worker exited with code ${code}`));
    });
  });
}

/** Run one job over one input (`-` = stdin). Never rejects for bad input: see `result.ok`. */
export async function runJob(input: string, job: Omit<Job, 'path' | 'file'>, opts: RunOptions = {}): Promise<JobResult> {
  const file = input === '-' ? '<stdin>' : input;
  let source: Input | null = null;
  let size: number | null = null;
  try {
    const p = peek(input);
    size = p?.size ?? null;
    if (!p || p.format !== 'rdb') {
      source = await openInput(input);
      size = source.compressedSize;
    }
  } catch (e) {
    return inputFailure(file, e);
  }
  // The input ring only carries decompressed input; plain files are read by the worker itself.
  const control = createControl(source ? INPUT_RING_BYTES : 0);
  // keys and analyze split the work: this worker parses, a consumer aggregates and writes rows.
  const split = job.kind === 'keys' || job.kind === 'analyze';
  const ring = split ? createRing() : null;
  // A plain file's CRC is computed here while the worker parses (a core each), except when
  // the consumer both aggregates and writes rows: then it is the busiest thread, the parse
  // worker waits on it much of the time and computes the CRC in that time instead, which
  // leaves the consumer a core of its own.
  const busyConsumer = job.kind === 'analyze' && job.rows !== null;
  const deferChecksum = !source && !busyConsumer && size !== null && size >= 8;
  const full: Job = { ...job, file, path: source ? null : input, deferChecksum };
  const crcGuess = deferChecksum ? crcOfFile(input, size! - 8) : null;
  // Decompressed input: chunks go through the input ring, errors over this channel.
  const ch = source ? new MessageChannel() : null;
  const young = split ? YOUNG_SPLIT_MB : YOUNG_MB;
  const worker = startWorker('worker', { job: full, port: ch?.port2 ?? null, control, ring }, ch ? [ch.port2] : [], young);
  const consumer = ring ? startWorker('consumer', { job: full, ring }, [], young, job.rows === 'parquet' ? PARQUET_OLD_MB : undefined) : null;
  const pump = source && ch ? pumpToRing(source.fill ?? source.chunks, control, ch.port1) : null;
  const timer = opts.onProgress
    ? setInterval(() => {
        const p = readProgress(control);
        opts.onProgress!({ file, bytes: source ? source.bytesRead() : p.bytes, total: size, keys: p.keys });
      }, 200)
    : null;
  try {
    const parsed = outcome<JobResult>(worker, (message, stack) => failedResult({ kind: 'internal', message: `parse ${message}`, stack }));
    const consumed = consumer
      ? outcome<ConsumerResult>(consumer, (message, stack) => {
          // A consumer that died without a word cannot release the ring: stop the parser.
          abortRing(ring!);
          return { ok: false, error: { kind: 'internal', message: `consumer ${message}`, stack }, aborted: false };
        })
      : null;
    const result = await parsed;
    // Everything the parser wrote is published: the consumer reads it and stops.
    if (ring) abortRing(ring);
    if (consumed) merge(result, await consumed);
    cancelChannel(control);
    await pump;
    ch?.port1.close();
    if (crcGuess) await verifyDeferred(result, input, size! - 8, crcGuess, job.kind === 'info');
    return result;
  } finally {
    if (timer) clearInterval(timer);
    await worker.terminate();
    await consumer?.terminate();
    await source?.close();
  }
}

/** The consumer's report joins the parse result; its failure (unless caused by the parse's) wins. */
function merge(result: JobResult, consumed: ConsumerResult): void {
  if (consumed.ok) {
    result.report = consumed.report;
  } else if (!consumed.aborted) {
    result.ok = false;
    result.error = consumed.error;
  }
}

/** Settle a 'pending' checksum with the CRC this thread computed (or recompute for odd layouts). */
async function verifyDeferred(result: JobResult, path: string, guessEnd: number, guess: Promise<string>, recordOnly: boolean): Promise<void> {
  const computed = await guess.catch(() => null);
  const info = result.info;
  if (!info || info.checksum !== 'pending') return;
  info.computedChecksum = info.crcEnd === guessEnd && computed !== null ? computed : await crcOfFile(path, info.crcEnd);
  info.checksum = info.computedChecksum === info.storedChecksum ? 'ok' : 'mismatch';
  // The worker's report was made before this verdict: carry it into its file section.
  const report = result.report as { files?: { checksum: string }[] } | undefined;
  for (const f of report?.files ?? []) if (f.checksum === 'pending') f.checksum = info.checksum;
  if (info.checksum === 'ok') return;
  if (recordOnly || !result.ok) return;
  result.ok = false;
  // `expected` is the text after `offset N: `, as in RdbError (analyze --partial quotes it).
  const expected = `checksum ${info.computedChecksum} (CRC-64 of the bytes before it), found ${info.storedChecksum}`;
  result.error = {
    kind: 'input',
    message: `${path}: offset ${info.crcEnd}: ${expected}`,
    offset: info.crcEnd,
    expected,
  };
}

function inputFailure(file: string, e: unknown): JobResult {
  const code = (e as NodeJS.ErrnoException).code;
  const error: JobError = e instanceof RdbError
    ? { kind: 'input', message: e.file ? e.message : `${file}: ${e.message}`, offset: e.offset, expected: e.expected }
    : code === 'ENOENT'
      ? { kind: 'input', message: `${file}: cannot read: no such file` }
      : code === 'EACCES' || code === 'EISDIR'
        ? { kind: 'input', message: `${file}: cannot read: ${(e as Error).message}` }
        : { kind: 'internal', message: `${file}: ${e instanceof Error ? e.message : String(e)}`, stack: (e as Error).stack };
  return failedResult(error);
}
