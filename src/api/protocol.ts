/** What scanFile / scanStream and their parse worker say to each other. */
import type { FileInfo } from '../core/types.ts';
import type { MessagePort } from 'node:worker_threads';
import type { MemoryOptions, ScanResult } from '../scan.ts';
import type { RecordBatch } from './batch.ts';

export interface ScanWorkerData {
  /** Display name for messages. */
  file: string;
  /** A plain RDB file the worker reads itself; null when decompressed bytes arrive through `control`. */
  path: string | null;
  /** The input channel (src/input/channel.ts) and its error port when path is null. */
  control: SharedArrayBuffer;
  port: MessagePort | null;
  /** Int32 words: batches sent, batches done with, stop (see CREDIT_*). */
  credits: SharedArrayBuffer;
  memory: false | MemoryOptions;
  validate: boolean;
  /** Whether the caller takes key records at all (no onKey: none are sent). */
  keys: boolean;
  checksumMismatch: 'throw' | 'record';
}

export const CREDIT_SENT = 0;
export const CREDIT_DONE = 1;
export const CREDIT_STOP = 2;
/** Batches posted but not yet handed to onKey before the worker waits: bounds memory when onKey is slow. */
export const MAX_BATCHES_IN_FLIGHT = 4;

/** A failure, as it crosses the thread boundary. */
export type WireError =
  | { rdb: true; offset: number; expected: string; file: string }
  | { rdb: false; message: string; name: string; code?: string; stack?: string };

export type WorkerMessage =
  | { t: 'header'; info: FileInfo }
  | { t: 'keys'; batch: RecordBatch }
  | { t: 'done'; result: ScanResult }
  | { t: 'failed'; error: WireError };
