/**
 * Estimated `used_memory` of a server that loaded the file: the per-key MEMORY USAGE figures
 * plus what that command leaves out (memory-model.md, section 6): allocator rounding of the
 * main dict entries, the main and expires dict bucket arrays, expires entries, inner dict
 * entries, shared integers, and the empty server's own baseline.
 */
import type { KeyRecord } from '../types.ts';
import type { KeyOverhead } from './model.ts';
import { nextPow2 } from './sizes.ts';
import type { AllocatorProfile } from './allocator.ts';

/**
 * `used_memory` of an empty server right after start-up with one client connected, measured
 * per release: `used_memory_startup` (jemalloc builds: 5.0 791.6k, 7.0 858.9k, 7.4 946.6k;
 * Debian's 7.0 with the system jemalloc 876.2k) plus about 38 KB for the connection and the
 * buffers a first command allocates.
 */
function baselineBytes(v: number, allocator: AllocatorProfile): number {
  const client = 38_500;
  if (v >= 704) return 946_600 + client;
  if (v >= 700) return (allocator === 'jemalloc16' ? 876_200 : 858_900) + client;
  if (v >= 500) return 791_600 + client;
  return 508_000 + client;
}

export interface InstanceEstimate {
  /** Estimated used_memory in bytes. */
  usedMemory: number;
  /** Σ MEMORY USAGE of every key. */
  keysBytes: number;
  /** Everything else: dicts, expires, allocator rounding, baseline. */
  overheadBytes: number;
  /** The empty server's own memory with one client connected. */
  startupBytes: number;
}

export class InstanceAccumulator {
  private keysBytes = 0;
  private extra = 0;
  private readonly perDb = new Map<number, { keys: number; expires: number }>();
  private lastDb = -1;
  private last: { keys: number; expires: number } = { keys: 0, expires: 0 };

  constructor(
    /** The server version the estimate is for (a late version aux field may change it). */
    public version: number,
    private readonly allocator: AllocatorProfile,
  ) {}

  add(rec: KeyRecord, o: KeyOverhead): void {
    this.keysBytes += rec.memoryBytes;
    // The 24-byte dictEntry takes a 32-byte slot; so do entries inside hashtable values.
    this.extra += 8 + 8 * o.htElements;
    if (o.sharedInt) this.extra -= 16;
    this.extra -= o.raxExcess;
    let db = this.last;
    if (rec.db !== this.lastDb) {
      const known = this.perDb.get(rec.db);
      if (known) db = known;
      else this.perDb.set(rec.db, (db = { keys: 0, expires: 0 }));
      this.lastDb = rec.db;
      this.last = db;
    }
    db.keys++;
    if (rec.expireAtMs >= 0) {
      db.expires++;
      this.extra += 32;
    }
  }

  /** Fold another accumulator (another shard or worker) into this one. */
  merge(other: InstanceAccumulator): void {
    this.keysBytes += other.keysBytes;
    this.extra += other.extra;
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
      dicts += 8 * nextPow2(keys);
      if (expires > 0) dicts += 8 * nextPow2(expires);
    }
    const startup = baselineBytes(this.version, this.allocator);
    const overhead = this.extra + dicts + startup;
    return { usedMemory: this.keysBytes + overhead, keysBytes: this.keysBytes, overheadBytes: overhead, startupBytes: startup };
  }
}
