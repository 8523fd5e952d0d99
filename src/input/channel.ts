/**
 * Handing decompressed bytes from the main thread (async I/O, decompression) to a
 * synchronous parser running in a worker thread, through a byte ring in a SharedArrayBuffer:
 * no buffer per chunk changes hands, so nothing piles up in the worker waiting for a GC and
 * memory stays at the ring's size whatever the input.
 *
 * Main side: `pumpToRing(input.chunks, control, port)`. Worker side: `new RingSource(control,
 * port)` is a ChunkSource whose next() blocks (Atomics.wait) until bytes arrive. The shared
 * "control" block:
 *
 * | bytes   | view        | meaning                                                        |
 * |---------|-------------|----------------------------------------------------------------|
 * |  0..3   | Int32 [0]   | HEAD: ring position the main side has written up to            |
 * |  4..7   | Int32 [1]   | TAIL: ring position the worker has released up to              |
 * |  8..11  | Int32 [2]   | STATE: running, cancelled (either side gave up), ended, error  |
 * | 12..15  | Int32 [3]   | reserved (alignment)                                           |
 * | 16..23  | Float64 [2] | progress: input bytes parsed (written by the worker)           |
 * | 24..31  | Float64 [3] | progress: keys parsed (written by the worker)                  |
 * | 32..    | bytes       | the ring                                                       |
 *
 * HEAD == TAIL is empty; the writer leaves 8 bytes free so full never looks empty. A chunk
 * handed to the parser stays valid until the call after the following next() (the parser
 * stitches the rest of one chunk to the head of the next): next() releases only what lies
 * before the chunk it returned last. An error of the input is posted on the port as a
 * message before STATE turns to error, so the worker finds it there.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { RdbError } from '../core/types.ts';
import type { ChunkSource } from './source.ts';

const HEADER_BYTES = 32;
const HEAD = 0;
const TAIL = 1;
const STATE = 2;
/** Float64 index: bytes parsed. */
const PROGRESS_BYTES = 2;
/** Float64 index: keys parsed. */
const PROGRESS_KEYS = 3;

const RUNNING = 0;
const CANCELLED = 1;
const ENDED = 2;
const FAILED = 3;

/**
 * The input ring's size: room for the decompressor to run ahead while the parser is slow, and
 * the other way round (BENCHMARKS.md has what 4 MiB bought over 2); it counts in the peak RSS.
 */
export const INPUT_RING_BYTES = 4 << 20;

/** Allocates a zeroed control block with a ring of `capacity` bytes (layout in the module comment). */
export function createControl(capacity = INPUT_RING_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + Math.max(64, capacity & ~7));
}

/** Worker side: publish parse progress (plain stores; readers may see one slot a step behind the other). */
export function setProgress(control: SharedArrayBuffer, bytes: number, keys: number): void {
  const f = new Float64Array(control, 0, 4);
  f[PROGRESS_BYTES] = bytes;
  f[PROGRESS_KEYS] = keys;
}

/** Main side: the latest progress the worker published. */
export function readProgress(control: SharedArrayBuffer): { bytes: number; keys: number } {
  const f = new Float64Array(control, 0, 4);
  return { bytes: f[PROGRESS_BYTES]!, keys: f[PROGRESS_KEYS]! };
}

/** Either side: mark the channel cancelled and wake the other side (a pending pump then stops). */
export function cancelChannel(control: SharedArrayBuffer): void {
  const ctl = new Int32Array(control, 0, 4);
  Atomics.compareExchange(ctl, STATE, RUNNING, CANCELLED);
  Atomics.notify(ctl, HEAD);
  Atomics.notify(ctl, TAIL);
}

/** The error message posted on the port before STATE turns to error. */
export interface ChannelError {
  message: string;
  offset?: number;
  expected?: string;
  file?: string;
}

