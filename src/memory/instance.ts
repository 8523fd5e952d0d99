/**
 * Estimated `used_memory` of a server that loaded the file: the per-key MEMORY USAGE figures
 * plus what that command leaves out (docs/memory-model.md, section 6; 4.0 and 8.x:
 * docs/memory-model-redis8.md, instance): allocator rounding of the main dict entries, the main
 * and expires dict bucket arrays, expires entries, inner dict entries, shared integers, what a
 * release counts at requested size, and the empty server's own baseline.
 */
import type { KeyRecord } from '../core/types.ts';
import type { KeyOverhead } from './model.ts';
import { nextPow2 } from './sizes.ts';
import { BUCKET, presizedBuckets } from './valkey.ts';
import { sizeClassFor, type AllocatorProfile } from './allocator.ts';
import { modelName } from '../format/version.ts';

/**
 * `used_memory` of an empty server right after start-up with one client connected, measured
 * per release: `used_memory_startup` (jemalloc builds: 5.0 791.6k, 7.0 858.9k, 7.4 946.6k;
 * Debian's 7.0 with the system jemalloc 876.2k) plus about 38 KB for the connection and the
 * buffers a first command allocates.
 */
function baselineBytes(v: number, allocator: AllocatorProfile, valkey: number): number {
  const client = 38_500;
  // Valkey (bundled jemalloc): the empty server's used_memory at one client's first INFO
  // (docs/memory-model-valkey.md, instance).
  if (valkey >= 900) return VALKEY_9_BASELINE;
  if (valkey >= 801) return 922_100;
  // 4.0.14, 8.0.6 and 8.6.3 (bundled jemalloc): used_memory of the empty server as one
  // client's INFO sees it, measured directly (docs/memory-model-redis8.md, instance).
  if (v >= 806) return 769_400;
  if (v >= 800) return 716_100;
  if (v >= 704) return 946_600 + client;
  if (v >= 700) return (allocator === 'jemalloc16' ? 876_200 : 858_900) + client;
  if (v >= 500) return 791_600 + client;
  if (v >= 400) return 848_700;
  return 508_000 + client;
}

const VALKEY_9_BASELINE = 969_700;

/** Bytes of the 16-byte entries a no-value table of `n` keys, pre-sized to them, allocates. */
function chained(n: number): number {
  if (n === 0) return 0;
  const b = nextPow2(n);
  return Math.round(16 * (n - b * (1 - Math.pow(1 - 1 / b, n))));
}

export interface InstanceEstimate {
  /** Estimated used_memory in bytes: realBytes + tablesBytes + startupBytes. */
  usedMemory: number;
  /** Σ MEMORY USAGE of every key. */
  keysBytes: number;
  /** Σ real bytes of every key (KeyRecord.realBytes: what a DEL of the key would free). */
  realBytes: number;
  /** The keyspace and expires tables themselves (bucket arrays, table structs): no key's own. */
  tablesBytes: number;
  /** Everything else: dicts, expires, allocator rounding, baseline. */
  overheadBytes: number;
  /** The empty server's own memory with one client connected. */
  startupBytes: number;
  /** The server the figures model, e.g. `Redis 7.4`, `Valkey 9.1`. */
  server: string;
  /** The allocator profile the sizes assume. */
  allocator: AllocatorProfile;
}

export class InstanceAccumulator {
  private keysBytes = 0;
  private realBytes = 0;
  private readonly perDb = new Map<number, { keys: number; expires: number }>();
  private lastDb = -1;
  private last: { keys: number; expires: number } = { keys: 0, expires: 0 };

  /** What a 24-byte dictEntry's allocation adds: 8 where the allocator has no 24-byte class. */
  private readonly entryRounding: number;

  constructor(
    /** The server version the estimate is for (a late version aux field may change it). */
    public version: number,
    private readonly allocator: AllocatorProfile,
    /** Valkey release of the modelled server, 0 for Redis: its keyspace has no dict entries. */
    public valkey = 0,
  ) {
    this.entryRounding = sizeClassFor(allocator)(24) - 24;
  }

