/** Zipmap walking (Redis 2.4 hashes): alternating field and value entries. */
import { BlobCursor, u32le } from './blob.ts';

export class ZipmapCursor extends BlobCursor {
  private field = true;

  open(): void {
    if (this.end - this.start < 2) this.fail('a zipmap of at least 2 bytes', this.start);
    this.p = this.start + 1;
    this.field = true;
  }

  next(): boolean {
    const b = this.buf;
    let p = this.p;
    if (p >= this.end) this.fail('the zipmap terminator 0xFF', p);
    let n = b[p];
    if (n === 0xff) {
      if (!this.field) this.fail('a zipmap value after the last field', p);
      if (p !== this.end - 1) this.fail('the zipmap terminator as its last byte', p);
      return false;
    }
    if (n === 0xfe) {
      if (p + 5 > this.end) this.fail('a 4-byte zipmap length', p);
      n = u32le(b, p + 1);
      p += 5;
    } else p += 1;
    let free = 0;
    if (!this.field) {
      if (p >= this.end) this.fail('a zipmap free byte', p);
      free = b[p++];
    }
    if (p + n + free > this.end - 1) this.fail(`a ${n}-byte zipmap entry inside the zipmap`, this.p);
    this.isInt = false;
    this.sb = b;
    this.s = p;
    this.e = p + n;
    this.p = p + n + free;
    this.field = !this.field;
    return true;
  }
}
