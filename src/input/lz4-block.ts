/**
 * The LZ4 block decoder (the raw sequence format inside LZ4 frames), in WebAssembly
 * (lz4-block.wat). Every read and write is bounds-checked, so a damaged block is reported
 * instead of decoding garbage; short runs move 16 bytes at a time and long ones with
 * memory.copy. Blocks are read into the instance's `input` and decoded into its `out`, where
 * the frame reader also keeps its history.
 */
import { LZ4_BLOCK_WASM } from './lz4-block-wasm.ts';

/** decode() results below zero: what was wrong with the block. */
export const LZ4_TRUNCATED = -1;
export const LZ4_BAD_OFFSET = -2;
export const LZ4_OVERFLOW = -3;

/** How far back an LZ4 match may reach: the history a linked block needs in front of it. */
export const LZ4_WINDOW = 64 << 10;
/** The decoder reads up to 15 bytes past a block's end (short runs move 16 bytes at a time). */
const INPUT_SLACK = 16;

interface Lz4Exports {
  decode(s: number, sEnd: number, base: number, d: number, dEnd: number): number;
}
const MODULE = new WebAssembly.Module(Buffer.from(LZ4_BLOCK_WASM, 'base64'));

export class Lz4Block {
  /** Input area (blockMax bytes): the block to decode goes here. */
  readonly input: Uint8Array;
  /** Output area (LZ4_WINDOW + blockMax bytes): matches may reach back to its start. */
  readonly out: Uint8Array;
  private readonly w: Lz4Exports;
  private readonly inputAt: number;
  private readonly outAt: number;

  /** Memory the decoder needs for blocks of up to `blockMax` bytes. */
  static bytes(blockMax: number): number {
    return blockMax + INPUT_SLACK + LZ4_WINDOW + blockMax;
  }

  /**
   * Lives in `memory` from byte `at` (Lz4Block.bytes(blockMax) of it), e.g. an Xxh32's region,
   * so the output can be hashed where it is.
   */
  constructor(
    private readonly blockMax: number,
    memory: WebAssembly.Memory,
    at: number,
  ) {
    this.w = new WebAssembly.Instance(MODULE, { env: { memory } }).exports as unknown as Lz4Exports;
    const heap = new Uint8Array(memory.buffer);
    this.inputAt = at;
    this.input = heap.subarray(at, at + blockMax);
    this.outAt = at + blockMax + INPUT_SLACK;
    this.out = heap.subarray(this.outAt, this.outAt + LZ4_WINDOW + blockMax);
  }

  /**
   * Decodes the block in `input[0, n)` into `out` from index `d`, writing nothing at or past
   * `dEnd`. Returns the index after the last byte written, or one of the negative LZ4_* codes.
   */
  decode(n: number, d: number, dEnd: number): number {
    if (!(0 <= n && n <= this.blockMax)) throw new RangeError(`Lz4Block: a ${n}-byte block exceeds its ${this.blockMax}-byte maximum`);
    if (!(0 <= d && d <= dEnd && dEnd <= this.out.length)) throw new RangeError(`Lz4Block: output range ${d}..${dEnd} outside 0..${this.out.length}`);
    const end = this.w.decode(this.inputAt, this.inputAt + n, this.outAt, this.outAt + d, this.outAt + dEnd);
    return end < 0 ? end : end - this.outAt;
  }
}