export interface PumpResult {
  /** How the pump finished: wrote everything, passed an error on, or was cancelled. */
  outcome: 'end' | 'error' | 'cancelled';
  /** Bytes written to the ring. */
  bytes: number;
  /** The error the chunk iterable threw (passed to the worker unless the channel was cancelled). */
  error?: unknown;
}

type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };
type WaitAsyncFn = (arr: Int32Array, index: number, value: number, timeoutMs?: number) => WaitAsyncResult;
/** Node 20 has it; the typings in use do not declare it. */
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsyncFn }).waitAsync;

/** Resolves when ctl[index] may no longer equal `value` (or after timeoutMs). */
function waitChange(ctl: Int32Array, index: number, value: number, timeoutMs: number): Promise<unknown> | null {
  const r = waitAsync(ctl, index, value, timeoutMs);
  return r.async ? r.value : null;
}

/** Decodes the next bytes into `dst`, resolving with how many (0 at the end): Input.fill. */
export type Filler = (dst: Uint8Array) => Promise<number>;

/**
 * Chunks as a filler: each call copies as much of them as fits into `dst`, asking for the next
 * chunk only once the last one is used up. `close()` ends the iteration early.
 */
export function chunkFiller(chunks: AsyncIterable<Uint8Array>): { fill: Filler; close(): Promise<void> } {
  const it = chunks[Symbol.asyncIterator]();
  let left: Uint8Array = new Uint8Array(0);
  return {
    fill: async (dst) => {
      while (left.length === 0) {
        const c = await it.next();
        if (c.done) return 0;
        left = c.value;
      }
      const n = Math.min(dst.length, left.length);
      dst.set(n === left.length ? left : left.subarray(0, n));
      left = left.subarray(n);
      return n;
    },
    close: async () => {
      await it.return?.();
    },
  };
}

/**
 * Main side: has `source` write into the ring (a filler decodes straight into it; chunks are
 * copied in, chunkFiller), waiting (never blocking the event loop) while it is full, then marks
 * the end; if the source throws, posts the error on `port` (RdbError fields included) and marks
 * the channel failed, resolving with outcome 'error' — it never rejects for errors of the
 * source. Stops early, closing an iterable, when the channel is cancelled (cancelChannel, or
 * the worker's RingSource.close()).
 */
export async function pumpToRing(source: AsyncIterable<Uint8Array> | Filler, control: SharedArrayBuffer, port: MessagePort): Promise<PumpResult> {
  const { fill, close } = typeof source === 'function' ? { fill: source, close: null } : chunkFiller(source);
  const ctl = new Int32Array(control, 0, 4);
  const ring = new Uint8Array(control, HEADER_BYTES);
  const cap = ring.length;
  let head = Atomics.load(ctl, HEAD);
  let bytes = 0;
  const cancelled = () => Atomics.load(ctl, STATE) === CANCELLED;
  /** Free bytes (8 kept free); waits while there are none. -1 when cancelled. */
  const room = async (): Promise<number> => {
    for (;;) {
      if (cancelled()) return -1;
      const tail = Atomics.load(ctl, TAIL);
      const used = head >= tail ? head - tail : head + cap - tail;
      if (cap - 8 - used > 0) return cap - 8 - used;
      await waitChange(ctl, TAIL, tail, 250);
    }
  };
  try {
    for (;;) {
      const free = await room();
      if (free < 0) {
        await close?.();
        return { outcome: 'cancelled', bytes };
      }
      const n = await fill(ring.subarray(head, head + Math.min(free, cap - head)));
      if (n === 0) break;
      bytes += n;
      head = head + n === cap ? 0 : head + n;
      Atomics.store(ctl, HEAD, head);
      Atomics.notify(ctl, HEAD);
    }
  } catch (e) {
    if (cancelled()) return { outcome: 'cancelled', bytes, error: e };
    const msg: ChannelError =
      e instanceof RdbError
        ? { message: e.message, offset: e.offset, expected: e.expected, file: e.file }
        : { message: e instanceof Error ? e.message : String(e) };
    port.postMessage(msg);
    finish(ctl, FAILED);
    return { outcome: 'error', bytes, error: e };
  }
  if (!finish(ctl, ENDED)) return { outcome: 'cancelled', bytes };
  return { outcome: 'end', bytes };
}

