/**
 * Exact membership of byte strings, for the duplicate-member check of `check`/`dump`: an
 * open-addressing table of (hash, offset, length) over an arena holding the bytes, so a
 * member costs a hash and a compare, not a decoded string and a Set entry per member.
 */

const EMPTY_HINT = 1 << 16;

export class DupSet {
  /** Members added since clear(). */
  size = 0;
  private arena = new Uint8Array(EMPTY_HINT);
  private used = 0;
  /** Per member: hash, arena offset, length. */
  private entries = new Int32Array(3 * 1024);
  /** Open addressing: member index + 1, valid only where `stamps` holds the current generation. */
  private slots = new Int32Array(2048);
  private stamps = new Int32Array(2048);
  private gen = 1;
  private readonly digits = new Uint8Array(24);

  clear(): void {
    // A huge key leaves big buffers behind: drop them rather than keep them for every later key.
    if (this.arena.length > 1 << 22) this.arena = new Uint8Array(EMPTY_HINT);
    if (this.entries.length > 3 << 18) this.entries = new Int32Array(3 * 1024);
    if (this.slots.length > 1 << 19) {
      this.slots = new Int32Array(2048);
      this.stamps = new Int32Array(2048);
    }
    // A new generation empties the table without touching it.
    this.gen++;
    this.size = 0;
    this.used = 0;
  }

  /** Adds the integer member `v` (as its decimal text, which is how it compares); true when present already. */
  addInt(v: number): boolean {
    const d = this.digits;
    const s = String(v);
    for (let i = 0; i < s.length; i++) d[i] = s.charCodeAt(i);
    return this.add(d, 0, s.length);
  }

  /** Adds `b[s, e)`; true when it was present already. */
  add(b: Uint8Array, s: number, e: number): boolean {
    let h = 0x811c9dc5 | 0;
    for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    const n = e - s;
    let slots = this.slots;
    let stamps = this.stamps;
    const gen = this.gen;
    let mask = slots.length - 1;
    let i = h & mask;
    const ent = this.entries;
    const arena = this.arena;
    for (; stamps[i] === gen; i = (i + 1) & mask) {
      const k = 3 * (slots[i]! - 1);
      if (ent[k] === h && ent[k + 2] === n && sameBytes(arena, ent[k + 1]!, b, s, n)) return true;
    }
    // Not present: store it.
    if (this.used + n > this.arena.length) this.arena = grow(this.arena, this.used + n);
    const a = this.arena;
    for (let j = 0, o = this.used; j < n; j++) a[o + j] = b[s + j]!;
    if (3 * (this.size + 1) > this.entries.length) {
      const bigger = new Int32Array(this.entries.length * 2);
      bigger.set(this.entries);
      this.entries = bigger;
    }
    const k = 3 * this.size;
    this.entries[k] = h;
    this.entries[k + 1] = this.used;
    this.entries[k + 2] = n;
    this.used += n;
    this.size++;
    if (2 * this.size > slots.length) {
      this.rehash();
      slots = this.slots;
      stamps = this.stamps;
      mask = slots.length - 1;
      i = h & mask;
      while (stamps[i] === gen) i = (i + 1) & mask;
    }
    slots[i] = this.size;
    stamps[i] = gen;
    return false;
  }

  /** Doubles the table and re-files every member but the one being added (size - 1 of them). */
  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const stamps = new Int32Array(slots.length);
    const gen = this.gen;
    const mask = slots.length - 1;
    const ent = this.entries;
    for (let m = 1; m < this.size; m++) {
      let i = ent[3 * (m - 1)]! & mask;
      while (stamps[i] === gen) i = (i + 1) & mask;
      slots[i] = m;
      stamps[i] = gen;
    }
    this.slots = slots;
    this.stamps = stamps;
  }
}

function sameBytes(a: Uint8Array, as: number, b: Uint8Array, bs: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[as + i] !== b[bs + i]) return false;
  return true;
}

function grow(a: Uint8Array, need: number): Uint8Array<ArrayBuffer> {
  let size = a.length * 2;
  while (size < need) size *= 2;
  const b = new Uint8Array(size);
  b.set(a);
  return b;
}
