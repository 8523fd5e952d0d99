/**
 * Listpack walking with the checks Redis' deep sanitization makes (sizes, back-lengths, count).
 * A header count that disagrees with the entries is not refused (Redis' default load does not
 * look): `onMiscount` hears of it.
 */
import { BlobCursor, u32le } from './blob.ts';

export function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

export class ListpackCursor extends BlobCursor {
  /** Entry count from the header; 65535 means unknown. */
  declared = 0;
  seen = 0;
  /** Called when the header's entry count disagrees with the entries walked. */
  onMiscount: ((declared: number, seen: number) => void) | null = null;

  /** Validate the header and position on the first entry. */
  open(): void {
    const len = this.end - this.start;
    if (len < 7) this.fail(`a listpack of at least 7 bytes, found ${len}`, this.start);
    const total = u32le(this.buf, this.start);
    if (total !== len) this.fail(`listpack total-bytes ${total} equal to its ${len}-byte string`, this.start);
    if (this.buf[this.end - 1] !== 0xff) this.fail('listpack terminator 0xFF at its end', this.end - 1);
    this.declared = this.buf[this.start + 4] | (this.buf[this.start + 5] << 8);
    this.p = this.start + 6;
    this.seen = 0;
  }

  /** Decode the next entry into the registers; false at the terminator (count checked). */
  next(): boolean {
    const b = this.buf;
    const p = this.p;
    const limit = this.end - 1;
    if (p >= limit) {
      if (p === limit) return this.finish();
      this.fail('a listpack entry inside the listpack', p);
    }
    const e = b[p];
    let size: number;
    if (e < 0x80) {
      this.isInt = true;
      this.iv = e;
      size = 1;
    } else if ((e & 0xc0) === 0x80) {
      const n = e & 0x3f;
      size = 1 + n;
      this.str(p + 1, n);
    } else if ((e & 0xe0) === 0xc0) {
      if (p + 2 > limit) this.fail('a 13-bit integer entry inside the listpack', p);
      const u = ((e & 0x1f) << 8) | b[p + 1];
      this.isInt = true;
      this.iv = u >= 4096 ? u - 8192 : u;
      size = 2;
    } else if ((e & 0xf0) === 0xe0) {
      if (p + 2 > limit) this.fail('a 12-bit string length inside the listpack', p);
      const n = ((e & 0x0f) << 8) | b[p + 1];
      size = 2 + n;
      this.str(p + 2, n);
    } else {
      switch (e) {
        case 0xf0: {
          if (p + 5 > limit) this.fail('a 32-bit string length inside the listpack', p);
          const n = u32le(b, p + 1);
          size = 5 + n;
          this.str(p + 5, n);
          break;
        }
        case 0xf1:
          size = 3;
          this.isInt = true;
          this.iv = ((b[p + 1] | (b[p + 2] << 8)) << 16) >> 16;
          break;
        case 0xf2:
          size = 4;
          this.isInt = true;
          this.iv = ((b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16)) << 8) >> 8;
          break;
        case 0xf3:
          size = 5;
          this.isInt = true;
          this.iv = b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16) | (b[p + 4] << 24);
          break;
        case 0xf4:
          size = 9;
          if (p + 9 <= limit) this.int64At(p + 1);
          break;
        case 0xff:
          return this.finish();
        default:
          return this.fail(`a listpack entry encoding, found 0x${e.toString(16)}`, p);
      }
    }
    const bl = backlenSize(size);
    const next = p + size + bl;
    if (next > limit) this.fail(`a listpack entry of ${size + bl} bytes inside the listpack`, p);
    // The back-length's last byte holds the low 7 bits; it has bit 7 set unless it is alone.
    const last = b[next - 1];
    if (bl === 1 ? last !== size : (last & 0x80) === 0 || (last & 0x7f) !== (size & 0x7f)) {
      this.fail(`listpack back-length encoding ${size}`, p + size);
    }
    this.p = next;
    this.seen++;
    return true;
  }

  private str(at: number, n: number): void {
    if (at + n > this.end - 1) this.fail(`a ${n}-byte listpack string inside the listpack`, at);
    this.isInt = false;
    this.sb = this.buf;
    this.s = at;
    this.e = at + n;
  }

  private finish(): false {
    if (this.p !== this.end - 1) this.fail('the listpack terminator as its last byte', this.p);
    if (this.declared !== 65535 && this.declared !== this.seen) {
      if (this.onMiscount === null) this.fail(`${this.declared} listpack entries as its header declares, found ${this.seen}`, this.start + 4);
      this.onMiscount(this.declared, this.seen);
    }
    return false;
  }
}
