/**
 * CRC-64/Jones as Redis computes it (reflected poly 0x95AC9329AC4BC9B5, init 0, no final xor),
 * slicing-by-8: eight tables, one 8-byte step per iteration.
 */
import { CRC64_WASM } from './crc64-wasm.ts';

const POLY_LO = 0xac4bc9b5;
const POLY_HI = 0x95ac9329;

/** 8 tables × 256 entries × (lo, hi) = little-endian i64s. Table k maps a byte followed by k zero bytes. */
const T = new Uint32Array(8 * 256 * 2);
for (let b = 0; b < 256; b++) {
  let lo = b;
  let hi = 0;
  for (let i = 0; i < 8; i++) {
    const bit = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi = hi >>> 1;
    if (bit) {
      lo = (lo ^ POLY_LO) >>> 0;
      hi = (hi ^ POLY_HI) >>> 0;
    }
  }
  T[b * 2] = lo;
  T[b * 2 + 1] = hi;
}
for (let k = 1; k < 8; k++) {
  for (let b = 0; b < 256; b++) {
    const p = ((k - 1) * 256 + b) * 2;
    const lo = T[p];
    const hi = T[p + 1];
    const q = (lo & 0xff) * 2;
    T[(k * 256 + b) * 2] = (((lo >>> 8) | (hi << 24)) ^ T[q]) >>> 0;
    T[(k * 256 + b) * 2 + 1] = ((hi >>> 8) ^ T[q + 1]) >>> 0;
  }
}

/**
 * The table-driven loop runs in WebAssembly (crc64.wat), where 64-bit integers are native:
 * about four times the speed of the same loop over two 32-bit halves in JS.
 */
const wasm = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(CRC64_WASM, 'base64'))).exports as unknown as {
  memory: WebAssembly.Memory;
  crc(state: bigint, ptr: number, len: number): bigint;
};
const DATA = 65536;
const heap = new Uint8Array(wasm.memory.buffer);
const SLICE = heap.length - DATA;
new Uint32Array(wasm.memory.buffer, 0, T.length).set(T);

/** Running CRC state. */
export class Crc64 {
  value = 0n;

  update(buf: Uint8Array, start: number, end: number): void {
    let v = this.value;
    for (let s = start; s < end; s += SLICE) {
      const e = Math.min(end, s + SLICE);
      heap.set(buf.subarray(s, e), DATA);
      v = wasm.crc(v, DATA, e - s);
    }
    this.value = BigInt.asUintN(64, v);
  }

  /** The value as 16 hex digits. */
  hex(): string {
    return this.value.toString(16).padStart(16, '0');
  }

  /** Low and high 32 bits, for writing the little-endian trailer. */
  get lo(): number {
    return Number(this.value & 0xffffffffn);
  }

  get hi(): number {
    return Number(this.value >> 32n);
  }
}

/** The 8-byte little-endian trailer as 16 hex digits, for comparison with `Crc64.hex()`. */
export function trailerHex(buf: Uint8Array, at: number): string {
  let s = '';
  for (let i = 7; i >= 0; i--) s += buf[at + i].toString(16).padStart(2, '0');
  return s;
}
