/**
 * Shared state of the packed-structure cursors (listpack, ziplist, intset, zipmap): where the
 * blob sits in the file, for error offsets, and the current entry as a register set so that
 * walking a blob allocates nothing.
 */
import { RdbError } from '../core/types.ts';

const TWO32 = 4294967296;

export class BlobCursor {
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  /** Position of the next entry. */
  p = 0;
  /** Current entry: an integer (`iv`) or bytes `sb[s, e)`. */
  isInt = false;
  iv = 0;
  sb: Uint8Array = this.buf;
  s = 0;
  e = 0;
  /** File offset of `buf[start]`, or of the enclosing string when it was LZF-compressed. */
  fileAt = 0;
  /** True when the blob was decompressed: offsets inside it do not map to the file. */
  compressed = false;
  file = '';
  what = '';
  private digits = new Uint8Array(24);

  reset(buf: Uint8Array, start: number, end: number, fileAt: number, compressed: boolean, file: string, what: string): void {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.p = start;
    this.fileAt = fileAt;
    this.compressed = compressed;
    this.file = file;
    this.what = what;
  }

  fail(what: string, at = this.p): never {
    const off = this.compressed ? this.fileAt : this.fileAt + (at - this.start);
    const where = this.compressed ? ` (byte ${at - this.start} of the decompressed ${this.what})` : '';
    throw new RdbError(off, `${this.what}: ${what}${where}`, this.file);
  }

  /** Length of the current entry as text (integers by their decimal form). */
  get textLength(): number {
    return this.isInt ? decimalLength(this.iv) : this.e - this.s;
  }

  /** Set the current entry to a 64-bit integer read little-endian at `at`. */
  int64At(at: number): void {
    const b = this.buf;
    const lo = (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
    const hi = b[at + 4] | (b[at + 5] << 8) | (b[at + 6] << 16) | (b[at + 7] << 24);
    const v = hi * TWO32 + lo;
    if (Number.isSafeInteger(v)) {
      this.isInt = true;
      this.iv = v;
      return;
    }
    // Beyond 2^53: hand it over as its exact decimal text.
    const big = new DataView(b.buffer, b.byteOffset + at, 8).getBigInt64(0, true).toString();
    for (let i = 0; i < big.length; i++) this.digits[i] = big.charCodeAt(i);
    this.isInt = false;
    this.sb = this.digits;
    this.s = 0;
    this.e = big.length;
  }
}

export function u32le(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

export function decimalLength(v: number): number {
  let n = v < 0 ? 2 : 1;
  let a = Math.abs(v);
  while (a >= 10) {
    a = Math.floor(a / 10);
    n++;
  }
  return n;
}
