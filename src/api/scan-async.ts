/**
 * scanFile / scanStream: any input (plain, gzip, LZ4, zstd; a path, a Node Readable or an
 * async iterable of bytes) parsed in a worker thread, with the caller's event loop free. The
 * input is read and decompressed here, only as fast as the parse takes it (through a 2 MiB
 * ring, src/input/channel.ts), and key records come back in batches the parse never runs
 * more than a few ahead of: memory stays bounded whatever the input's size.
 */
import { MessageChannel } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import { openInput, openStream, type Input } from '../input/decompress.ts';
import { cancelChannel, createControl, pumpToRing, INPUT_RING_BYTES } from '../input/channel.ts';
import { newKeyRecord } from '../format/parser.ts';
import { versionFromOption } from '../format/version.ts';
import { peek } from '../input/peek.ts';
import { spawnWorker } from '../run/spawn.ts';
import { RdbError, type KeyRecord } from '../core/types.ts';
import type { ScanBaseOptions, ScanResult } from '../scan.ts';
import { BatchReader } from './batch.ts';
import { CREDIT_DONE, CREDIT_STOP, type ScanWorkerData, type WireError, type WorkerMessage } from './protocol.ts';

export interface AsyncScanOptions extends ScanBaseOptions {
  /**
   * Every key, in file order, on the caller's thread. The record is reused for the next key:
   * copy what you keep. A returned promise is awaited before the next key (and the parse
   * waits for it); a throw or rejection fails the scan with that error.
   */
  onKey?: (rec: KeyRecord) => void | Promise<void>;
  /** Aborting stops the parse and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Scans the file at `path`, plain or compressed (detected from its first bytes, not its name). */
export async function scanFile(path: string, opts: AsyncScanOptions = {}): Promise<ScanResult> {
  checkOptions(opts);
  const p = peek(path);
  if (p?.format === 'rdb') return run(path, null, opts.file ?? path, opts);
  return run(null, await openInput(path), opts.file ?? path, opts);
}

/** Scans an RDB read from `source` (a Node Readable or an async iterable of byte chunks), plain or compressed. */
export async function scanStream(source: Readable | AsyncIterable<Uint8Array>, opts: AsyncScanOptions = {}): Promise<ScanResult> {
  checkOptions(opts);
  const name = opts.file ?? '<stream>';
  return run(null, await openStream(source as AsyncIterable<Uint8Array>, name), name, opts);
}

/** Option errors reject at once, not from inside the worker. */
function checkOptions(opts: AsyncScanOptions): void {
  const v = opts.memory ? opts.memory.version : null;
  if (typeof v === 'string' && !versionFromOption(v)) throw new RangeError(`memory.version: expected a version like 7.4 or valkey-8.1, got ${JSON.stringify(v)}`);
  opts.signal?.throwIfAborted();
}

type Event = WorkerMessage | { t: 'crash'; error: Error } | { t: 'abort' };

async function run(path: string | null, input: Input | null, file: string, opts: AsyncScanOptions): Promise<ScanResult> {
  const control = createControl(input ? INPUT_RING_BYTES : 0);
  const credits = new Int32Array(new SharedArrayBuffer(12));
  const ch = input ? new MessageChannel() : null;
  const data: ScanWorkerData = {
    file,
    path,
    control,
    port: ch?.port2 ?? null,
    credits: credits.buffer as SharedArrayBuffer,
    memory: opts.memory ?? {},
    validate: opts.validate ?? false,
    keys: opts.onKey !== undefined,
    checksumMismatch: opts.checksumMismatch ?? 'throw',
  };
  // A small young generation keeps the worker's heap small (as the CLI's, src/run/runner.ts).
  const worker = spawnWorker(import.meta.url, 'scan-worker', {
    workerData: data,
    transferList: ch ? [ch.port2] : [],
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  const pump = input && ch ? pumpToRing(input.fill ?? input.chunks, control, ch.port1) : null;

  const events: Event[] = [];
  let wake: (() => void) | null = null;
  const push = (e: Event) => {
    events.push(e);
    wake?.();
  };
  worker.on('message', (m: WorkerMessage) => push(m));
  worker.once('error', (error) => push({ t: 'crash', error }));
  worker.once('exit', (code) => push({ t: 'crash', error: new Error(`rdbscope: scan worker exited with code ${code}`) }));
  const onAbort = () => push({ t: 'abort' });
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const rec = newKeyRecord();
  const batches = new BatchReader();
  const onKey = opts.onKey;
  try {
    for (;;) {
      while (events.length === 0) await new Promise<void>((r) => (wake = r));
      const e = events.shift()!;
      switch (e.t) {
        case 'header':
          opts.onHeader?.(e.info);
          break;
        case 'keys':
          if (onKey) {
            batches.load(e.batch);
            const signal = opts.signal;
            while (batches.next(rec)) {
              const r = onKey(rec);
              if (r !== undefined) await r;
              // onKey itself may have aborted: no key after that.
              if (signal?.aborted) throw signal.reason;
            }
          }
          Atomics.add(credits, CREDIT_DONE, 1);
          Atomics.notify(credits, CREDIT_DONE);
          break;
        case 'done':
          return e.result;
        case 'failed':
          throw fromWire(e.error);
        case 'crash':
          throw e.error;
        case 'abort':
          throw opts.signal!.reason;
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    Atomics.store(credits, CREDIT_STOP, 1);
    Atomics.notify(credits, CREDIT_DONE);
    cancelChannel(control);
    await pump;
    ch?.port1.close();
    await worker.terminate();
    await input?.close();
  }
}

function fromWire(e: WireError): Error {
  if (e.rdb) return new RdbError(e.offset, e.expected, e.file);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.code) (err as NodeJS.ErrnoException).code = e.code;
  if (e.stack) err.stack = e.stack;
  return err;
}
