/** What the main thread asks a parse worker to do, and what comes back. */
import { RdbError, type FileInfo } from '../core/types.ts';
import type { AllocatorProfile } from '../memory/allocator.ts';
import type { InstanceEstimate } from '../memory/instance.ts';
import type { AnalyzeOptions } from '../analyze/aggregate.ts';
import type { Report } from '../analyze/schema.ts';

export type JobKind = 'dump' | 'info' | 'check' | 'keys' | 'analyze';

export interface KeyFilterSpec {
  dbs: number[] | null;
  types: string[] | null;
  match: string | null;
  minBytes: number;
}

export interface Job {
  kind: JobKind;
  /** Display name for messages. */
  file: string;
  /** Read this path directly (plain RDB files); null when chunks arrive over the port. */
  path: string | null;
  /** Output descriptor for streamed rows (dump, keys, analyze's keys.csv), or -1. */
  outFd: number;
  /** Per-key output format for `keys` and analyze's keys.csv / keys.parquet. */
  rows: 'csv' | 'jsonl' | 'parquet' | null;
  /** `--label name=value` pairs (Parquet rows carry them). */
  labels?: Record<string, string>;
  filter: KeyFilterSpec | null;
  memory: { allocator: AllocatorProfile; version: string | null } | null;
  /** Options for the analysis (analyze). */
  analyze: AnalyzeOptions | null;
  redact: boolean;
  /** The main thread verifies the CRC (plain files): the worker only reads the trailer. */
  deferChecksum?: boolean;
}

export interface JobError {
  message: string;
  /** input: the file is unreadable or defective (exit 2); internal: a bug (exit 1); pipe: the reader went away. */
  kind: 'input' | 'internal' | 'pipe';
  /** Set for input defects (RdbError); absent for internal errors. */
  offset?: number;
  expected?: string;
  stack?: string;
}

export interface JobResult {
  ok: boolean;
  error?: JobError;
  info: FileInfo;
  keys: number;
  /** Bytes of the (decompressed) RDB consumed. */
  bytes: number;
  /** Offset up to which every record was read completely (on failure: where the partial result ends). */
  complete?: number;
  modelVersion: number;
  allocator: AllocatorProfile | null;
  instance: InstanceEstimate | null;
  /** analyze: this file's aggregate (a report), also on failure for --partial. */
  report?: Report;
}

/** The result of a job that failed before it parsed anything. */
export function failedResult(error: JobError): JobResult {
  return { ok: false, error, info: null as never, keys: 0, bytes: 0, modelVersion: 0, allocator: null, instance: null };
}

/** A worker's exception as a JobError; `file` names the input in errors that carry no name. */
export function toJobError(e: unknown, file: string): JobError {
  if (e instanceof RdbError) return { kind: 'input', message: e.message, offset: e.offset, expected: e.expected };
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EPIPE') return { kind: 'pipe', message: 'output closed' };
  const message = e instanceof Error ? e.message : String(e);
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return { kind: 'input', message: `${file}: cannot read: ${message}` };
  return { kind: 'internal', message, stack: e instanceof Error ? e.stack : undefined };
}
