/**
 * The raw-bytes layer: a cursor over a synchronous chunk source, with the CRC-64 kept as
 * bytes are consumed, and the RDB length/string primitives. Nothing here allocates from a
 * length read out of the file: buffers only grow by bytes that actually arrived.
 */
import type { ChunkSource } from '../input/source.ts';
import { RdbError } from '../core/types.ts';
import { Crc64 } from '../input/crc64.ts';
import { lzfDecompress, lzfPrefix } from './lzf.ts';
import { decimalLength } from './blob.ts';

const EMPTY = new Uint8Array(0);
const TWO32 = 4294967296;
/** Scratch for decoding doubles without a DataView per value (little-endian hosts, as Node's). */
const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);
/**
 * Reads up to this size that cross a chunk boundary copy just their own bytes; larger ones
 * gather whole chunks. 64 KiB covers packed nodes (8 KiB listpacks): gathering copied about a
 * whole 1 MiB chunk per boundary, garbage that held ~30 MB until a GC on a 10M-element list.
 */
const STITCH_MAX = 1 << 16;
/** LZF cannot expand more than 264 output bytes per 3 input bytes. */
const LZF_MAX_RATIO = 88;

export class Reader {
  /** Current window; `buf[pos, end)` is unread. */
  buf: Uint8Array = EMPTY;
  pos = 0;
  end = 0;
  /** File offset of `buf[0]`. */
  base = 0;
  readonly crc = new Crc64();
  /** `buf` index up to which the CRC has been fed; -1 once the CRC is final. */
  private crcFrom = 0;

  /** Result of the last readString: bytes in `strBuf[strStart, strEnd)`, or `strBuf === null` when skipped. */
  strBuf: Uint8Array | null = null;
  strStart = 0;
  strEnd = 0;
  /** Decoded length of the last string. */
  strLength = 0;
  /** The last string was LZF-compressed in the file. */
  strLzf = false;
  /** The last string was integer-encoded in the file: its value (its text is its decimal form). */
  strIsInt = false;
  strInt = 0;

  private scratch = new Uint8Array(4096);
  private digits = new Uint8Array(24);

  /** Without `crc` the reader keeps no checksum (the caller verifies the file elsewhere). */
  constructor(
    private readonly src: ChunkSource,
    readonly file: string,
    crc = true,
  ) {
    if (!crc) this.crcFrom = -1;
  }

  get offset(): number {
    return this.base + this.pos;
  }

  fail(expected: string, at = this.offset): never {
    throw new RdbError(at, expected, this.file);
  }

  /** Make `n` bytes readable at `pos`; `what` names the expected item for the error. */
  need(n: number, what: string): void {
    if (this.end - this.pos < n) this.fill(n, what);
  }

  /** The rest of a chunk whose head went into a small stitched window. */
  private pend: Uint8Array | null = null;

  /** Next chunk of input: the pending remainder first. */
  private pull(): Uint8Array | null {
    const p = this.pend;
    if (p !== null) {
      this.pend = null;
      return p;
    }
    return this.src.next();
  }

  private fill(n: number, what: string): void {
    const start = this.offset;
    this.feedCrc(this.pos);
    const restLen = this.end - this.pos;
    let c = this.pull();
    while (c !== null && c.length === 0) c = this.pull();
    if (c === null) this.short(restLen, n, what, start);
    if (restLen === 0 && c.length >= n) {
      // Common case: the next chunk becomes the window as it is.
      this.adopt(c, c.length);
      return;
    }
    if (restLen + c.length >= n && n <= STITCH_MAX) {
      // A small read across a chunk boundary: stitch just the bytes it needs, keep the rest
      // of the chunk pending, so the window moves on to it without copying.
      const take = n - restLen;
      const stitch = new Uint8Array(n);
      stitch.set(this.buf.subarray(this.pos, this.end));
      stitch.set(c.subarray(0, take), restLen);
      if (take < c.length) this.pend = c.subarray(take);
      this.adopt(stitch, n);
      return;
    }
    // A large read: gather whole chunks (each copied before the next is pulled, since a
    // source may reuse a chunk's memory on its following call).
    let out = new Uint8Array(Math.max(restLen + c.length, 65536));
    out.set(this.buf.subarray(this.pos, this.end));
    let have = restLen;
    for (;;) {
      if (have + c.length > out.length) {
        const grown = new Uint8Array(Math.max(out.length * 2, have + c.length));
        grown.set(out.subarray(0, have));
        out = grown;
      }
      out.set(c, have);
      have += c.length;
      if (have >= n) break;
      c = this.pull();
      while (c !== null && c.length === 0) c = this.pull();
      if (c === null) this.short(have, n, what, start);
    }
    this.adopt(out, have);
  }

