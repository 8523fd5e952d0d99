/**
 * Valkey 8.1+ building blocks (docs/memory-model-valkey.md): the open-addressing hashtable
 * that replaced `dict` (64-byte buckets of 7 slots, child buckets for overflow), value objects
 * that embed their key and expire time, hash entries that embed field and value, and 9.x
 * skiplist nodes that embed their member.
 */
import type { SizeClass } from './allocator.ts';

/** One hashtable bucket: a cache line holding 7 entry pointers. */
export const BUCKET = 64;
const SLOTS = 7;

/** Header size of the sds Valkey picks for a string of `len` bytes (sdsReqType). */
export function vkSdsHeader(len: number): number {
  return len < 32 ? 1 : len <= 252 ? 3 : len <= 65529 ? 5 : len <= 4294967286 ? 9 : 17;
}

/** Bytes an sds of `len` needs written into a larger allocation (sdsReqSize). */
export function vkSdsSize(len: number): number {
  return vkSdsHeader(len) + len + 1;
}

/**
 * Bytes requested for a value object that is not an embedded string: the 16-byte robj, the
 * key behind it (one byte giving its header size, then the sds), and the expire time when the
 * key has one — or when the key is 128 bytes or longer, which always reserves it.
 */
export function vkObjectBytes(keyLength: number, hasExpire: boolean): number {
  return 16 + 1 + vkSdsSize(keyLength) + (hasExpire || keyLength >= 128 ? 8 : 0);
}

/** Top-level buckets a hashtable sized for `n` entries gets: n·5/32 rounded up to a power of two. */
export function vkBuckets(n: number): number {
  if (n <= 0) return 0;
  const min = Math.floor((n * 5 - 1) / 32) + 1;
  let b = 1;
  while (b < min) b *= 2;
  return b;
}

/**
 * Expected number of child buckets when `entries` hash uniformly into `buckets` buckets: a
 * bucket receiving k > 7 entries chains ceil((k - 7) / 6) children (a chained bucket gives
 * its last slot to the child pointer). Bucket loads are binomial.
 */
export function expectedChildren(entries: number, buckets: number): number {
  if (buckets <= 0 || entries <= SLOTS) return 0;
  if (buckets === 1) return Math.ceil((entries - SLOTS) / 6);
  const p = 1 / buckets;
  const q = 1 - p;
  // P(k) by the recurrence P(k+1) = P(k)·(n-k)/(k+1)·p/q, from P(0) = q^n.
  let pk = Math.exp(entries * Math.log1p(-p));
  let below = 0;
  for (let k = 0; k <= SLOTS; k++) {
    below += pk;
    pk *= ((entries - k) / (k + 1)) * (p / q);
  }
  // pk is now P(8); sum the tail until it vanishes.
  let e = 0;
  let tail = 1 - below;
  for (let k = SLOTS + 1; k <= entries && tail > 1e-12; k++) {
    e += pk * Math.ceil((k - SLOTS) / 6);
    tail -= pk;
    pk *= ((entries - k) / (k + 1)) * (p / q);
  }
  return buckets * e;
}

/**
 * A Valkey hashtable as a load builds it: explicit expands, then inserts that grow the table
 * when it is full (7 entries per bucket) and rehash incrementally, one bucket index per insert
 * (each insert looks the key up first, which moves one bucket). MEMORY USAGE counts both
 * tables while a rehash is unfinished, and every child bucket.
 */
export class HashtableSim {
  private b0 = 0;
  private b1 = 0;
  private idx = 0;
  private used = 0;
  /** Entries table 0 held when the running rehash started. */
  private atStart = 0;

  reset(): void {
    this.b0 = this.b1 = this.idx = this.used = this.atStart = 0;
  }

  /** hashtableExpand / hashtableTryExpand. */
  expand(n: number): void {
    if (n < this.used) return;
    this.resize(n);
  }

  private resize(minCapacity: number): void {
    const b = vkBuckets(Math.max(minCapacity, 1));
    if (b === (this.b1 || this.b0)) return;
    // A resize during a rehash first finishes it.
    if (this.b1) this.finish();
    if (this.b0 === 0 || this.used === 0) {
      this.b0 = b;
      return;
    }
    this.b1 = b;
    this.idx = 0;
    this.atStart = this.used;
  }

  private finish(): void {
    this.b0 = this.b1;
    this.b1 = 0;
    this.idx = 0;
  }

  /** `count` inserts of new entries. */
  insert(count: number): void {
    while (count > 0) {
      if (this.b1) {
        const steps = Math.min(count, this.b0 - this.idx);
        this.idx += steps;
        this.used += steps;
        count -= steps;
        if (this.idx >= this.b0) this.finish();
        continue;
      }
      const room = SLOTS * this.b0 - this.used;
      if (room > 0) {
        const k = Math.min(room, count);
        this.used += k;
        count -= k;
        continue;
      }
      this.resize(this.used + 1);
      this.used++;
      count--;
    }
  }

