/** Ziplist walking (Redis ≤ 6.2 lists, hashes and zsets) with prevlen/size/count checks. */
import { BlobCursor, u32le } from './blob.ts';

export class ZiplistCursor extends BlobCursor {
  declared = 0;
  seen = 0;
  private prevSize = 0;

  open(): void {
    const len = this.end - this.start;
    if (len < 11) this.fail(`a ziplist of at least 11 bytes, found ${len}`, this.start);
    const total = u32le(this.buf, this.start);
    if (total !== len) this.fail(`ziplist zlbytes ${total} equal to its ${len}-byte string`, this.start);
    if (this.buf[this.end - 1] !== 0xff) this.fail('ziplist terminator 0xFF at its end', this.end - 1);
    const tail = u32le(this.buf, this.start + 4);
    if (tail > len - 1) this.fail(`ziplist tail offset ${tail} inside the ziplist`, this.start + 4);
    this.declared = this.buf[this.start + 8] | (this.buf[this.start + 9] << 8);
    this.p = this.start + 10;
    this.seen = 0;
    this.prevSize = 0;
  }

  next(): boolean {
    const b = this.buf;
    const p = this.p;
    const limit = this.end - 1;
    if (p === limit) return this.finish();
    if (p > limit) this.fail('a ziplist entry inside the ziplist', p);
    let q = p;
    let prev = b[q];
    if (prev === 0xff) this.fail('a ziplist entry, found the terminator before the end', p);
    if (prev === 0xfe) {
      if (q + 5 > limit) this.fail('a 5-byte ziplist prevlen inside the ziplist', p);
      prev = u32le(b, q + 1);
      q += 5;
    } else q += 1;
    if (prev !== this.prevSize) this.fail(`ziplist prevlen ${this.prevSize}, found ${prev}`, p);
    if (q >= limit) this.fail('a ziplist entry encoding inside the ziplist', q);
    const e = b[q];
    const kind = e >> 6;
    let dataEnd: number;
    if (kind === 0) {
      dataEnd = this.str(q + 1, e & 0x3f);
    } else if (kind === 1) {
      if (q + 2 > limit) this.fail('a 14-bit ziplist string length inside the ziplist', q);
      dataEnd = this.str(q + 2, ((e & 0x3f) << 8) | b[q + 1]);
    } else if (e === 0x80) {
      if (q + 5 > limit) this.fail('a 32-bit ziplist string length inside the ziplist', q);
      dataEnd = this.str(q + 5, ((b[q + 1] << 24) | (b[q + 2] << 16) | (b[q + 3] << 8) | b[q + 4]) >>> 0);
    } else {
      this.isInt = true;
      switch (e) {
        case 0xc0:
          dataEnd = q + 3;
          this.iv = ((b[q + 1] | (b[q + 2] << 8)) << 16) >> 16;
          break;
        case 0xd0:
          dataEnd = q + 5;
          this.iv = b[q + 1] | (b[q + 2] << 8) | (b[q + 3] << 16) | (b[q + 4] << 24);
          break;
        case 0xe0:
          dataEnd = q + 9;
          if (dataEnd <= limit) this.int64At(q + 1);
          break;
        case 0xf0:
          dataEnd = q + 4;
          this.iv = ((b[q + 1] | (b[q + 2] << 8) | (b[q + 3] << 16)) << 8) >> 8;
          break;
        case 0xfe:
          dataEnd = q + 2;
          this.iv = (b[q + 1] << 24) >> 24;
          break;
        default:
          if (e >= 0xf1 && e <= 0xfd) {
            dataEnd = q + 1;
            this.iv = (e & 0x0f) - 1;
          } else {
            return this.fail(`a ziplist entry encoding, found 0x${e.toString(16)}`, q);
          }
      }
    }
    if (dataEnd > limit) this.fail('a ziplist entry inside the ziplist', p);
    this.prevSize = dataEnd - p;
    this.p = dataEnd;
    this.seen++;
    return true;
  }

  private str(at: number, n: number): number {
    if (at + n > this.end - 1) this.fail(`a ${n}-byte ziplist string inside the ziplist`, at);
    this.isInt = false;
    this.sb = this.buf;
    this.s = at;
    this.e = at + n;
    return at + n;
  }

  private finish(): false {
    if (this.declared !== 65535 && this.declared !== this.seen) {
      this.fail(`${this.declared} ziplist entries as its header declares, found ${this.seen}`, this.start + 8);
    }
    return false;
  }
}
