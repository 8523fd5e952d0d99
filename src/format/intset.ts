/**
 * Intset walking: width 2/4/8 and size exact (Redis' load checks these); members out of strictly
 * ascending order are only counted (`unordered`), as only Redis' deep sanitization rejects them.
 */
import { BlobCursor, u32le } from './blob.ts';

export class IntsetCursor extends BlobCursor {
  width = 0;
  count = 0;
  /** Members not above the one before them (the caller warns). */
  unordered = 0;
  private i = 0;
  private last = 0;
  private lastHi = 0;
  private lastLo = 0;

  open(): void {
    const len = this.end - this.start;
    if (len < 8) this.fail(`an intset of at least 8 bytes, found ${len}`, this.start);
    const w = u32le(this.buf, this.start);
    if (w !== 2 && w !== 4 && w !== 8) this.fail(`intset width 2, 4 or 8, found ${w}`, this.start);
    const n = u32le(this.buf, this.start + 4);
    if (8 + w * n !== len) this.fail(`intset of ${8 + w * n} bytes for ${n} × ${w}-byte members, found ${len}`, this.start + 4);
    this.width = w;
    this.count = n;
    this.i = 0;
    this.unordered = 0;
    this.p = this.start + 8;
  }

  next(): boolean {
    if (this.i === this.count) return false;
    const b = this.buf;
    const p = this.p;
    if (this.width === 2) {
      this.isInt = true;
      this.iv = ((b[p] | (b[p + 1] << 8)) << 16) >> 16;
    } else if (this.width === 4) {
      this.isInt = true;
      this.iv = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
    } else {
      this.int64At(p);
      // Compare 64-bit members by their halves: they may be beyond 2^53.
      const hi = b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24);
      const lo = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
      if (this.i > 0 && (hi < this.lastHi || (hi === this.lastHi && lo <= this.lastLo))) this.unordered++;
      this.lastHi = hi;
      this.lastLo = lo;
      this.p = p + 8;
      this.i++;
      return true;
    }
    if (this.i > 0 && this.iv <= this.last) this.unordered++;
    this.last = this.iv;
    this.p = p + this.width;
    this.i++;
    return true;
  }
}
