/**
 * Handing decompressed chunks from the main thread (async I/O, decompression) to a
 * synchronous parser running in a worker thread.
 *
 * Main side: `pumpToPort(input.chunks, port, control)`. Worker side: `new PortSource(port,
 * control)` is a ChunkSource whose next() blocks (Atomics.wait) until a chunk arrives.
 * Flow control goes through a small SharedArrayBuffer, the "control" block:
 *
 * | bytes  | view          | meaning                                                        |
 * |--------|---------------|----------------------------------------------------------------|
 * |  0..3  | Int32 [0]     | POSTED: messages the main side has posted (chunks, then end/error) |
 * |  4..7  | Int32 [1]     | CONSUMED: messages the worker has taken off the port           |
 * |  8..11 | Int32 [2]     | STATE: 0 running, 1 cancelled (either side gave up)            |
 * | 12..15 | Int32 [3]     | reserved (alignment)                                           |
 * | 16..23 | Float64 [2]   | progress: input bytes parsed (written by the worker)           |
 * | 24..31 | Float64 [3]   | progress: keys parsed (written by the worker)                  |
 *
 * The main side stops posting while POSTED − CONSUMED ≥ maxInFlight and waits for CONSUMED
 * to move (Atomics.waitAsync, never blocking its event loop); the worker blocks on POSTED
 * when its port is empty. Both sides notify after every increment.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { RdbError } from '../types.ts';
import type { ChunkSource } from './source.ts';

export const CONTROL_BYTES = 32;
/** Int32 index: messages posted by the main side. */
export const CTL_POSTED = 0;
/** Int32 index: messages consumed by the worker. */
export const CTL_CONSUMED = 1;
/** Int32 index: 0 running, 1 cancelled. */
export const CTL_STATE = 2;
/** Float64 index: bytes parsed. */
export const CTL_PROGRESS_BYTES = 2;
/** Float64 index: keys parsed. */
export const CTL_PROGRESS_KEYS = 3;

const STATE_CANCELLED = 1;

/** Allocates a zeroed control block (layout in the module comment). */
export function createControl(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES);
}

/** Worker side: publish parse progress (plain stores; readers may see one slot a step behind the other). */
export function setProgress(control: SharedArrayBuffer, bytes: number, keys: number): void {
  const f = new Float64Array(control, 0, 4);
  f[CTL_PROGRESS_BYTES] = bytes;
  f[CTL_PROGRESS_KEYS] = keys;
}

/** Main side: the latest progress the worker published. */
export function readProgress(control: SharedArrayBuffer): { bytes: number; keys: number } {
  const f = new Float64Array(control, 0, 4);
  return { bytes: f[CTL_PROGRESS_BYTES]!, keys: f[CTL_PROGRESS_KEYS]! };
}

/** Either side: mark the channel cancelled and wake the other side (a pending pump then stops). */
export function cancelChannel(control: SharedArrayBuffer): void {
  const ctl = new Int32Array(control, 0, 4);
  Atomics.store(ctl, CTL_STATE, STATE_CANCELLED);
  Atomics.notify(ctl, CTL_CONSUMED);
  Atomics.notify(ctl, CTL_POSTED);
}

/** Messages on the port besides data chunks (which are posted as bare Uint8Arrays). */
export type ChannelMessage =
  | { type: 'end' }
  | { type: 'error'; message: string; offset?: number; expected?: string; file?: string };

export interface PumpResult {
  /** How the pump finished: posted the end marker, posted an error, or was cancelled. */
  outcome: 'end' | 'error' | 'cancelled';
  /** Chunks and bytes posted. */
  chunks: number;
  bytes: number;
  /** The error the chunk iterable threw (forwarded to the worker unless the channel was cancelled). */
  error?: unknown;
}

type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };
type WaitAsyncFn = (arr: Int32Array, index: number, value: number, timeoutMs?: number) => WaitAsyncResult;
const waitAsync: WaitAsyncFn | undefined = (Atomics as unknown as { waitAsync?: WaitAsyncFn }).waitAsync;

/** Resolves when ctl[index] may no longer equal `value` (or after timeoutMs). */
function waitChange(ctl: Int32Array, index: number, value: number, timeoutMs: number): Promise<unknown> | null {
  if (waitAsync) {
    const r = waitAsync(ctl, index, value, timeoutMs);
    return r.async ? r.value : null;
  }
  return new Promise((resolve) => setTimeout(resolve, 1));
}

/**
 * Main side: posts every chunk of `chunks` to `port`, then `{type:'end'}`; if the iterable
 * throws, posts `{type:'error', ...}` instead (RdbError fields included) and resolves with
 * outcome 'error' — it never rejects for errors of the iterable. At most `maxInFlight`
 * messages (end/error marker included) are posted and not yet consumed at any time. A chunk's ArrayBuffer is transferred
 * (and detached here) when the chunk spans it whole, otherwise the chunk is copied.
 * Stops early, closing the iterable, when the channel is cancelled (cancelChannel, or the
 * worker's PortSource.close()). The port is left open.
 */