  /** Make `b[0, len)` the window, continuing right after the current one. */
  private adopt(b: Uint8Array, len: number): void {
    this.base += this.pos;
    this.buf = b;
    this.pos = 0;
    this.end = len;
    if (this.crcFrom >= 0) this.crcFrom = 0;
  }

  private short(got: number, n: number, what: string, start: number): never {
    return this.fail(`unexpected end of file (${got} of ${n} bytes) reading ${what} at offset ${start}`, start + got);
  }

  /** Advance past `n` bytes without keeping them (streams through huge values). */
  skip(n: number, what: string): void {
    const avail = this.end - this.pos;
    if (n <= avail) {
      this.pos += n;
      return;
    }
    const start = this.offset;
    let left = n - avail;
    this.pos = this.end;
    this.feedCrc(this.end);
    for (;;) {
      const c = this.pull();
      if (c === null) this.short(n - left, n, what, start);
      this.adopt(c, c.length);
      if (c.length >= left) {
        this.pos = left;
        return;
      }
      this.pos = c.length;
      this.feedCrc(c.length);
      left -= c.length;
    }
  }

  private feedCrc(upTo: number): void {
    if (this.crcFrom < 0) return;
    if (upTo > this.crcFrom) this.crc.update(this.buf, this.crcFrom, upTo);
    this.crcFrom = upTo;
  }

  /** Feed the CRC with everything consumed so far and freeze it (the trailer is not covered). */
  finishCrc(): void {
    this.feedCrc(this.pos);
    this.crcFrom = -1;
  }

  /** True when the input has no byte left (pulls one chunk if needed). */
  atEnd(): boolean {
    if (this.pos < this.end) return false;
    for (;;) {
      const c = this.pull();
      if (c === null) return true;
      if (c.length === 0) continue;
      this.feedCrc(this.end);
      this.adopt(c, c.length);
      return false;
    }
  }

  /** Reads through the rest of the input without keeping it; returns how many bytes that was. */
  drain(): number {
    let n = this.end - this.pos;
    this.pos = this.end;
    for (;;) {
      const c = this.pull();
      if (c === null) return n;
      n += c.length;
    }
  }

  u8(what: string): number {
    if (this.pos >= this.end) this.fill(1, what);
    return this.buf[this.pos++];
  }

  u32le(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  /** Signed 64-bit little-endian as a number (exact below 2^53). */
  i64le(what: string): number {
    this.need(8, what);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 8;
    const lo = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
    const hi = b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24);
    return hi * TWO32 + lo;
  }

  f64le(what: string): number {
    this.need(8, what);
    const b = this.buf;
    const p = this.pos;
    const s = F64_BYTES;
    for (let i = 0; i < 8; i++) s[i] = b[p + i];
    this.pos = p + 8;
    return F64[0];
  }

