/**
 * One streaming pass over the keys of one or more files → a `Report`.
 *
 * Memory is bounded whatever the key count: per-file counters (per db, per type/encoding),
 * the namespace trie (capped, see namespace.ts), and top-N heaps. Nothing per key is kept.
 *
 * Usage, per file (the parser's `onHeader` is the natural place for `beginFile`):
 *
 *   const agg = new Aggregator(opts);
 *   for (const file of files) {
 *     agg.beginFile(name, parser.info);   // optional but recommended: live FileInfo, aux known
 *     ... parser calls agg.add(rec) for every key ...
 *     agg.addFile(info, name, estimatedUsedMemory);  // after the file is fully read
 *   }
 *   const report = agg.toReport();
 *
 * Records added since the previous `addFile` belong to the file `addFile` closes.
 *
 * TTL reference. The TTL histogram measures time left from the file's save time (aux `ctime`
 * × 1000). When `beginFile` got the live FileInfo, the reference is known from the first key
 * on. Otherwise TTLs are buffered (24 bytes per key with a TTL, at most 2^20 of them) until
 * `addFile` brings the aux fields. A file without `ctime` (RDB < 7) is measured from the newest
 * `ctime` among the files closed before it (shards are saved together), else from the
 * `referenceMs` option, else from the time the analysis started. If the buffer fills up
 * before the reference is known, the fallback is applied early and the file gets a warning.
 *
 * Merging reports (merge.ts) rebuilds the same `State` and runs the same `finalize`.
 */

import type { FileInfo, KeyRecord, RedisType } from '../core/types.ts';
import type {
  DatabaseStats,
  EncodingStats,
  FileSection,
  KeyEntry,
  MemoryModelInfo,
  NamespaceEntry,
  NamespaceStats,
  NamespaceTreeNode,
  QueueEntry,
  Report,
  ReportOptions,
  TtlBucket,
  TtlBucketId,
  TypeStats,
} from './schema.ts';
import { REPORT_SCHEMA, REPORT_SCHEMA_VERSION, modelLabel } from './schema.ts';
import {
  type Entry,
  entryFromRecord,
  rankBytes,
  rankElement,
  rankLength,
  rankPending,
  rankQueue,
  recordWinsTie,
  toKeyEntry,
  toQueueEntry,
  queueScore,
} from './entry.ts';
import { NAMESPACE_DEFAULTS, NAMESPACE_RULES, NamespaceTrie, type NamespaceOptions, type TrieShape } from './namespace.ts';
import { TopN } from './topn.ts';
import { rankNamespaces } from './ranking.ts';
import { isScheduleName, scoresAreTimestamps, separatorTable } from './queue-kind.ts';
import { computeFindings } from './findings.ts';
import { cmpStr, round6 } from '../core/units.ts';

export interface AnalyzeOptions extends NamespaceOptions {
  /** Top-list length. Default 100. */
  top?: number;
  /** Big element threshold in bytes. Default 1 MiB. */
  bigElement?: number;
  /** Queue length / pending threshold. Default 10000. */
  queueThreshold?: number;
  /** Queues listed at most. Default 1000. */
  queueLimit?: number;
  /** maxmemory-policy for findings. */
  policy?: string | null;
  /** maxmemory in bytes for findings. */
  maxmemory?: number | null;
  /** TTL reference for files without `ctime` (ms). */
  referenceMs?: number;
  /** The analysis start time (ms); defaults to Date.now() at construction. */
  nowMs?: number;
  /** Written to `report.tool.version`. */
  toolVersion?: string | null;
}

export const ANALYZE_DEFAULTS = {
  top: 100,
  bigElement: 1024 * 1024,
  queueThreshold: 10000,
  queueLimit: 1000,
} as const;

export const TYPES: readonly RedisType[] = ['string', 'list', 'set', 'zset', 'hash', 'stream', 'module'];
/**
 * The index of a type in TYPES. Compared by identity (records carry the interned literals):
 * a keyed lookup in an object was a megamorphic load per key.
 */
function typeIndex(t: RedisType): number {
  return t === 'string' ? 0 : t === 'hash' ? 4 : t === 'list' ? 1 : t === 'set' ? 2 : t === 'zset' ? 3 : t === 'stream' ? 5 : 6;
}

export const TTL_BUCKETS: readonly { id: TtlBucketId; label: string }[] = [
  { id: 'expired', label: 'already expired' },
  { id: 'lt1h', label: '< 1 hour' },
  { id: 'lt1d', label: '< 1 day' },
  { id: 'lt7d', label: '< 7 days' },
  { id: 'lt30d', label: '< 30 days' },
  { id: 'later', label: '30 days or more' },
];

