/**
 * Node count of a Redis rax built by inserting 16-byte stream ids, computed from the ids in
 * ascending order with O(16) state, so a stream with millions of pending entries needs no
 * memory for them. Tree shape (memory-model.md, section 4.1): every key ends in an empty key
 * node; where keys diverge there is a branching node; a run of bytes with a single child is
 * one compressed node.
 */
const KEY = 16;

export class RaxCounter {
  count = 0;
  /** Depths of the branching nodes on the path to the last key, shallowest first. */
  private readonly stack = new Int32Array(KEY + 1);
  private depth = 0;
  private readonly prev = new Uint8Array(KEY);
  /** Common prefix of the last key with the one before it (-1 for the first key). */
  private prevLcp = -1;
  private nodes = 0;

  reset(): void {
    this.count = 0;
    this.depth = 0;
    this.nodes = 0;
    this.prevLcp = -1;
  }

  /** Add the next id; ids must arrive strictly ascending. */
  add(b: Uint8Array, at: number): void {
    if (this.count > 0) {
      let lcp = 0;
      while (lcp < KEY - 1 && b[at + lcp] === this.prev[lcp]) lcp++;
      // The previous key hangs under the deeper of its two divergence points.
      this.nodes += leaf(Math.max(this.prevLcp, lcp));
      const s = this.stack;
      while (this.depth > 0 && s[this.depth - 1] > lcp) {
        const d = s[--this.depth];
        const parent = this.depth > 0 && s[this.depth - 1] >= lcp ? s[this.depth - 1] : lcp;
        this.nodes += branch(d, parent);
      }
      if (this.depth === 0 || s[this.depth - 1] < lcp) s[this.depth++] = lcp;
      this.prevLcp = lcp;
    }
    this.prev.set(b.subarray(at, at + KEY));
    this.count++;
  }

  /** Nodes of the finished tree (an empty rax has one node). */
  total(): number {
    if (this.count === 0) return 1;
    let n = this.nodes + leaf(this.prevLcp);
    for (let i = this.depth - 1; i >= 0; i--) n += branch(this.stack[i], i > 0 ? this.stack[i - 1] : -1);
    return n;
  }

  /** raxMem as MEMORY USAGE counts it: 16 per element, 4 + 240 per node (memory-model 4.1). */
  memory(): number {
    return 16 * this.count + 244 * this.total();
  }
}

/** A key under a branch at depth d (-1: the root): its key node, plus a compressed tail. */
function leaf(d: number): number {
  return 1 + (KEY > d + 1 ? 1 : 0);
}

/** A branching node at depth d under a parent at depth p: itself, plus the run leading to it. */
function branch(d: number, p: number): number {
  return 1 + (d > p + 1 ? 1 : 0);
}