  /**
   * An RDB length as a number. Lengths above 2^53 are never real counts or sizes, so they
   * are reported as corrupt here rather than carried as bigints through the hot path.
   */
  len(what: string): number {
    const at = this.offset;
    const b0 = this.u8(what);
    const kind = b0 >> 6;
    if (kind === 0) return b0 & 0x3f;
    if (kind === 1) return ((b0 & 0x3f) << 8) | this.u8(what);
    if (b0 === 0x80) {
      this.need(4, what);
      const b = this.buf;
      const p = this.pos;
      this.pos = p + 4;
      return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
    }
    if (b0 === 0x81) {
      this.need(8, what);
      const b = this.buf;
      const p = this.pos;
      this.pos = p + 8;
      const hi = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
      const lo = ((b[p + 4] << 24) | (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7]) >>> 0;
      if (hi > 0x1fffff) this.fail(`${what}: a length that fits 53 bits, found ${(BigInt(hi) << 32n) | BigInt(lo)}`, at);
      return hi * TWO32 + lo;
    }
    if (kind === 3) this.fail(`${what}: a length, found a string-encoding byte 0x${b0.toString(16)}`, at);
    return this.fail(`${what}: a valid length prefix, found 0x${b0.toString(16)}`, at);
  }

  /** An RDB length as a full 64-bit unsigned value (stream ids, signed module values). */
  lenBig(what: string): bigint {
    const b0 = this.u8(what);
    if (b0 === 0x81) {
      this.need(8, what);
      const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getBigUint64(0, false);
      this.pos += 8;
      return v;
    }
    this.pos--;
    return BigInt(this.len(what));
  }

  /**
   * Read an RDB string. With `wantBytes` the decoded bytes land in `strBuf[strStart, strEnd)` (a view into
   * the window or a scratch buffer, valid until the next read). Without it, values longer than
   * `inlineLimit` and LZF strings are skipped and only `strLength` is set (`strBuf === null`).
   */
  str(what: string, wantBytes: boolean, inlineLimit = 1 << 16): void {
    const at = this.offset;
    const b0 = this.u8(what);
    const kind = b0 >> 6;
    let n: number;
    this.strLzf = false;
    this.strIsInt = false;
    if (kind === 0) n = b0 & 0x3f;
    else if (kind === 1) n = ((b0 & 0x3f) << 8) | this.u8(what);
    else if (kind === 3) {
      const enc = b0 & 0x3f;
      if (enc <= 2) {
        this.intString(enc, what, wantBytes);
        return;
      }
      if (enc === 3) {
        this.lzfString(what, wantBytes);
        return;
      }
      return this.fail(`${what}: a string encoding 0-3, found ${enc}`, at);
    } else {
      this.pos--;
      n = this.len(what);
    }
    this.strLength = n;
    if (!wantBytes && n > inlineLimit) {
      this.strBuf = null;
      this.skip(n, what);
      return;
    }
    this.need(n, what);
    this.strBuf = this.buf;
    this.strStart = this.pos;
    this.strEnd = this.pos + n;
    this.pos += n;
  }

  /** INT8/16/32 strings: the value, and its decimal text only when bytes are wanted. */
  private intString(enc: number, what: string, wantBytes: boolean): void {
    let v: number;
    if (enc === 0) {
      v = (this.u8(what) << 24) >> 24;
    } else if (enc === 1) {
      this.need(2, what);
      v = ((this.buf[this.pos] | (this.buf[this.pos + 1] << 8)) << 16) >> 16;
      this.pos += 2;
    } else {
      this.need(4, what);
      const b = this.buf;
      const p = this.pos;
      v = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
      this.pos += 4;
    }
    this.strIsInt = true;
    this.strInt = v;
    if (!wantBytes) {
      this.strBuf = null;
      this.strLength = decimalLength(v);
      return;
    }
    const len = writeDecimal(v, this.digits);
    this.strBuf = this.digits;
    this.strStart = 0;
    this.strEnd = len;
    this.strLength = len;
  }