/** Histogram bucket of a TTL, `left` = expiry − reference (ms). */
export function ttlBucket(left: number): number {
  if (left < 0) return 0;
  if (left < 3600_000) return 1;
  if (left < 86400_000) return 2;
  if (left < 604800_000) return 3;
  if (left < 2592000_000) return 4;
  return 5;
}

const PENDING_TTL_MAX = 1 << 20;

function ratio(a: number, b: number): number {
  return b > 0 ? round6(a / b) : 0;
}
function avg(a: number, b: number): number {
  return b > 0 ? Math.round(a / b) : 0;
}

function resolveOptions(o: AnalyzeOptions): ReportOptions {
  const int = (v: number, name: string, min: number): number => {
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${v}`);
    return v;
  };
  return {
    separators: o.separators ?? NAMESPACE_DEFAULTS.separators,
    maxChildren: int(o.maxChildren ?? NAMESPACE_DEFAULTS.maxChildren, 'max-children', 1),
    depth: int(o.depth ?? NAMESPACE_DEFAULTS.depth, 'depth', 0),
    maxNodes: int(o.maxNodes ?? NAMESPACE_DEFAULTS.maxNodes, 'max-nodes', 16),
    top: int(o.top ?? ANALYZE_DEFAULTS.top, 'top', 0),
    bigElement: int(o.bigElement ?? ANALYZE_DEFAULTS.bigElement, 'big-element', 0),
    queueThreshold: int(o.queueThreshold ?? ANALYZE_DEFAULTS.queueThreshold, 'queue-threshold', 0),
    queueLimit: int(o.queueLimit ?? ANALYZE_DEFAULTS.queueLimit, 'queue-limit', 0),
    policy: o.policy ?? null,
    maxmemory: o.maxmemory ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Namespace payload

/** Figures of the keys ending at one namespace node. */
export class NsData {
  keys = 0;
  bytes = 0;
  noTtlKeys = 0;
  noTtlBytes = 0;
  types = [0, 0, 0, 0, 0, 0, 0];
  /** Bit d set = db d (d < 31). */
  dbMask = 0;
  /** Databases ≥ 31, sorted. */
  dbExtra: number[] | null = null;
  largest: Entry | null = null;

  addDb(db: number): void {
    if (db < 31) this.dbMask |= 1 << db;
    else {
      const x = (this.dbExtra ??= []);
      if (!x.includes(db)) {
        x.push(db);
        x.sort((a, b) => a - b);
      }
    }
  }

  dbs(): number[] {
    const out: number[] = [];
    for (let d = 0; d < 31; d++) if (this.dbMask & (1 << d)) out.push(d);
    if (this.dbExtra !== null) out.push(...this.dbExtra);
    return out;
  }
}

export function mergeNsData(dst: NsData, src: NsData): void {
  dst.keys += src.keys;
  dst.bytes += src.bytes;
  dst.noTtlKeys += src.noTtlKeys;
  dst.noTtlBytes += src.noTtlBytes;
  for (let i = 0; i < 7; i++) dst.types[i] += src.types[i];
  dst.dbMask |= src.dbMask;
  if (src.dbExtra !== null) for (const d of src.dbExtra) dst.addDb(d);
  if (src.largest !== null && (dst.largest === null || rankBytes(src.largest, dst.largest) > 0)) dst.largest = src.largest;
}

// ---------------------------------------------------------------------------------------------
// Per-file accumulation

/** A database's running sums: the counters of its DatabaseStats. */
type DbAcc = Omit<DatabaseStats, 'db' | 'avgBytes' | 'share'>;
function newDbAcc(): DbAcc {
  return { keys: 0, bytes: 0, ttlKeys: 0, ttlBytes: 0, noTtlKeys: 0, noTtlBytes: 0, expiredKeys: 0 };
}

interface EncAcc {
  type: RedisType;
  encoding: string;
  keys: number;
  bytes: number;
  maxLength: number;
}

class FileAcc {
  keys = 0;
  /** Σ real bytes (what every figure uses) and Σ MEMORY USAGE. */
  bytes = 0;
  memoryUsage = 0;
  valueFileBytes = 0;
  ttlKeys = 0;
  ttlBytes = 0;
  noTtlKeys = 0;
  noTtlBytes = 0;
  readonly dbs = new Map<number, DbAcc>();
  lastDb = -1;
  lastDbAcc: DbAcc = newDbAcc();
  /** Per type (typeIndex), its few encodings: found by identity of the interned names. */
  private readonly encByType: EncAcc[][] = TYPES.map(() => []);
  /** TTL reference (ms) once known. */
  ref: number | null = null;
  refSource: FileSection['ttlReferenceSource'] = 'ctime';
  readonly hKeys = [0, 0, 0, 0, 0, 0];
  readonly hBytes = [0, 0, 0, 0, 0, 0];
  /** TTLs waiting for the reference: (expireAtMs, bytes, db) triples. */
  pending: Float64Array | null = null;
  pendingLen = 0;
  warnings: string[] = [];

  constructor(
    public name: string,
    public info: FileInfo | null,
    readonly index: number,
  ) {}

  db(db: number): DbAcc {
    if (db === this.lastDb) return this.lastDbAcc;
    let a = this.dbs.get(db);
    if (a === undefined) this.dbs.set(db, (a = newDbAcc()));
    this.lastDb = db;
    this.lastDbAcc = a;
    return a;
  }

  /** The accumulator of `encoding` under type `type` (whose typeIndex is `ti`). */
  enc(ti: number, type: RedisType, encoding: string): EncAcc {
    const list = this.encByType[ti];
    for (let i = 0; i < list.length; i++) if (list[i].encoding === encoding) return list[i];
    const a: EncAcc = { type, encoding, keys: 0, bytes: 0, maxLength: 0 };
    list.push(a);
    return a;
  }

  encodings(): EncAcc[] {
    return this.encByType.flat();
  }

  bucket(exp: number, bytes: number, db: DbAcc): void {
    const b = ttlBucket(exp - (this.ref as number));
    this.hKeys[b]++;
    this.hBytes[b] += bytes;
    if (b === 0) db.expiredKeys++;
  }

  defer(exp: number, bytes: number, db: number): boolean {
    if (this.pendingLen >= PENDING_TTL_MAX) return false;
    let p = this.pending;
    if (p === null) p = this.pending = new Float64Array(3 * 1024);
    else if (3 * this.pendingLen + 3 > p.length) {
      const q = new Float64Array(p.length * 2);
      q.set(p);
      p = this.pending = q;
    }
    const i = 3 * this.pendingLen++;
    p[i] = exp;
    p[i + 1] = bytes;
    p[i + 2] = db;
    return true;
  }

  flushPending(): void {
    const p = this.pending;
    if (p === null) return;
    for (let i = 0; i < this.pendingLen; i++) this.bucket(p[3 * i], p[3 * i + 1], this.db(p[3 * i + 2]));
    this.pending = null;
    this.pendingLen = 0;
  }
}

function ctimeMs(info: SectionInfo | null): number | null {
  const v = info?.aux['ctime'];
  if (v === undefined || !/^-?\d+$/.test(v.trim())) return null;
  return Number(v.trim()) * 1000;
}

function auxInt(info: SectionInfo | null, name: string): number | null {
  const v = info?.aux[name];
  if (v === undefined || !/^\d+$/.test(v.trim())) return null;
  return Number(v.trim());
}

function slotRanges(slots: FileInfo['slots']): { count: number; ranges: [number, number][] } {
  const s = [...new Set(slots.map((x) => x.slot))].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const v of s) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last[1] === v - 1) last[1] = v;
    else ranges.push([v, v]);
  }
  return { count: s.length, ranges };
}

function histogram(keys: readonly number[], bytes: readonly number[]): TtlBucket[] {
  return TTL_BUCKETS.map((b, i) => ({ bucket: b.id, label: b.label, keys: keys[i], bytes: bytes[i] }));
}

function dbStats(db: number, a: DbAcc, totalBytes: number): DatabaseStats {
  return {
    db,
    keys: a.keys,
    bytes: a.bytes,
    ttlKeys: a.ttlKeys,
    ttlBytes: a.ttlBytes,
    noTtlKeys: a.noTtlKeys,
    noTtlBytes: a.noTtlBytes,
    expiredKeys: a.expiredKeys,
    avgBytes: avg(a.bytes, a.keys),
    share: ratio(a.bytes, totalBytes),
  };
}

function typeStats(encs: Iterable<EncAcc>, totalBytes: number, biggest: (t: RedisType) => KeyEntry | null): TypeStats[] {
  const by = new Map<RedisType, EncAcc[]>();
  for (const e of encs) {
    const l = by.get(e.type);
    if (l === undefined) by.set(e.type, [e]);
    else l.push(e);
  }
  const out: TypeStats[] = [];
  for (const type of TYPES) {
    const l = by.get(type);
    if (l === undefined) continue;
    let keys = 0;
    let bytes = 0;
    let maxLength = 0;
    for (const e of l) {
      keys += e.keys;
      bytes += e.bytes;
      if (e.maxLength > maxLength) maxLength = e.maxLength;
    }
    const encodings: EncodingStats[] = l
      .map((e) => ({ encoding: e.encoding, keys: e.keys, bytes: e.bytes, avgBytes: avg(e.bytes, e.keys), maxLength: e.maxLength }))
      .sort((a, b) => b.bytes - a.bytes || b.keys - a.keys || (a.encoding < b.encoding ? -1 : a.encoding > b.encoding ? 1 : 0));
    out.push({ type, keys, bytes, avgBytes: avg(bytes, keys), share: ratio(bytes, totalBytes), maxLength, encodings, biggest: biggest(type) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// State shared by the aggregator and the merger

/** Exported for merge.ts, which rebuilds it from reports. */
export interface State {
  options: ReportOptions;
  toolVersion: string | null;
  redacted: boolean;
  files: FileSection[];
  trie: NamespaceTrie<NsData>;
  big: TopN<Entry>;
  byType: TopN<Entry>[];
  noTtl: TopN<Entry>;
  bigEl: TopN<Entry>;
  queues: TopN<Entry>;
  longest: TopN<Entry>;
  mostPending: TopN<Entry>;
  bigElCount: number;
  bigElBytes: number;
  queueCount: number;
  queueBytes: number;
  queueByType: { list: number; zset: number; stream: number };
  /** Long zsets that are not job schedules (queue-kind.ts). */
  collections: TopN<Entry>;
  collectionCount: number;
  collectionBytes: number;
}

export function newState(options: ReportOptions, toolVersion: string | null): State {
  return {
    options,
    toolVersion,
    redacted: false,
    files: [],
    trie: new NamespaceTrie<NsData>(options, mergeNsData),
    big: new TopN(options.top, rankBytes),
    byType: TYPES.map(() => new TopN(options.top, rankBytes)),
    noTtl: new TopN(options.top, rankBytes),
    bigEl: new TopN(options.top, rankElement),
    queues: new TopN(options.queueLimit, rankQueue),
    longest: new TopN(1, rankLength),
    mostPending: new TopN(1, rankPending),
    bigElCount: 0,
    bigElBytes: 0,
    queueCount: 0,
    queueBytes: 0,
    queueByType: { list: 0, zset: 0, stream: 0 },
    collections: new TopN(options.queueLimit, rankLength),
    collectionCount: 0,
    collectionBytes: 0,
  };
}

/** True when a record with `score` would beat the kept entry `floor` (or there is room). */
function beats(floor: Entry | undefined, score: number, floorScore: number, rec: KeyRecord, fileIdx: number): boolean {
  if (floor === undefined) return true;
  return score > floorScore || (score === floorScore && recordWinsTie(rec, fileIdx, floor));
}

function isQueueType(t: RedisType): t is 'list' | 'zset' | 'stream' {
  return t === 'list' || t === 'zset' || t === 'stream';
}

export class Aggregator {
  private readonly state: State;
  private readonly nowMs: number;
  private readonly referenceMs: number | null;
  private cur: FileAcc | null = null;
  /** ctime (ms) of the files closed so far, newest. */
  private newestCtime: number | null = null;
  /** Separator bytes, for the last segment of zset names (queue-kind.ts). */
  private readonly sepTable: Uint8Array;

  constructor(opts: AnalyzeOptions = {}) {
    this.state = newState(resolveOptions(opts), opts.toolVersion ?? null);
    this.sepTable = separatorTable(this.state.options.separators);
    this.nowMs = opts.nowMs ?? Date.now();
    this.referenceMs = opts.referenceMs ?? null;
  }

  get options(): ReportOptions {
    return this.state.options;
  }

  /** Keys added so far (all files). */
  get keys(): number {
    let n = this.cur?.keys ?? 0;
    for (const f of this.state.files) n += f.keys;
    return n;
  }

  /**
   * Announces the file whose keys follow. `info` may be the parser's live FileInfo (its aux
   * fields are complete once the first key arrives): then TTLs are bucketed on the fly.
   */
  beginFile(name: string, info?: FileInfo | null): void {
    if (this.cur !== null && this.cur.keys > 0) {
      throw new Error(`beginFile(${JSON.stringify(name)}): the keys of ${JSON.stringify(this.cur.name)} were not closed with addFile`);
    }
    this.cur = new FileAcc(name, info ?? null, this.state.files.length);
  }

  private fallbackRef(f: FileAcc): void {
    if (this.newestCtime !== null) {
      f.ref = this.newestCtime;
      f.refSource = 'other-file';
    } else if (this.referenceMs !== null) {
      f.ref = this.referenceMs;
      f.refSource = 'option';
    } else {
      f.ref = this.nowMs;
      f.refSource = 'analysis-time';
    }
  }

  /** Resolves the TTL reference when the aux fields are known (live info). */
  private resolveRef(f: FileAcc): void {
    if (f.info === null) return;
    const c = ctimeMs(f.info);
    if (c !== null) {
      f.ref = c;
      f.refSource = 'ctime';
    } else this.fallbackRef(f);
  }

  /**
   * One key. Hot path: no allocation unless the key enters a top list or a new namespace.
   * Every figure is the key's real bytes, so sums add up to the instance estimate.
   */
  add(rec: KeyRecord): void {
    const state = this.state;
    let f = this.cur;
    if (f === null) f = this.cur = new FileAcc('', null, state.files.length);
    const fileIdx = f.index;
    const bytes = rec.realBytes;
    const exp = rec.expireAtMs;
    const noTtl = exp === -1;
    const type = rec.type;

    f.keys++;
    f.bytes += bytes;
    f.memoryUsage += rec.memoryBytes;
    f.valueFileBytes += rec.valueFileBytes;
    const dba = f.db(rec.db);
    dba.keys++;
    dba.bytes += bytes;
    const ti = typeIndex(type);
    const enc = f.enc(ti, type, rec.encoding);
    enc.keys++;
    enc.bytes += bytes;
    if (rec.length > enc.maxLength) enc.maxLength = rec.length;
    if (noTtl) {
      f.noTtlKeys++;
      f.noTtlBytes += bytes;
      dba.noTtlKeys++;
      dba.noTtlBytes += bytes;
    } else {
      f.ttlKeys++;
      f.ttlBytes += bytes;
      dba.ttlKeys++;
      dba.ttlBytes += bytes;
      if (f.ref === null) this.resolveRef(f);
      if (f.ref !== null) f.bucket(exp, bytes, dba);
      else if (!f.defer(exp, bytes, rec.db)) {
        this.fallbackRef(f);
        f.warnings.push(`TTL reference unknown after ${PENDING_TTL_MAX} keys with a TTL: measured from ${new Date(Number(f.ref)).toISOString()} (${f.refSource})`);
        f.flushPending();
        f.bucket(exp, bytes, dba);
      }
    }

    // Namespace.
    const node = state.trie.insert(rec.key, 0, rec.keyLength);
    let d = node.data;
    if (d === null) d = node.data = new NsData();
    d.keys++;
    d.bytes += bytes;
    if (noTtl) {
      d.noTtlKeys++;
      d.noTtlBytes += bytes;
    }
    d.types[ti]++;
    if (rec.db < 31) d.dbMask |= 1 << rec.db;
    else d.addDb(rec.db);

    let e: Entry | null = null;
    const largest = d.largest;
    if (largest === null || bytes > largest.bytes || (bytes === largest.bytes && recordWinsTie(rec, fileIdx, largest))) {
      d.largest = e = entryFromRecord(rec, fileIdx);
    }

    // Top lists.
    let kept = state.big.floor();
    if (beats(kept, bytes, kept?.bytes ?? 0, rec, fileIdx)) state.big.offer((e ??= entryFromRecord(rec, fileIdx)));
    const typeTop = state.byType[ti];
    kept = typeTop.floor();
    if (beats(kept, bytes, kept?.bytes ?? 0, rec, fileIdx)) typeTop.offer((e ??= entryFromRecord(rec, fileIdx)));
    if (noTtl) {
      kept = state.noTtl.floor();
      if (beats(kept, bytes, kept?.bytes ?? 0, rec, fileIdx)) state.noTtl.offer((e ??= entryFromRecord(rec, fileIdx)));
    }
    const largestElement = rec.largestElement;
    if (largestElement > state.options.bigElement) {
      state.bigElCount++;
      state.bigElBytes += bytes;
      kept = state.bigEl.floor();
      if (beats(kept, largestElement, kept?.largestElement ?? 0, rec, fileIdx)) state.bigEl.offer((e ??= entryFromRecord(rec, fileIdx)));
    }

    // Queues: lists, streams and job-schedule zsets; other long zsets are big collections.
    if (type === 'zset' && !scoresAreTimestamps(rec.zsetScoreMin, rec.zsetScoreMax) && !isScheduleName(rec.key, 0, rec.keyLength, this.sepTable)) {
      if (rec.length > state.options.queueThreshold) {
        state.collectionCount++;
        state.collectionBytes += bytes;
        kept = state.collections.floor();
        if (beats(kept, rec.length, kept?.length ?? 0, rec, fileIdx)) state.collections.offer((e ??= entryFromRecord(rec, fileIdx)));
      }
    } else if (isQueueType(type)) {
      const len = rec.length;
      kept = state.longest.floor();
      if (beats(kept, len, kept?.length ?? 0, rec, fileIdx)) state.longest.offer((e ??= entryFromRecord(rec, fileIdx)));
      const pending = type === 'stream' ? rec.streamMaxPending : -1;
      if (pending > 0) {
        kept = state.mostPending.floor();
        if (beats(kept, pending, kept?.pending ?? 0, rec, fileIdx)) state.mostPending.offer((e ??= entryFromRecord(rec, fileIdx)));
      }
      const thr = state.options.queueThreshold;
      if (len > thr || pending > thr) {
        state.queueCount++;
        state.queueBytes += bytes;
        state.queueByType[type]++;
        const score = pending > len ? pending : len;
        kept = state.queues.floor();
        const fs = kept === undefined ? 0 : queueScore(kept);
        if (beats(kept, score, fs, rec, fileIdx)) state.queues.offer((e ??= entryFromRecord(rec, fileIdx)));
      }
    }
  }

  /**
   * Closes the current file: `info` as the parser returned it, `name` as reports show it,
   * `estimatedUsedMemory` the memory model's estimate of the whole instance (optional).
   */
  addFile(info: FileInfo, name: string, estimatedUsedMemory?: number | null, memoryModel?: MemoryModelInfo | null): void {
    const f = this.cur ?? new FileAcc(name, info, this.state.files.length);
    f.name = name;
    f.info = info;
    if (f.ref === null) this.resolveRef(f);
    f.flushPending();
    this.state.files.push(sectionOf(f, info, estimatedUsedMemory ?? null, memoryModel ?? null));
    const c = ctimeMs(info);
    if (c !== null && (this.newestCtime === null || c > this.newestCtime)) this.newestCtime = c;
    this.cur = null;
  }

  /** The report of everything added so far (a file not closed with addFile is included as is). */
  toReport(): Report {
    const state = this.state;
    const f = this.cur;
    if (f === null || f.keys === 0) return finalize(state, state.files);
    // An open file: report it without closing it (copies, so adding can go on).
    const copy = new FileAcc(f.name, f.info, f.index);
    Object.assign(copy, { ...f, hKeys: [...f.hKeys], hBytes: [...f.hBytes], dbs: new Map([...f.dbs].map(([k, v]) => [k, { ...v }])) });
    copy.lastDb = -1;
    copy.pending = f.pending === null ? null : f.pending.slice();
    if (copy.ref === null) {
      this.resolveRef(copy);
      if (copy.ref === null) this.fallbackRef(copy);
    }
    copy.flushPending();
    const info = f.info ?? emptyInfo();
    return finalize(state, [...state.files, sectionOf(copy, info, null)]);
  }
}

/** The FileInfo fields a file section uses. */
type SectionInfo = Pick<FileInfo, 'producer' | 'rdbVersion' | 'producerVersion' | 'aux' | 'functions' | 'modules' | 'slots' | 'checksum' | 'bytes' | 'warnings'> &
  Partial<Pick<FileInfo, 'keyMeta'>>;

function emptyInfo(): SectionInfo {
  return {
    producer: 'unknown',
    rdbVersion: 0,
    producerVersion: '',
    aux: {},
    functions: [],
    modules: {},
    slots: [],
    checksum: 'unread',
    bytes: 0,
    warnings: [],
  };
}

function sectionOf(f: FileAcc, info: SectionInfo, estimatedUsedMemory: number | null, memoryModel: MemoryModelInfo | null = null): FileSection {
  const dbs = [...f.dbs.entries()].sort((a, b) => a[0] - b[0]).map(([db, a]) => dbStats(db, a, f.bytes));
  return {
    name: f.name,
    producer: info.producer,
    producerVersion: info.producerVersion,
    rdbVersion: info.rdbVersion,
    savedAtMs: ctimeMs(info),
    ttlReferenceMs: f.ref as number,
    ttlReferenceSource: f.refSource,
    usedMemAtSave: auxInt(info, 'used-mem'),
    estimatedUsedMemory: estimatedUsedMemory ?? null,
    memoryModel,
    fileBytes: info.bytes,
    checksum: info.checksum,
    aux: { ...info.aux },
    functions: [...info.functions],
    modules: { ...info.modules },
    slots: slotRanges(info.slots),
    keyMeta: { ...(info.keyMeta ?? {}) },
    warnings: [...info.warnings, ...f.warnings],
    keys: f.keys,
    bytes: f.bytes,
    memoryUsageBytes: f.memoryUsage,
    valueFileBytes: f.valueFileBytes,
    ttlKeys: f.ttlKeys,
    ttlBytes: f.ttlBytes,
    noTtlKeys: f.noTtlKeys,
    noTtlBytes: f.noTtlBytes,
    databases: dbs,
    types: typeStats(f.encodings(), f.bytes, () => null),
    ttlHistogram: histogram(f.hKeys, f.hBytes),
  };
}

// ---------------------------------------------------------------------------------------------
// Finalisation (shared by Aggregator.toReport and mergeReports)

function nsStats(d: NsData, names: readonly string[]): NamespaceStats {
  const types: Partial<Record<RedisType, number>> = {};
  for (let i = 0; i < 7; i++) if (d.types[i] > 0) types[TYPES[i]] = d.types[i];
  return {
    keys: d.keys,
    bytes: d.bytes,
    noTtlKeys: d.noTtlKeys,
    noTtlBytes: d.noTtlBytes,
    types,
    dbs: d.dbs(),
    largest: d.largest === null ? null : toKeyEntry(d.largest, names),
  };
}


export function finalize(state: State, files: FileSection[]): Report {
  const o = state.options;
  const names = files.map((f) => f.name);

  // Summary and combined per-db / per-type figures from the file sections.
  let keys = 0;
  let bytes = 0;
  let memoryUsageBytes = 0;
  let valueFileBytes = 0;
  let ttlKeys = 0;
  let ttlBytes = 0;
  let noTtlKeys = 0;
  let noTtlBytes = 0;
  let est: number | null = files.length > 0 ? 0 : null;
  let used: number | null = files.length > 0 ? 0 : null;
  let savedMin: number | null = null;
  let savedMax: number | null = null;
  const producers = new Set<string>();
  const models = new Set<string>();
  const dbs = new Map<number, DbAcc>();
  const encs = new Map<string, EncAcc>();
  const hKeys = [0, 0, 0, 0, 0, 0];
  const hBytes = [0, 0, 0, 0, 0, 0];
  for (const f of files) {
    keys += f.keys;
    bytes += f.bytes;
    memoryUsageBytes += f.memoryUsageBytes ?? 0;
    valueFileBytes += f.valueFileBytes;
    ttlKeys += f.ttlKeys;
    ttlBytes += f.ttlBytes;
    noTtlKeys += f.noTtlKeys;
    noTtlBytes += f.noTtlBytes;
    est = est === null || f.estimatedUsedMemory === null ? null : est + f.estimatedUsedMemory;
    used = used === null || f.usedMemAtSave === null ? null : used + f.usedMemAtSave;
    if (f.savedAtMs !== null) {
      if (savedMin === null || f.savedAtMs < savedMin) savedMin = f.savedAtMs;
      if (savedMax === null || f.savedAtMs > savedMax) savedMax = f.savedAtMs;
    }
    producers.add(f.producerVersion ? `${f.producer} ${f.producerVersion}` : f.producer);
    if (f.memoryModel) models.add(modelLabel(f.memoryModel));
    for (const d of f.databases) {
      let a = dbs.get(d.db);
      if (a === undefined) dbs.set(d.db, (a = newDbAcc()));
      a.keys += d.keys;
      a.bytes += d.bytes;
      a.ttlKeys += d.ttlKeys;
      a.ttlBytes += d.ttlBytes;
      a.noTtlKeys += d.noTtlKeys;
      a.noTtlBytes += d.noTtlBytes;
      a.expiredKeys += d.expiredKeys;
    }
    for (const t of f.types) {
      for (const e of t.encodings) {
        const k = t.type + '\u0000' + e.encoding;
        let a = encs.get(k);
        if (a === undefined) encs.set(k, (a = { type: t.type, encoding: e.encoding, keys: 0, bytes: 0, maxLength: 0 }));
        a.keys += e.keys;
        a.bytes += e.bytes;
        if (e.maxLength > a.maxLength) a.maxLength = e.maxLength;
      }
    }
    for (let i = 0; i < 6; i++) {
      hKeys[i] += f.ttlHistogram[i]?.keys ?? 0;
      hBytes[i] += f.ttlHistogram[i]?.bytes ?? 0;
    }
  }

  const byTypeLists: Partial<Record<RedisType, KeyEntry[]>> = {};
  TYPES.forEach((t, i) => {
    const l = state.byType[i].sorted();
    if (l.length > 0) byTypeLists[t] = l.map((e) => toKeyEntry(e, names));
  });

  // Namespaces: flat partition + tree.
  const namespaces: NamespaceEntry[] = [];
  const collapsedPatterns: string[] = [];
  const foldedPatterns: string[] = [];
  const tree = buildTree(state.trie.toShape((d) => d), '', (pattern, d) => {
    const s = nsStats(d, names);
    namespaces.push({
      pattern,
      ...s,
      ttlKeys: s.keys - s.noTtlKeys,
      avgBytes: avg(s.bytes, s.keys),
      share: ratio(s.bytes, bytes),
      keyShare: ratio(s.keys, keys),
    });
  }, collapsedPatterns, foldedPatterns);
  namespaces.sort((a, b) => b.bytes - a.bytes || b.keys - a.keys || cmpStr(a.pattern, b.pattern));
  const noTtlNamespaces = namespaces
    .filter((n) => n.noTtlKeys > 0)
    .sort((a, b) => b.noTtlBytes - a.noTtlBytes || b.noTtlKeys - a.noTtlKeys || cmpStr(a.pattern, b.pattern))
    .slice(0, 50);

  const longest = state.longest.sorted()[0];
  const mostPending = state.mostPending.sorted()[0];
  const q = (e: Entry | undefined): QueueEntry | null => (e === undefined ? null : toQueueEntry(e, names, o.queueThreshold));

  const report: Report = {
    schema: REPORT_SCHEMA,
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'rdbscope', version: state.toolVersion },
    redacted: state.redacted,
    options: { ...o },
    summary: {
      files: files.length,
      keys,
      bytes,
      memoryUsageBytes,
      valueFileBytes,
      avgBytes: avg(bytes, keys),
      ttlKeys,
      ttlBytes,
      noTtlKeys,
      noTtlBytes,
      expiredKeys: hKeys[0],
      expiredBytes: hBytes[0],
      noTtlShare: ratio(noTtlBytes, bytes),
      ttlKeyShare: ratio(ttlKeys, keys),
      estimatedUsedMemory: est,
      usedMemAtSave: used,
      estimateToUsedMem: est !== null && used !== null && used > 0 ? round6(est / used) : null,
      producers: [...producers].sort(),
      memoryModels: [...models].sort(),
      savedAtMinMs: savedMin,
      savedAtMaxMs: savedMax,
      databases: dbs.size,
    },
    files,
    databases: [...dbs.entries()].sort((a, b) => a[0] - b[0]).map(([db, a]) => dbStats(db, a, bytes)),
    types: typeStats(encs.values(), bytes, (t) => byTypeLists[t]?.[0] ?? null),
    ttl: { ttlKeys, ttlBytes, histogram: histogram(hKeys, hBytes) },
    noTtl: {
      keys: noTtlKeys,
      bytes: noTtlBytes,
      keyShare: ratio(noTtlKeys, keys),
      byteShare: ratio(noTtlBytes, bytes),
      namespaces: noTtlNamespaces,
      biggest: state.noTtl.sorted().map((e) => toKeyEntry(e, names)),
    },
    namespaces,
    namespaceTree: tree,
    namespaceInfo: {
      rules: [...NAMESPACE_RULES],
      nodes: state.trie.nodeCount,
      effectiveMaxChildren: state.trie.effectiveMaxChildren,
      capped: state.trie.capped,
      collapsed: collapsedPatterns.sort(cmpStr),
      foldedIds: foldedPatterns.sort(cmpStr),
    },
    namespaceRanking: rankNamespaces(tree, bytes),
    bigKeys: state.big.sorted().map((e) => toKeyEntry(e, names)),
    bigKeysByType: byTypeLists,
    bigElements: {
      threshold: o.bigElement,
      count: state.bigElCount,
      bytes: state.bigElBytes,
      keys: state.bigEl.sorted().map((e) => toKeyEntry(e, names)),
    },
    queues: state.queues.sorted().map((e) => toQueueEntry(e, names, o.queueThreshold)),
    queueStats: {
      threshold: o.queueThreshold,
      count: state.queueCount,
      bytes: state.queueBytes,
      byType: { ...state.queueByType },
      longest: q(longest),
      mostPending: q(mostPending),
    },
    bigCollections: {
      threshold: o.queueThreshold,
      count: state.collectionCount,
      bytes: state.collectionBytes,
      keys: state.collections.sorted().map((e) => toKeyEntry(e, names)),
    },
    findings: [],
  };
  report.findings = computeFindings(report, { policy: o.policy, maxmemory: o.maxmemory });
  return report;
}

/** Tree with roll-ups; calls `own` for every node holding keys. */
function buildTree(
  shape: TrieShape<NsData>,
  pattern: string,
  own: (pattern: string, d: NsData) => void,
  collapsed: string[],
  folded: string[],
): NamespaceTreeNode {
  const children = shape.children.map((c) => buildTree(c, pattern + c.label, own, collapsed, folded));
  const d = shape.data;
  let keys = d?.keys ?? 0;
  let bytes = d?.bytes ?? 0;
  let noTtlKeys = d?.noTtlKeys ?? 0;
  let noTtlBytes = d?.noTtlBytes ?? 0;
  for (const c of children) {
    keys += c.keys;
    bytes += c.bytes;
    noTtlKeys += c.noTtlKeys;
    noTtlBytes += c.noTtlBytes;
  }
  if (d !== null && d.keys > 0) own(pattern, d);
  if (shape.collapsed) collapsed.push(pattern);
  if (shape.foldedIds === true) folded.push(pattern);
  return { label: shape.label, pattern, collapsed: shape.collapsed, foldedIds: shape.foldedIds === true, keys, bytes, noTtlKeys, noTtlBytes, ownKeys: d?.keys ?? 0, children };
}
