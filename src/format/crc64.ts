/**
 * CRC-64/Jones as Redis computes it (reflected poly 0x95AC9329AC4BC9B5, init 0, no final xor).
 * Slicing-by-8 over two 32-bit halves: JS has no fast 64-bit integers, and one table
 * lookup per byte is the dominant cost of reading a file otherwise.
 */

const POLY_LO = 0xac4bc9b5;
const POLY_HI = 0x95ac9329;

/** 8 tables × 256 entries × (lo, hi). Table k maps a byte followed by k zero bytes. */
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

/** Running CRC state; `lo`/`hi` are the halves of the 64-bit value. */
export class Crc64 {
  lo = 0;
  hi = 0;

  update(buf: Uint8Array, start: number, end: number): void {
    let lo = this.lo;
    let hi = this.hi;
    let i = start;
    const t = T;
    for (const stop = end - 7; i < stop; i += 8) {
      lo ^= buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
      hi ^= buf[i + 4] | (buf[i + 5] << 8) | (buf[i + 6] << 16) | (buf[i + 7] << 24);
      const a = (7 * 256 + (lo & 0xff)) * 2;
      const b = (6 * 256 + ((lo >>> 8) & 0xff)) * 2;
      const c = (5 * 256 + ((lo >>> 16) & 0xff)) * 2;
      const d = (4 * 256 + (lo >>> 24)) * 2;
      const e = (3 * 256 + (hi & 0xff)) * 2;
      const f = (2 * 256 + ((hi >>> 8) & 0xff)) * 2;
      const g = (256 + ((hi >>> 16) & 0xff)) * 2;
      const h = (hi >>> 24) * 2;
      lo = t[a] ^ t[b] ^ t[c] ^ t[d] ^ t[e] ^ t[f] ^ t[g] ^ t[h];
      hi = t[a + 1] ^ t[b + 1] ^ t[c + 1] ^ t[d + 1] ^ t[e + 1] ^ t[f + 1] ^ t[g + 1] ^ t[h + 1];
    }
    for (; i < end; i++) {
      const q = ((lo ^ buf[i]) & 0xff) * 2;
      lo = ((lo >>> 8) | (hi << 24)) ^ t[q];
      hi = (hi >>> 8) ^ t[q + 1];
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** The value as 16 hex digits. */
  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

/** The 8-byte little-endian trailer as 16 hex digits, for comparison with `Crc64.hex()`. */
export function trailerHex(buf: Uint8Array, at: number): string {
  let s = '';
  for (let i = 7; i >= 0; i--) s += buf[at + i].toString(16).padStart(2, '0');
  return s;
}