  private lzfString(what: string, wantBytes: boolean): void {
    const at = this.offset - 1;
    const clen = this.len(`${what} (LZF compressed length)`);
    const ulen = this.len(`${what} (LZF uncompressed length)`);
    this.strLzf = true;
    this.strLength = ulen;
    if (!wantBytes) {
      this.strBuf = null;
      this.skip(clen, what);
      return;
    }
    this.need(clen, what);
    if (ulen > clen * LZF_MAX_RATIO + 32) {
      this.fail(`${what}: LZF data of ${clen} bytes cannot expand to the declared ${ulen} bytes`, at);
    }
    this.blobIn = clen;
    this.blobDecode(what);
  }

  /** Compressed size of the blob opened by blobOpen (its decoded size when not LZF). */
  private blobIn = 0;
  private blobAt = 0;

  /**
   * Open a string holding a packed structure: its prefix is read and its content made
   * available at `pos` (compressed or not, see `strLzf`), without decoding it yet. Returns the
   * decoded size. Follow with `blobHead`, then `blobDecode` or `blobSkip`.
   */
  blobOpen(what: string): number {
    const at = this.offset;
    this.blobAt = at;
    const b0 = this.u8(what);
    const kind = b0 >> 6;
    let n: number;
    this.strLzf = false;
    if (kind === 0) n = b0 & 0x3f;
    else if (kind === 1) n = ((b0 & 0x3f) << 8) | this.u8(what);
    else if (kind === 3) {
      if ((b0 & 0x3f) !== 3) this.fail(`${what}: a packed structure, found an integer-encoded string`, at);
      const clen = this.len(`${what} (LZF compressed length)`);
      const ulen = this.len(`${what} (LZF uncompressed length)`);
      this.need(clen, what);
      if (ulen > clen * LZF_MAX_RATIO + 32) this.fail(`${what}: LZF data of ${clen} bytes cannot expand to the declared ${ulen} bytes`, at);
      this.strLzf = true;
      this.blobIn = clen;
      this.strLength = ulen;
      return ulen;
    } else {
      this.pos--;
      n = this.len(what);
    }
    this.need(n, what);
    this.blobIn = n;
    this.strLength = n;
    return n;
  }

  /** The first `n` decoded bytes of the open blob into `dst`; returns how many there are (-1: malformed). */
  blobHead(n: number, dst: Uint8Array): number {
    const want = Math.min(n, this.strLength);
    if (this.strLzf) return lzfPrefix(this.buf, this.pos, this.pos + this.blobIn, dst, want);
    for (let i = 0; i < want; i++) dst[i] = this.buf[this.pos + i];
    return want;
  }

  /** Decode the open blob into `strBuf[strStart, strEnd)` (as `str` does) and move past it. */
  blobDecode(what: string): void {
    if (!this.strLzf) {
      this.strBuf = this.buf;
      this.strStart = this.pos;
      this.strEnd = this.pos + this.strLength;
      this.pos += this.strLength;
      return;
    }
    const ulen = this.strLength;
    if (this.scratch.length < ulen) this.scratch = new Uint8Array(Math.max(ulen, this.scratch.length * 2));
    const bad = lzfDecompress(this.buf, this.pos, this.pos + this.blobIn, this.scratch, ulen);
    if (bad) this.fail(`${what}: ${bad.what}`, this.base + bad.at);
    this.pos += this.blobIn;
    this.strBuf = this.scratch;
    this.strStart = 0;
    this.strEnd = ulen;
  }

  /** Move past the open blob without decoding it. */
  blobSkip(): void {
    this.pos += this.blobIn;
  }

  /** File offset where the open blob's string starts. */
  get blobStart(): number {
    return this.blobAt;
  }

}

/** Decimal text of a safe integer into `out`; returns its length. */
export function writeDecimal(v: number, out: Uint8Array): number {
  let n = 0;
  if (v < 0) {
    out[n++] = 45;
    v = -v;
  }
  const startDigits = n;
  do {
    out[n++] = 48 + (v % 10);
    v = Math.floor(v / 10);
  } while (v > 0);
  for (let i = startDigits, j = n - 1; i < j; i++, j--) {
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return n;
}