export async function pumpToPort(
  chunks: AsyncIterable<Uint8Array>,
  port: MessagePort,
  control: SharedArrayBuffer,
  maxInFlight = 8,
): Promise<PumpResult> {
  const ctl = new Int32Array(control, 0, 4);
  const limit = Math.max(1, maxInFlight | 0);
  let posted = Atomics.load(ctl, CTL_POSTED);
  let nChunks = 0;
  let bytes = 0;
  const cancelled = () => Atomics.load(ctl, CTL_STATE) === STATE_CANCELLED;
  const post = (msg: Uint8Array | ChannelMessage, transfer?: ArrayBuffer[]) => {
    port.postMessage(msg, transfer);
    posted = Atomics.add(ctl, CTL_POSTED, 1) + 1;
    Atomics.notify(ctl, CTL_POSTED);
  };
  /** Waits for room; false when cancelled. */
  const room = async (): Promise<boolean> => {
    for (;;) {
      if (cancelled()) return false;
      const consumed = Atomics.load(ctl, CTL_CONSUMED);
      if (posted - consumed < limit) return true;
      await waitChange(ctl, CTL_CONSUMED, consumed, 250);
    }
  };

  try {
    for await (const chunk of chunks) {
      if (!(await room())) return { outcome: 'cancelled', chunks: nChunks, bytes };
      const len = chunk.length;
      if (len === 0) continue;
      const buf = chunk.buffer;
      if (buf instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === buf.byteLength) {
        post(chunk, [buf]);
      } else {
        const copy = new Uint8Array(chunk); // a copy (Buffer#slice would be a view)
        post(copy, [copy.buffer as ArrayBuffer]);
      }
      nChunks++;
      bytes += len; // (chunk may be detached now)
    }
  } catch (e) {
    if (!(await room())) return { outcome: 'cancelled', chunks: nChunks, bytes, error: e };
    const msg: ChannelMessage =
      e instanceof RdbError
        ? { type: 'error', message: e.message, offset: e.offset, expected: e.expected, file: e.file }
        : { type: 'error', message: e instanceof Error ? e.message : String(e) };
    post(msg);
    return { outcome: 'error', chunks: nChunks, bytes, error: e };
  }
  if (!(await room())) return { outcome: 'cancelled', chunks: nChunks, bytes };
  post({ type: 'end' });
  return { outcome: 'end', chunks: nChunks, bytes };
}

/**
 * Worker side: a ChunkSource fed by pumpToPort. next() takes the next chunk off the port,
 * blocking the worker thread while none is queued. Chunks are the worker's own (they stay
 * valid indefinitely). An error forwarded by the main side is thrown as an RdbError: the
 * original offset/reason when it was one, else `offset <bytes handed out so far>: cannot
 * read the input: <message>`.
 */
export class PortSource implements ChunkSource {
  /** Bytes handed out by next() so far. */
  bytes = 0;
  private received = 0;
  private done = false;
  private readonly ctl: Int32Array;

  /** `file` names the input in errors that do not carry a name of their own. */
  constructor(
    private readonly port: MessagePort,
    control: SharedArrayBuffer,
    private readonly file = '',
  ) {
    this.ctl = new Int32Array(control, 0, 4);
  }

  next(): Uint8Array | null {
    if (this.done) return null;
    const ctl = this.ctl;
    for (;;) {
      const m = receiveMessageOnPort(this.port);
      if (m) {
        this.received++;
        Atomics.add(ctl, CTL_CONSUMED, 1);
        Atomics.notify(ctl, CTL_CONSUMED);
        const msg = m.message as Uint8Array | ChannelMessage;
        if (msg instanceof Uint8Array) {
          if (msg.length === 0) continue;
          this.bytes += msg.length;
          return msg;
        }
        this.done = true;
        if (msg.type === 'end') return null;
        if (msg.offset !== undefined && msg.expected !== undefined) {
          throw new RdbError(msg.offset, msg.expected, msg.file || this.file);
        }
        throw new RdbError(this.bytes, `cannot read the input: ${msg.message}`, this.file);
      }
      const posted = Atomics.load(ctl, CTL_POSTED);
      if (posted === this.received) {
        if (Atomics.load(ctl, CTL_STATE) === STATE_CANCELLED) {
          this.done = true;
          throw new RdbError(this.bytes, 'input cancelled before its end', this.file);
        }
        Atomics.wait(ctl, CTL_POSTED, posted, 1000);
      } else {
        // Counted but not visible on the port yet: give the sender a moment.
        Atomics.wait(ctl, CTL_STATE, Atomics.load(ctl, CTL_STATE), 1);
      }
    }
  }

  /**
   * Stop consuming (e.g. the parser is done or failed before the end): cancels the channel
   * so a pump still running stops and releases its input. Idempotent.
   */
  close(): void {
    this.done = true;
    cancelChannel(this.ctl.buffer as SharedArrayBuffer);
    this.port.close();
  }
}
