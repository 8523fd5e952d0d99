/**
 * The LZ4 block decoder (the raw sequence format inside LZ4 frames). Every read and write is
 * bounds-checked, so a damaged block is reported instead of decoding garbage, and runs of 32
 * bytes or more are copied with set/copyWithin instead of byte by byte: most of the bytes of
 * a dump's block are literals, and that copy is where the time goes.
 */

/** decodeBlock results below zero: what was wrong with the block. */
export const LZ4_TRUNCATED = -1;
export const LZ4_BAD_OFFSET = -2;
export const LZ4_OVERFLOW = -3;

const MIN_MATCH = 4;
/** Below this, a byte loop beats creating a subarray for set(). */
const BULK = 32;

/**
 * Decodes the block `src[s, sEnd)` into `dst` from index `d`; matches may reach back to
 * `dst[0]` (where a linked block's history is placed). Returns the index after the last byte
 * written, or one of the negative LZ4_* codes.
 */
export function decodeBlock(src: Uint8Array, s: number, sEnd: number, dst: Uint8Array, d: number): number {
  const dEnd = dst.length;
  const sv = new DataView(src.buffer, src.byteOffset, src.length);
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.length);
  // Short copies move 8 bytes at a time and may write up to 7 bytes past their end (later
  // bytes overwrite them), so they need that much room in both buffers.
  const sWild = src.length - 8;
  const dWild = dEnd - 8;
  while (s < sEnd) {
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (s >= sEnd) return LZ4_TRUNCATED;
        b = src[s++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > 0) {
      if (lit > sEnd - s) return LZ4_TRUNCATED;
      if (lit > dEnd - d) return LZ4_OVERFLOW;
      if (lit < BULK && s + lit <= sWild && d + lit <= dWild) {
        for (let i = 0; i < lit; i += 8) {
          dv.setUint32(d + i, sv.getUint32(s + i, true), true);
          dv.setUint32(d + i + 4, sv.getUint32(s + i + 4, true), true);
        }
        s += lit;
        d += lit;
      } else if (lit < BULK) {
        for (const e = s + lit; s < e; ) dst[d++] = src[s++]!;
      } else {
        dst.set(src.subarray(s, s + lit), d);
        s += lit;
        d += lit;
      }
    }
    // The last sequence of a block has literals only.
    if (s === sEnd) break;
    if (sEnd - s < 2) return LZ4_TRUNCATED;
    const off = src[s]! | (src[s + 1]! << 8);
    s += 2;
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (s >= sEnd) return LZ4_TRUNCATED;
        b = src[s++]!;
        len += b;
      } while (b === 255);
    }
    len += MIN_MATCH;
    if (off === 0 || off > d) return LZ4_BAD_OFFSET;
    if (len > dEnd - d) return LZ4_OVERFLOW;
    const m = d - off;
    if (len < BULK && off >= 8 && d + len <= dWild) {
      for (let i = 0; i < len; i += 8) {
        dv.setUint32(d + i, dv.getUint32(m + i, true), true);
        dv.setUint32(d + i + 4, dv.getUint32(m + i + 4, true), true);
      }
      d += len;
    } else if (len < BULK) {
      // Byte order matters here: an offset shorter than the length repeats the bytes just written.
      for (let i = m, e = d + len; d < e; ) dst[d++] = dst[i++]!;
    } else {
      // Copy in pieces no longer than the distance to the source, which doubles as the
      // repeated pattern grows.
      while (len > 0) {
        const k = len < d - m ? len : d - m;
        dst.copyWithin(d, m, m + k);
        d += k;
        len -= k;
      }
    }
  }
  return d;
}