  /**
   * Counts the key and sets `rec.realBytes`: its MEMORY USAGE plus what the instance pays for
   * it beyond that (or minus what that command over-counts). The same figure goes into the
   * estimate, so Σ realBytes + tables + baseline is the estimate by construction.
   */
  add(rec: KeyRecord, o: KeyOverhead): void {
    this.keysBytes += rec.memoryBytes;
    const real = rec.memoryBytes + this.keyExtra(rec, o);
    rec.realBytes = real;
    this.realBytes += real;
  }

  /** What the key costs the instance beyond its MEMORY USAGE (may be negative). */
  private keyExtra(rec: KeyRecord, o: KeyOverhead): number {
    if (this.valkey >= 801) {
      // The keyspace and expires tables point at the value object, which holds key and expire
      // time; hashtable values count their own buckets (docs/memory-model-valkey.md, instance).
      this.countKey(rec);
      return o.objectExtra - o.raxExcess + o.uncounted;
    }
    // The main dict's entry and the entries inside hashtable values may take a bigger slot
    // than the 24 bytes MEMORY USAGE counts. 8.6 keeps keys in the buckets (collisions are
    // added per table in finish) and counts no main dict entry.
    const kv = this.version >= 806;
    let extra = this.entryRounding * ((kv ? 0 : 1) + o.htElements) - o.dictExcess + o.uncounted - o.raxExcess;
    if (o.sharedInt) extra -= 16;
    // An expires entry: 24 bytes in their size class (8.6: in the no-value table's collisions).
    if (this.countKey(rec) && !kv) extra += 24 + this.entryRounding;
    return extra;
  }

  /** Count the key in its database; true when it has an expire time. */
  private countKey(rec: KeyRecord): boolean {
    let db = this.last;
    if (rec.db !== this.lastDb) {
      const known = this.perDb.get(rec.db);
      if (known) db = known;
      else this.perDb.set(rec.db, (db = { keys: 0, expires: 0 }));
      this.lastDb = rec.db;
      this.last = db;
    }
    db.keys++;
    if (rec.expireAtMs < 0) return false;
    db.expires++;
    return true;
  }

  /** Fold another accumulator (another shard or worker) into this one. */
  merge(other: InstanceAccumulator): void {
    this.keysBytes += other.keysBytes;
    this.realBytes += other.realBytes;
    for (const [db, s] of other.perDb) {
      const mine = this.perDb.get(db);
      if (mine) {
        mine.keys += s.keys;
        mine.expires += s.expires;
      } else this.perDb.set(db, { ...s });
    }
  }

  finish(): InstanceEstimate {
    let dicts = 0;
    for (const { keys, expires } of this.perDb.values()) {
      if (this.valkey >= 801) {
        // Each table: its struct with kvstore metadata (88 bytes, a 96-byte allocation) and
        // its buckets, pre-sized on load from the RESIZEDB counts.
        dicts += 96 + BUCKET * presizedBuckets(keys);
        if (expires > 0) dicts += 96 + BUCKET * presizedBuckets(expires);
        continue;
      }
      dicts += 8 * nextPow2(keys);
      if (expires > 0) dicts += 8 * nextPow2(expires);
      // 8.x: a database's kvstore (struct, dict and bookkeeping) once it holds keys; 8.6's
      // keyspace and expires tables allocate a 16-byte entry only where a bucket is taken
      // (docs/memory-model-redis8.md, instance).
      if (this.version >= 800 && keys > 0) dicts += 2560;
      if (this.version >= 806) dicts += chained(keys) + chained(expires);
    }
    const startup = baselineBytes(this.version, this.allocator, this.valkey);
    const usedMemory = this.realBytes + dicts + startup;
    return {
      usedMemory, keysBytes: this.keysBytes, realBytes: this.realBytes, tablesBytes: dicts,
      overheadBytes: usedMemory - this.keysBytes, startupBytes: startup,
      server: modelName({ producer: this.valkey ? 'valkey' : 'redis', text: '', num: this.version, valkey: this.valkey }),
      allocator: this.allocator,
    };
  }
}