/** Sets the final state unless the channel was cancelled first; wakes the worker. */
function finish(ctl: Int32Array, state: number): boolean {
  const ok = Atomics.compareExchange(ctl, STATE, RUNNING, state) === RUNNING;
  Atomics.notify(ctl, HEAD);
  return ok;
}

/** Largest chunk next() hands out: a quarter of the ring, so the writer always has room ahead. */
const maxChunk = (cap: number) => Math.max(8, cap >> 2);

/**
 * Worker side: a ChunkSource fed by pumpToRing. next() returns a view of the ring, blocking
 * the worker thread while nothing is there; the view stays valid until the call after the
 * following next(). An error passed on by the main side is thrown as an RdbError: the
 * original offset/reason when it was one, else `offset <bytes handed out so far>: cannot
 * read the input: <message>`.
 */
export class RingSource implements ChunkSource {
  /** Bytes handed out by next() so far. */
  bytes = 0;
  private done = false;
  private readonly ctl: Int32Array;
  private readonly ring: Uint8Array;
  private readonly limit: number;
  private pos = 0;
  /** Start of the chunk returned last: what lies before it may be overwritten. */
  private lastStart = -1;

  /** `file` names the input in errors that do not carry a name of their own. */
  constructor(
    control: SharedArrayBuffer,
    private readonly port: MessagePort,
    private readonly file = '',
  ) {
    this.ctl = new Int32Array(control, 0, 4);
    this.ring = new Uint8Array(control, HEADER_BYTES);
    this.limit = maxChunk(this.ring.length);
  }

  next(): Uint8Array | null {
    if (this.done) return null;
    const ctl = this.ctl;
    const cap = this.ring.length;
    if (this.lastStart >= 0) {
      Atomics.store(ctl, TAIL, this.lastStart);
      Atomics.notify(ctl, TAIL);
    }
    for (;;) {
      // STATE before HEAD: the main side sets the final state after its last write.
      const state = Atomics.load(ctl, STATE);
      const head = Atomics.load(ctl, HEAD);
      if (head !== this.pos) {
        const n = Math.min(head > this.pos ? head - this.pos : cap - this.pos, this.limit);
        const chunk = this.ring.subarray(this.pos, this.pos + n);
        this.lastStart = this.pos;
        this.pos = this.pos + n === cap ? 0 : this.pos + n;
        this.bytes += n;
        return chunk;
      }
      if (state === ENDED) {
        this.done = true;
        return null;
      }
      if (state === FAILED) {
        this.done = true;
        const m = this.errorMessage();
        if (m?.offset !== undefined && m.expected !== undefined) throw new RdbError(m.offset, m.expected, m.file || this.file);
        throw new RdbError(this.bytes, `cannot read the input: ${m?.message ?? 'unknown error'}`, this.file);
      }
      if (state === CANCELLED) {
        this.done = true;
        throw new RdbError(this.bytes, 'input cancelled before its end', this.file);
      }
      Atomics.wait(ctl, HEAD, head, 1000);
    }
  }

  /** The main side's error message (posted before STATE changed; allow it a moment to show). */
  private errorMessage(): ChannelError | undefined {
    for (let i = 0; i < 1000; i++) {
      const m = receiveMessageOnPort(this.port);
      if (m) return m.message as ChannelError;
      Atomics.wait(this.ctl, STATE, FAILED, 1);
    }
    return undefined;
  }

  /**
   * Stop consuming (e.g. the parser is done or failed before the end): cancels the channel
   * so a pump still running stops and releases its input. Idempotent.
   */
  close(): void {
    this.done = true;
    cancelChannel(this.ctl.buffer as SharedArrayBuffer);
  }
}
