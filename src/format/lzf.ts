/** LZF decompression (the format Redis uses for compressed RDB strings), validating every step. */

/**
 * Decompress `src[start, end)` into `dst[0, ulen)`. Returns null on success, or a description
 * of the defect and the input position where it was found.
 */
export function lzfDecompress(
  src: Uint8Array,
  start: number,
  end: number,
  dst: Uint8Array,
  ulen: number,
): { at: number; what: string } | null {
  let i = start;
  let o = 0;
  while (i < end) {
    const ctrl = src[i++];
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (i + n > end) return { at: i, what: `LZF literal run of ${n} bytes past the compressed data` };
      if (o + n > ulen) return { at: i, what: `LZF output longer than the declared ${ulen} bytes` };
      for (let k = 0; k < n; k++) dst[o++] = src[i++];
    } else {
      let len = ctrl >>> 5;
      if (len === 7) {
        if (i >= end) return { at: i, what: 'LZF back-reference length past the compressed data' };
        len += src[i++];
      }
      if (i >= end) return { at: i, what: 'LZF back-reference offset past the compressed data' };
      const back = ((ctrl & 0x1f) << 8) + src[i++] + 1;
      let from = o - back;
      if (from < 0) return { at: i - 1, what: `LZF back-reference ${back} bytes before the start of the output` };
      len += 2;
      if (o + len > ulen) return { at: i, what: `LZF output longer than the declared ${ulen} bytes` };
      // Byte by byte: source and destination may overlap (run-length copies).
      for (let k = 0; k < len; k++) dst[o++] = dst[from++];
    }
  }
  if (o !== ulen) return { at: end, what: `LZF output of ${o} bytes, the header declared ${ulen}` };
  return null;
}

/**
 * Decompress only the first `want` bytes of `src[start, end)` into `dst` (for reading the
 * header of a compressed listpack without inflating it). Returns the bytes produced, or -1
 * when the data is malformed before that point.
 */
export function lzfPrefix(src: Uint8Array, start: number, end: number, dst: Uint8Array, want: number): number {
  let i = start;
  let o = 0;
  while (i < end && o < want) {
    const ctrl = src[i++];
    if (ctrl < 32) {
      const n = Math.min(ctrl + 1, want - o);
      if (i + ctrl + 1 > end) return -1;
      for (let k = 0; k < n; k++) dst[o++] = src[i + k];
      i += ctrl + 1;
    } else {
      let len = ctrl >>> 5;
      if (len === 7) {
        if (i >= end) return -1;
        len += src[i++];
      }
      if (i >= end) return -1;
      let from = o - (((ctrl & 0x1f) << 8) + src[i++] + 1);
      if (from < 0) return -1;
      len = Math.min(len + 2, want - o);
      for (let k = 0; k < len; k++) dst[o++] = dst[from++];
    }
  }
  return o;
}
