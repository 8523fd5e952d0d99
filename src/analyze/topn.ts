/**
 * Bounded top-N: keeps the `limit` best entries seen, in O(log N) per accepted entry and
 * O(1) per rejected one (compare with the floor). A binary min-heap whose root is the
 * worst kept entry.
 *
 * `rank(a, b)` is a total order: > 0 when `a` ranks above `b`. With a total order (ties
 * broken on the key itself) the result is independent of the order entries arrive in, so
 * the top-N of a union equals the top-N of the per-part top-Ns: what makes merged reports
 * exact.
 */
export class TopN<T> {
  private readonly heap: T[] = [];

  constructor(
    readonly limit: number,
    private readonly rank: (a: T, b: T) => number,
  ) {}

  /** The worst kept entry once the heap is full (what a new entry must beat), else undefined. */
  floor(): T | undefined {
    return this.heap.length >= this.limit ? this.heap[0] : undefined;
  }

  /** Offers an entry; true when it was kept. */
  offer(e: T): boolean {
    const h = this.heap;
    if (this.limit <= 0) return false;
    if (h.length < this.limit) {
      h.push(e);
      this.up(h.length - 1);
      return true;
    }
    if (this.rank(e, h[0]) <= 0) return false;
    h[0] = e;
    this.down(0);
    return true;
  }

  /** The kept entries, best first (a new array). */
  sorted(): T[] {
    return this.heap.slice().sort((a, b) => this.rank(b, a));
  }

  private up(i: number): void {
    const h = this.heap;
    const e = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.rank(h[p], e) <= 0) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = e;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.rank(h[r], h[l]) < 0 ? r : l;
      if (this.rank(h[c], e) >= 0) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = e;
  }
}
