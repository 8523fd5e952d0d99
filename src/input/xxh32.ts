/** Streaming XXH32 (the checksum LZ4 frames use for headers, blocks and content). */

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

export class Xxh32 {
  private v1: number;
  private v2: number;
  private v3: number;
  private v4: number;
  private total = 0;
  /** Bytes of an incomplete 16-byte stripe carried over between update() calls. */
  private readonly mem = new Uint8Array(16);
  private memLen = 0;

  constructor(private readonly seed = 0) {
    this.v1 = (seed + P1 + P2) | 0;
    this.v2 = (seed + P2) | 0;
    this.v3 = seed | 0;
    this.v4 = (seed - P1) | 0;
  }

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let p = start;
    this.total += end - start;
    if (this.memLen > 0) {
      const take = Math.min(16 - this.memLen, end - p);
      this.mem.set(buf.subarray(p, p + take), this.memLen);
      this.memLen += take;
      p += take;
      if (this.memLen < 16) return this;
      this.stripes(this.mem, 0, 16);
      this.memLen = 0;
    }
    const full = p + ((end - p) & ~15);
    if (full > p) this.stripes(buf, p, full);
    p = full;
    if (p < end) {
      this.mem.set(buf.subarray(p, end), 0);
      this.memLen = end - p;
    }
    return this;
  }

  private stripes(b: Uint8Array, p: number, end: number): void {
    let v1 = this.v1;
    let v2 = this.v2;
    let v3 = this.v3;
    let v4 = this.v4;
    if (LITTLE_ENDIAN && ((b.byteOffset + p) & 3) === 0) {
      // Aligned on a little-endian host: read the lanes as 32-bit words.
      const w = new Uint32Array(b.buffer, b.byteOffset + p, (end - p) >>> 2);
      for (let i = 0; i < w.length; i += 4) {
        v1 = Math.imul(rotl((v1 + Math.imul(w[i]!, P2)) | 0, 13), P1);
        v2 = Math.imul(rotl((v2 + Math.imul(w[i + 1]!, P2)) | 0, 13), P1);
        v3 = Math.imul(rotl((v3 + Math.imul(w[i + 2]!, P2)) | 0, 13), P1);
        v4 = Math.imul(rotl((v4 + Math.imul(w[i + 3]!, P2)) | 0, 13), P1);
      }
      p = end;
    }
    for (; p < end; p += 16) {
      v1 = Math.imul(rotl((v1 + Math.imul(b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24), P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24), P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(b[p + 8]! | (b[p + 9]! << 8) | (b[p + 10]! << 16) | (b[p + 11]! << 24), P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(b[p + 12]! | (b[p + 13]! << 8) | (b[p + 14]! << 16) | (b[p + 15]! << 24), P2)) | 0, 13), P1);
    }
    this.v1 = v1;
    this.v2 = v2;
    this.v3 = v3;
    this.v4 = v4;
  }

  /** The hash of everything given so far, as an unsigned 32-bit integer (state is kept). */
  digest(): number {
    let h: number;
    if (this.total >= 16) h = (rotl(this.v1, 1) + rotl(this.v2, 7) + rotl(this.v3, 12) + rotl(this.v4, 18)) | 0;
    else h = (this.seed + P5) | 0;
    h = (h + this.total) | 0;
    const m = this.mem;
    let p = 0;
    for (; p + 4 <= this.memLen; p += 4) {
      const w = m[p]! | (m[p + 1]! << 8) | (m[p + 2]! << 16) | (m[p + 3]! << 24);
      h = Math.imul(rotl((h + Math.imul(w, P3)) | 0, 17), P4);
    }
    for (; p < this.memLen; p++) h = Math.imul(rotl((h + Math.imul(m[p]!, P5)) | 0, 11), P1);
    h ^= h >>> 15;
    h = Math.imul(h, P2);
    h ^= h >>> 13;
    h = Math.imul(h, P3);
    h ^= h >>> 16;
    return h >>> 0;
  }
}

/** One-shot XXH32 of `buf[start, end)`. */
export function xxh32(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  return new Xxh32(seed).update(buf, start, end).digest();
}
