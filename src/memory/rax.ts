/**
 * Node count of a Redis rax built by inserting 16-byte stream ids, computed from the ids in
 * ascending order with O(16) state, so a stream with millions of pending entries needs no
 * memory for them. Tree shape (docs/memory-model.md, section 4.1): every key ends in an empty key
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
  // Node shapes, for the real allocation Valkey counts (allocSize): children of each branching
  // node on the stack, and how many finished compressed runs and branching nodes of each size.
  private readonly kidStack = new Int32Array(KEY + 1);
  private readonly runs = new Int32Array(KEY + 1);
  private readonly kids = new Int32Array(257);
  private leaves = 0;

  reset(): void {
    this.count = 0;
    this.depth = 0;
    this.nodes = 0;
    this.prevLcp = -1;
    if (this.leaves > 0) {
      this.runs.fill(0);
      this.kids.fill(0);
      this.leaves = 0;
    }
  }

  /** Add the next id; ids must arrive strictly ascending. */
  add(b: Uint8Array, at: number): void {
    if (this.count > 0) {
      let lcp = 0;
      while (lcp < KEY - 1 && b[at + lcp] === this.prev[lcp]) lcp++;
      // The previous key hangs under the deeper of its two divergence points.
      const under = Math.max(this.prevLcp, lcp);
      this.nodes += leaf(under);
      this.leaves++;
      this.runs[KEY - under - 1]++;
      const s = this.stack;
      while (this.depth > 0 && s[this.depth - 1] > lcp) {
        const d = s[--this.depth];
        const parent = this.depth > 0 && s[this.depth - 1] >= lcp ? s[this.depth - 1] : lcp;
        this.nodes += branch(d, parent);
        this.kids[this.kidStack[this.depth]]++;
        this.runs[d - parent - 1]++;
      }
      if (this.depth === 0 || s[this.depth - 1] < lcp) {
        this.kidStack[this.depth] = 2;
        s[this.depth++] = lcp;
      } else this.kidStack[this.depth - 1]++;
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

  /**
   * The tree's real allocation, which Valkey tracks and MEMORY USAGE reports (raxAllocSize):
   * the 32-byte rax struct, and per node a 4-byte header, its key bytes padded to 8, a child
   * pointer per child and, on key nodes, the value pointer (docs/memory-model-valkey.md, streams).
   */
  allocSize(sc: (n: number) => number): number {
    if (this.count === 0) return sc(32) + sc(8);
    let bytes = sc(32) + (this.leaves + 1) * sc(16);
    const runs = this.runs;
    const lastRun = KEY - this.prevLcp - 1;
    for (let len = 1; len <= KEY; len++) {
      const n = runs[len] + (len === lastRun ? 1 : 0);
      if (n > 0) bytes += n * sc(align8(4 + len) + 8);
    }
    for (let c = 2; c <= 256; c++) if (this.kids[c] > 0) bytes += this.kids[c] * sc(align8(4 + c) + 8 * c);
    // Branching nodes still on the path to the last key, and the runs leading to them.
    for (let i = this.depth - 1; i >= 0; i--) {
      const c = this.kidStack[i];
      bytes += sc(align8(4 + c) + 8 * c);
      const run = this.stack[i] - (i > 0 ? this.stack[i - 1] : -1) - 1;
      if (run > 0) bytes += sc(align8(4 + run) + 8);
    }
    return bytes;
  }

  /** raxMem as MEMORY USAGE counts it: 16 per element, 4 + 240 per node (docs/memory-model.md, section 4.1). */
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

function align8(n: number): number {
  return (n + 7) & ~7;
}

/**
 * The real allocation of a rax built from keys of any length inserted in ascending byte order
 * (consumer group and consumer names, which a dump lists in that order), every key with a
 * value: O(key length) state. The tree is canonical: a node starts at the root, at each key's
 * end and at each child of a branching point; a node with one child holds the whole run down
 * to the next of those (docs/memory-model-redis8.md, streams).
 */
export class NameRax {
  private readonly sc: (n: number) => number;
  private prev = new Uint8Array(32);
  private prevLen = -1;
  /** The path to the last key: its branching points and key ends, root first. */
  private top = 0;
  private depth = new Int32Array(8);
  private kids = new Int32Array(8);
  private isKey = new Uint8Array(8);
  /** Length of the run below an entry whose only child it is. */
  private firstRun = new Int32Array(8);
  /** Separate run nodes below a branching entry, already sized. */
  private runBytes = new Float64Array(8);
  private bytes = 0;

  constructor(sc: (n: number) => number) {
    this.sc = sc;
    this.reset();
  }

  reset(): void {
    this.prevLen = -1;
    this.top = 0;
    this.bytes = 0;
    this.push(0, false);
  }

  add(b: Uint8Array, start: number, end: number): void {
    const m = end - start;
    let lcp = 0;
    if (this.prevLen >= 0) {
      const limit = Math.min(m, this.prevLen);
      while (lcp < limit && b[start + lcp] === this.prev[lcp]) lcp++;
      while (this.depth[this.top - 1] > lcp) {
        const d = this.depth[--this.top];
        this.bytes += this.nodeBytes(this.top);
        if (this.depth[this.top - 1] < lcp) {
          // The keys part inside a run: a new branching point there.
          this.push(lcp, false);
          this.kids[this.top - 1] = 1;
        }
        this.closeRun(this.top - 1, d - this.depth[this.top - 1]);
      }
    }
    if (m > lcp) {
      this.kids[this.top - 1]++;
      this.push(m, true);
    } else this.isKey[this.top - 1] = 1;
    if (this.prev.length < m) this.prev = new Uint8Array(Math.max(m, 2 * this.prev.length));
    this.prev.set(b.subarray(start, end));
    this.prevLen = m;
  }

  /** Bytes of the rax: its struct (32 bytes in 8.6, 24 before) and every node. Call once, then reset. */
  allocSize(structBytes = 32): number {
    while (this.top > 1) {
      const d = this.depth[--this.top];
      this.bytes += this.nodeBytes(this.top);
      this.closeRun(this.top - 1, d - this.depth[this.top - 1]);
    }
    return this.sc(structBytes) + this.bytes + this.nodeBytes(0);
  }

  private push(depth: number, key: boolean): void {
    if (this.top === this.depth.length) {
      const n = 2 * this.top;
      const grow = <T extends Int32Array | Uint8Array | Float64Array>(a: T, c: new (n: number) => T): T => {
        const x = new c(n);
        x.set(a);
        return x;
      };
      this.depth = grow(this.depth, Int32Array);
      this.kids = grow(this.kids, Int32Array);
      this.isKey = grow(this.isKey, Uint8Array);
      this.firstRun = grow(this.firstRun, Int32Array);
      this.runBytes = grow(this.runBytes, Float64Array);
    }
    const i = this.top++;
    this.depth[i] = depth;
    this.kids[i] = 0;
    this.isKey[i] = key ? 1 : 0;
    this.firstRun[i] = 0;
    this.runBytes[i] = 0;
  }

  /** A finished run of `len` bytes below entry i, down to the next node of the path. */
  private closeRun(i: number, len: number): void {
    if (this.kids[i] === 1) this.firstRun[i] = len;
    // Below a branching point the child's node starts one byte down.
    if (len > 1) this.runBytes[i] += this.sc(align8(4 + len - 1) + 8);
  }

  private nodeBytes(i: number): number {
    const value = this.isKey[i] ? 8 : 0;
    const c = this.kids[i];
    if (c === 0) return this.sc(8 + value);
    if (c === 1) return this.sc(align8(4 + this.firstRun[i]) + 8 + value);
    return this.sc(align8(4 + c) + 8 * c + value) + this.runBytes[i];
  }
}
