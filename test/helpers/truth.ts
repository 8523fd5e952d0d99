/**
 * Truth files (docs/truth-format.md) and the dumps beside them: the shared corpus when present
 * (`RDBSCOPE_CORPUS`, else ../shared/corpus next to the repository) and the project's fixtures.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileSource } from '../../src/input/source.ts';
import { Scan } from '../../src/scan.ts';
import { CanonicalCollector, type CanonicalValue } from '../../src/dump/canonical.ts';
import type { AllocatorProfile } from '../../src/memory/allocator.ts';
import type { FileInfo, KeyRecord } from '../../src/core/types.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = join(repoRoot, 'fixtures');
/** Matrix dumps of the release servers (bundled jemalloc): `npm run fixtures -- --server NAME matrix`. */
export const releaseDir = join(fixturesDir, 'release');

export function corpusDir(): string | null {
  const dir = process.env.RDBSCOPE_CORPUS ?? resolve(repoRoot, '../shared/corpus');
  return existsSync(dir) ? dir : null;
}

export interface TruthKey {
  db: number;
  key?: string;
  key_b64?: string;
  type: string;
  encoding: string;
  expire_at_ms: number | null;
  length: number;
  value?: unknown;
  sample?: unknown[];
  memory_usage: number | null;
  field_expire_at_ms?: Record<string, number>;
  lfu_freq?: number;
  lru_idle_s?: number;
  extra?: {
    value_sha256?: string;
    memory_usage_after_reload?: number;
    /** used_memory freed by DEL of this key alone on a freshly loaded server (release fixtures). */
    del_drop?: number;
    /** The drop of each independent load (fresh hash seed), when they differed. */
    del_drop_runs?: number[];
    debug_object?: { serializedlength?: number };
  };
}

export interface Truth {
  name: string;
  /** "valkey-9.1.2": the release build that wrote the dump (release fixtures). */
  server?: string;
  redis_version: string;
  /** INFO server valkey_version (Valkey; redis_version is then its Redis compatibility level). */
  valkey_version?: string;
  allocator: string;
  rdb_version: number;
  config: Record<string, unknown>;
  info_memory: { used_memory: number };
  keyspace: Record<string, { keys: number; expires: number }>;
  functions?: string[];
  keys: TruthKey[];
  extra?: {
    /** The allocator the MEMORY USAGE figures were measured with, when recorded. */
    allocator_profile?: AllocatorProfile;
    /** INFO memory of a fresh server that loaded the dump at start-up (release fixtures). */
    info_memory_fresh_load?: { used_memory: number };
    info_memory_after_debug_reload?: { used_memory: number };
    load_verification?: { encoding_changes_on_load?: Record<string, [string, string]> };
  };
}

export interface Dump {
  name: string;
  rdb: string;
  truth: Truth;
}

export function dumpsIn(dir: string): Dump[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.rdb') && existsSync(join(dir, f.replace(/\.rdb$/, '.truth.json'))))
    .sort()
    .map((f) => ({
      name: f.replace(/\.rdb$/, ''),
      rdb: join(dir, f),
      truth: JSON.parse(readFileSync(join(dir, f.replace(/\.rdb$/, '.truth.json')), 'utf8')) as Truth,
    }));
}

/** The release-server dumps with a truth in the corpus format (other files may sit beside them). */
export function releaseDumps(): Dump[] {
  return existsSync(releaseDir) ? dumpsIn(releaseDir).filter((d) => typeof d.truth.rdb_version === 'number' && Array.isArray(d.truth.keys)) : [];
}

/**
 * The allocator profile a dump's truth was measured with: as the truth records it
 * (`extra.allocator_profile`, the release fixtures), else by where the dump lives: the corpus
 * servers are builds with Redis' bundled jemalloc (8-byte quantum); the project's own fixtures
 * come from Debian's redis-server, which links the system jemalloc (16-byte quantum).
 */
export function allocatorOf(dump: Dump): AllocatorProfile {
  const recorded = dump.truth.extra?.allocator_profile;
  if (recorded) return recorded;
  return dump.rdb.startsWith(fixturesDir) ? 'jemalloc16' : 'jemalloc';
}

export function keyId(db: number, key: Uint8Array | Buffer): string {
  return `${db}/${Buffer.from(key).toString('base64')}`;
}

export function truthKeyBytes(k: TruthKey): Buffer {
  return k.key_b64 !== undefined ? Buffer.from(k.key_b64, 'base64') : Buffer.from(k.key!, 'utf8');
}

export interface ParsedKey {
  rec: KeyRecord;
  value: CanonicalValue;
  fieldExpire: Record<string, number> | null;
}

/** Parse a dump with values and the memory model; every key by `keyId`. */
export function parseDump(path: string, allocator: AllocatorProfile): { info: FileInfo; keys: Map<string, ParsedKey>; usedMemory: number } {
  const col = new CanonicalCollector();
  const keys = new Map<string, ParsedKey>();
  const scan = new Scan(fileSource(path), {
    file: path,
    values: true,
    visitor: col,
    memory: { allocator },
    onKey(rec) {
      const copy = { ...rec, key: rec.key.slice(0, rec.keyLength) };
      const { value, fieldExpire } = col.take();
      keys.set(keyId(rec.db, copy.key), { rec: copy, value, fieldExpire });
    },
  });
  const res = scan.run();
  return { info: res.info, keys, usedMemory: res.instance!.usedMemory };
}