  /** Buckets MEMORY USAGE counts: both tables and the expected child buckets. */
  buckets(): number {
    // The count depends on the loading server's random hash seed: its expectation, rounded
    // (docs/memory-model-valkey.md, section 3).
    if (!this.b1) return this.b0 + Math.round(expectedChildren(this.used, this.b0));
    // Buckets of table 0 not yet moved keep the load they had when the rehash started.
    const share = (this.b0 - this.idx) / this.b0;
    const children = expectedChildren(this.atStart, this.b0) * share + expectedChildren(this.used - this.atStart * share, this.b1);
    return this.b0 + this.b1 + Math.round(children);
  }
}

/** Buckets of a table pre-sized for its `n` entries, with the expected child buckets. */
export function presizedBuckets(n: number): number {
  const b = vkBuckets(n);
  return b + Math.round(expectedChildren(n, b));
}

/**
 * A hash field/value pair (8.1 hashTypeEntry, 9.x entry): field and value share one
 * allocation when together they take at most 128 bytes, else the entry holds the field and a
 * pointer to the value's own sds. A field with a TTL carries it in front and needs an sds
 * header with flag bits (type 8 or wider).
 */
export function vkHashEntry(sc: SizeClass, fieldLength: number, valueLength: number, ttl: boolean): number {
  const fieldHeader = ttl && fieldLength < 32 ? 3 : vkSdsHeader(fieldLength);
  const field = fieldHeader + fieldLength + 1;
  const expiry = ttl ? 8 : 0;
  const embedded = field + expiry + 3 + valueLength + 1;
  if (embedded <= 128) return sc(embedded);
  const wideField = fieldLength < 32 ? 3 + fieldLength + 1 : field;
  return sc(expiry + 8 + wideField) + vkSds(sc, valueLength);
}

/** Allocation of a standalone sds (sdsAllocSize of a fresh sdsnewlen). */
export function vkSds(sc: SizeClass, len: number): number {
  return sc(len === 0 ? 4 : vkSdsSize(len));
}

/**
 * 9.x: the volatile set tracking a hash's fields with TTLs (vset.c), from the number of such
 * fields and their earliest and latest expire times. One field is held in the set's pointer
 * itself; up to 127 sit in a sorted pointer vector (8-byte header, grown to the allocator's
 * size). Beyond that the set becomes a radix tree of time buckets keyed by 8-byte timestamps:
 * fields all in one 8192 ms window end in a single bucket that, unable to split, turns into a
 * hashtable grown insert by insert; spread fields are estimated as one bucket per window
 * holding a vector of its share (about 42 bytes of tree per bucket, measured).
 */
export function vkVolatileSet(sc: SizeClass, n: number, minTtl: number, maxTtl: number, table: HashtableSim): number {
  if (n <= 1) return 0;
  if (n <= 127) return sc(8 + 8 * n);
  const first = Math.floor(minTtl / 8192);
  const windows = Math.min(n, Math.floor(maxTtl / 8192) - first + 1);
  if (windows <= 1) {
    table.reset();
    table.insert(n);
    // The tree: 32-byte struct, one compressed 8-byte node (24), its key node (16).
    return 72 + 80 + BUCKET * table.buckets();
  }
  const share = Math.ceil(n / windows);
  return windows * (42 + (share > 1 ? sc(8 + 8 * Math.min(share, 127)) : 0));
}

/** Probability of a skiplist node level (P = 1/4, at most 32 levels). */
const LEVEL_P = (() => {
  const p = new Float64Array(33);
  let x = 0.75;
  for (let l = 1; l <= 32; l++) {
    p[l] = l === 32 ? Math.pow(0.25, 31) : x;
    x *= 0.25;
  }
  return p;
})();

/**
 * Expected allocation of a 9.x skiplist node for a member of `len` bytes: 16 bytes of score
 * and backward pointer, 16 per level, then the member embedded (one byte of header size and
 * the sds). Levels are random, so only the expectation is known.
 */
export class SkipNode9 {
  private readonly cache = new Float64Array(512);
  constructor(private readonly sc: SizeClass) {}

  expected(len: number): number {
    const extra = 1 + vkSdsSize(len);
    if (extra < this.cache.length) {
      const c = this.cache[extra];
      if (c !== 0) return c;
      return (this.cache[extra] = this.compute(extra));
    }
    return this.compute(extra);
  }

  /** The node with a single level: the likeliest shape (P = 3/4). */
  single(len: number): number {
    return this.sc(32 + 1 + vkSdsSize(len));
  }

  private compute(extra: number): number {
    let e = 0;
    for (let l = 1; l <= 32; l++) e += LEVEL_P[l] * this.sc(16 + 16 * l + extra);
    return e;
  }
}
