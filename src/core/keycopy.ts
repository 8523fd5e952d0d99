/**
 * Key buffers and the copies into them. Every key is copied a few times (parser → record →
 * record ring → consumer's record); moving four bytes at a time (DataView loads, Int32
 * stores) took ~10 ns off each end of the record ring per 28-byte key in a microbenchmark
 * (62 → 52 ns written, 56 → 45 ns read).
 */

const NATIVE_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A buffer for a key of at least `n` bytes: a multiple of 8 long, so whole words fit. */
export function keyBuffer(n: number): Uint8Array {
  return new Uint8Array((n + 7) & ~7);
}

/** Copies short byte runs word by word; caches its views of the last buffers it saw. */
export class KeyCopier {
  private dst: Uint8Array | null = null;
  private dst32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** dst.byteOffset, cached: reading it per copy was a builtin call (0.4% of a parse). */
  private dstOffset = 0;
  private src: Uint8Array | null = null;
  private srcView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private src2: Uint8Array | null = null;
  private srcView2: DataView<ArrayBufferLike> = this.srcView;

  /**
   * `src[s, s + n)` to `dst[d, d + n)`. May write up to 3 bytes past `d + n` (inside `dst`):
   * callers copy into key buffers or padded ring slots.
   */
  copy(dst: Uint8Array, d: number, src: Uint8Array, s: number, n: number): void {
    if (dst !== this.dst) {
      this.dst = dst;
      this.dst32 = new Int32Array(dst.buffer, 0, dst.buffer.byteLength >> 2);
      this.dstOffset = dst.byteOffset;
    }
    if (src !== this.src) {
      // Keys come from the input window or, int-encoded or LZF, from the reader's scratch:
      // keep a view of each rather than make a new DataView whenever they alternate.
      const prev = this.src;
      const prevView = this.srcView;
      if (src === this.src2) {
        this.srcView = this.srcView2;
      } else {
        this.srcView = new DataView(src.buffer, src.byteOffset, src.byteLength);
      }
      this.src = src;
      this.src2 = prev;
      this.srcView2 = prevView;
    }
    const words = (n + 3) >> 2;
    const at = this.dstOffset + d;
    if ((at & 3) === 0 && d + 4 * words <= dst.length && s + 4 * words <= src.length) {
      const out = this.dst32;
      const view = this.srcView;
      for (let k = 0, i = at >> 2; k < words; k++, i++, s += 4) out[i] = view.getInt32(s, NATIVE_LE);
      return;
    }
    for (let k = 0; k < n; k++) dst[d + k] = src[s + k]!;
  }
}
