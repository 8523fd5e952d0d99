/**
 * The `report.json` schema, version 2. This file IS the documentation of the format.
 *
 * Conventions
 * - Every size is an integer number of bytes. `bytes` (per key, and every sum, share, ranking
 *   and finding built from it) is the key's REAL bytes as the memory model estimates them: what
 *   the instance would get back by deleting the key (the drop of `used_memory` on `DEL`: value,
 *   key, dict entry, expires entry). So Σ bytes over the keys + `FileSection.memoryModel`'s
 *   `tablesBytes` + `startupBytes` = `estimatedUsedMemory`, per file and in the summary.
 *   `memoryUsage` (per key) and `memoryUsageBytes` (sums) are what `MEMORY USAGE key SAMPLES 0`
 *   would say, for comparing with `redis-cli`. All are 0 when no model ran.
 *   Version 1 had `bytes` = MEMORY USAGE; this rdbscope refuses to read it (analyse again).
 * - Times are milliseconds since the Unix epoch (UTC); absent values are `null`, never omitted.
 * - Shares are fractions in [0, 1] rounded to 6 decimals.
 * - A key is `key` (text) plus `keyB64`: when the key is not valid UTF-8, `key` is a readable
 *   rendering (`\xNN` for the bad bytes) and `keyB64` the exact bytes in base64; otherwise
 *   `keyB64` is null and `key` is exact. In a redacted report (`redacted: true`) `key` is
 *   the key's one redaction token (`<pattern>#<first 8 hex of sha256(key bytes)>`,
 *   src/analyze/redact.ts) and `keyB64` is null.
 * - Lists are sorted (biggest first; ties by db, then key bytes, then file) so a report is a
 *   deterministic function of its input: merging the reports of shards gives exactly the
 *   report of analysing the shards together (`mergeReports`).
 * - Readers must ignore fields they do not know; a change that breaks readers bumps
 *   `schemaVersion`.
 */

import type { FileInfo, RedisType } from '../core/types.ts';

export const REPORT_SCHEMA = 'rdbscope.report';
export const REPORT_SCHEMA_VERSION = 2;

export interface Report {
  /** Always 'rdbscope.report'. */
  schema: typeof REPORT_SCHEMA;
  /** 2 for this layout (1: `bytes` were MEMORY USAGE figures). */
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'rdbscope'; version: string | null };
  /** True when key names were replaced by `pattern#hash` (see conventions). */
  redacted: boolean;
  /**
   * `--label name=value` pairs naming where the snapshot belongs (cluster, shard …); after a
   * merge, the pairs every file shares (each file keeps its own in `files[].labels`). Absent
   * without labels.
   */
  labels?: Record<string, string>;
  /** The analysis options that shaped the figures (needed to merge reports). */
  options: ReportOptions;
  /** Headline numbers over all files. */
  summary: Summary;
  /** One section per input file, in input order (shard reports concatenate on merge). */
  files: FileSection[];
  /** Per database over all files, by db number. */
  databases: DatabaseStats[];
  /** Per type over all files (with the encodings inside and the biggest key of each type). */
  types: TypeStats[];
  /** Keys with a TTL: histogram of time left at save time. */
  ttl: TtlSection;
  /** Keys without a TTL. */
  noTtl: NoTtlSection;
  /**
   * Flat list of namespaces that PARTITIONS the keys: every key is counted in exactly one
   * entry (the node its key path ends at). Sorted by bytes, then keys, then pattern.
   */
  namespaces: NamespaceEntry[];
  /** The namespace trie: structure and subtree roll-ups for drilling down (and for merging). */
  namespaceTree: NamespaceTreeNode;
  /** How the namespace trie was bounded. */
  namespaceInfo: NamespaceInfo;
  /**
   * Namespace groups ranked by rolled-up bytes (see `RankedNamespace`): what to read first.
   * The groups partition the keys like `namespaces` does, but a level whose children are all
   * leaves (`fpc:category:*:store:de`, `:en` …) is one group with them as `parts`, so a
   * consumer split over a few literal children still ranks as one. Absent in older reports.
   */
  namespaceRanking?: RankedNamespace[];
  /** Top `options.top` keys by real bytes, over all types. */
  bigKeys: KeyEntry[];
  /** Top `options.top` keys by real bytes per type (types without keys are absent). */
  bigKeysByType: Partial<Record<RedisType, KeyEntry[]>>;
  /** Keys holding one element bigger than `options.bigElement` bytes. */
  bigElements: BigElementsSection;
  /**
   * Queues with more than `options.queueThreshold` elements, and streams whose consumer groups
   * hold more pending entries than that. Queues are lists, streams, and zsets that look like
   * job schedules: named like one (last segment `schedule`, `retry`, `dead`, `delayed`,
   * `wait`, `active`, `completed`, `failed` …) or with every score an epoch time of
   * 2001–2100 (src/analyze/queue-kind.ts). Top `options.queueLimit` by
   * max(length, pending); `queueStats.count` is the exact number.
   */
  queues: QueueEntry[];
  queueStats: QueueStats;
  /**
   * Zsets over `options.queueThreshold` members that are not job schedules (leaderboards,
   * indexes): big collections, not queues. Top `options.queueLimit` by length. Absent in
   * older reports.
   */
  bigCollections?: BigCollectionsSection;
  /** Plain-sentence findings, most bytes at stake first, then most severe. */
  findings: Finding[];
}

export interface ReportOptions {
  /** Namespace separator characters. */
  separators: string;
  /** A namespace level with more distinct children than this collapses to `*`. */
  maxChildren: number;
  /** Namespace segments kept per key (0 = unlimited). */
  depth: number;
  /** Hard cap on namespace trie nodes. */
  maxNodes: number;
  /** Length of the top lists (big keys, per type, no-TTL biggest, big elements). */
  top: number;
  /** An element bigger than this many bytes makes its key a "big element" key. */
  bigElement: number;
  /** A list/zset/stream longer than this (or a stream with more pending entries) is a queue. */
  queueThreshold: number;
  /** Queues listed at most. */
  queueLimit: number;
  /** `maxmemory-policy` given on the command line (not stored in RDB files), or null. */
  policy: string | null;
  /** `maxmemory` in bytes given on the command line, or null. */
  maxmemory: number | null;
}

export interface Summary {
  files: number;
  keys: number;
  /** Σ real bytes of the keys (what deleting them all would free). */
  bytes: number;
  /** Σ MEMORY USAGE of the keys (what redis-cli would add up); absent in reports without it. */
  memoryUsageBytes?: number;
  /** Σ bytes the values take inside the files. */
  valueFileBytes: number;
  avgBytes: number;
  ttlKeys: number;
  ttlBytes: number;
  noTtlKeys: number;
  noTtlBytes: number;
  /** Keys whose TTL had already passed at save time (still in the file). */
  expiredKeys: number;
  expiredBytes: number;
  /** Fraction of bytes in keys without TTL. */
  noTtlShare: number;
  /** Fraction of keys that have a TTL. */
  ttlKeyShare: number;
  /**
   * Estimated instance memory (Σ real bytes + the keyspace tables + the empty server's baseline,
   * from the memory model): Σ over files, null unless every file has one.
   */
  estimatedUsedMemory: number | null;
  /** `used-mem` aux field at save time: Σ over files, null unless every file has it. */
  usedMemAtSave: number | null;
  /** estimatedUsedMemory / usedMemAtSave, null when either is missing. */
  estimateToUsedMem: number | null;
  /** Distinct producers, e.g. `redis 7.2.4`, sorted. */
  producers: string[];
  /** Distinct `server, allocator` pairs the files' figures follow (FileSection.memoryModel), sorted. */
  memoryModels?: string[];
  /** Earliest and latest save time (aux `ctime`) among the files, or null. */
  savedAtMinMs: number | null;
  savedAtMaxMs: number | null;
  databases: number;
}

export interface FileSection {
  name: string;
  /** The `--label` pairs of the run that read this file; absent without labels. */
  labels?: Record<string, string>;
  producer: 'redis' | 'valkey' | 'unknown';
  producerVersion: string;
  rdbVersion: number;
  /** aux `ctime` × 1000, or null. */
  savedAtMs: number | null;
  /**
   * The time TTLs are measured from: `savedAtMs` when the file has a `ctime`; otherwise
   * the newest `ctime` among the files analysed before it, else the `referenceMs` option,
   * else the time the analysis started (`ttlReferenceSource` tells which).
   */
  ttlReferenceMs: number;
  ttlReferenceSource: 'ctime' | 'other-file' | 'option' | 'analysis-time';
  /** aux `used-mem`, or null. */
  usedMemAtSave: number | null;
  /** The caller's estimate of instance memory for this file, or null. */
  estimatedUsedMemory: number | null;
  /**
   * The server and allocator whose accounting the byte figures follow (`Redis 7.4`/`Valkey 9.1`;
   * `jemalloc`, `jemalloc16`, `libc`); null when no memory model ran (and absent in reports
   * written before this field existed).
   */
  memoryModel?: MemoryModelInfo | null;
  /** Bytes of the file consumed by the parser. */
  fileBytes: number;
  /** As the parser reported it (FileInfo.checksum). */
  checksum: FileInfo['checksum'];
  /** Every aux field as text. */
  aux: Record<string, string>;
  functions: string[];
  modules: Record<string, number>;
  /** Cluster slots seen (SLOT_INFO): count and contiguous ranges [first, last]. */
  slots: { count: number; ranges: [number, number][] };
  /**
   * KEY_META records (Redis 8.6+, module key metadata): per 4-character class name, the keys
   * carrying it. `{}` when none (and in reports written before this field existed: absent).
   */
  keyMeta: Record<string, number>;
  /**
   * What the server loads but a saving server would not have written, one sentence each with
   * its file offset and (JSON-quoted) key: a stream length that disagrees with its entries,
   * duplicates only deep sanitization finds, empty keys, a newer RDB version read by the rules
   * of the newest known one; also TTL-reference notes from the analysis. Redacted reports show
   * `key <redacted>` instead of the key.
   */
  warnings: string[];
  keys: number;
  /** Σ real bytes of the file's keys. */
  bytes: number;
  /** Σ MEMORY USAGE of the file's keys. */
  memoryUsageBytes?: number;
  valueFileBytes: number;
  ttlKeys: number;
  ttlBytes: number;
  noTtlKeys: number;
  noTtlBytes: number;
  databases: DatabaseStats[];
  /** Per type (here `biggest` is always null: big keys are kept over all files). */
  types: TypeStats[];
  ttlHistogram: TtlBucket[];
}

/** The memory model a file's figures follow, and the instance bytes no key owns. */
export interface MemoryModelInfo {
  /** `Redis 7.4`, `Valkey 9.1` … */
  server: string;
  /** `jemalloc` (bundled, as Redis builds it), `jemalloc16` (distribution packages), `libc`. */
  allocator: string;
  /** The keyspace and expires tables themselves (bucket arrays, table structs). */
  tablesBytes?: number;
  /** The empty server's own used_memory with one client connected. */
  startupBytes?: number;
}

/** `Redis 7.0, jemalloc`: how a file's figures were modelled, as `summary.memoryModels` lists it ('no memory model' without one). */
export function modelLabel(m: MemoryModelInfo | null | undefined): string {
  return m ? `${m.server}, ${m.allocator}` : 'no memory model';
}

export interface DatabaseStats {
  db: number;
  keys: number;
  bytes: number;
  ttlKeys: number;
  ttlBytes: number;
  noTtlKeys: number;
  noTtlBytes: number;
  expiredKeys: number;
  avgBytes: number;
  /** Fraction of the section's bytes. */
  share: number;
}

export interface TypeStats {
  type: RedisType;
  keys: number;
  bytes: number;
  avgBytes: number;
  share: number;
  /** Largest element count (length) among keys of the type. */
  maxLength: number;
  encodings: EncodingStats[];
  /** The biggest key of the type (offline `redis-cli --bigkeys`), null in file sections. */
  biggest: KeyEntry | null;
}

export interface EncodingStats {
  encoding: string;
  keys: number;
  bytes: number;
  avgBytes: number;
  /** Largest element count among keys with this encoding. */
  maxLength: number;
}

export type TtlBucketId = 'expired' | 'lt1h' | 'lt1d' | 'lt7d' | 'lt30d' | 'later';

export interface TtlBucket {
  bucket: TtlBucketId;
  /** 'already expired', '< 1 hour', '< 1 day', '< 7 days', '< 30 days', '30 days or more'. */
  label: string;
  keys: number;
  bytes: number;
}

export interface TtlSection {
  ttlKeys: number;
  ttlBytes: number;
  /** Sum of the files' histograms (each against its own reference time). */
  histogram: TtlBucket[];
}

export interface NoTtlSection {
  keys: number;
  bytes: number;
  /** Fraction of keys / bytes without TTL. */
  keyShare: number;
  byteShare: number;
  /** Namespaces holding keys without TTL, most no-TTL bytes first (at most 50). */
  namespaces: NamespaceEntry[];
  /** The biggest keys without TTL (top `options.top`). */
  biggest: KeyEntry[];
}

export interface NamespaceStats {
  keys: number;
  bytes: number;
  noTtlKeys: number;
  noTtlBytes: number;
  /** Keys per type (types with none are absent). */
  types: Partial<Record<RedisType, number>>;
  /** Databases the keys live in, ascending. */
  dbs: number[];
  /** The biggest key. */
  largest: KeyEntry | null;
}

export interface NamespaceEntry extends NamespaceStats {
  /** E.g. `cache:product:*`. */
  pattern: string;
  ttlKeys: number;
  avgBytes: number;
  /** Fraction of all bytes / all keys. */
  share: number;
  keyShare: number;
}

export interface NamespaceTreeNode {
  /** Separator + normalised segment (`:product`); '' for the root. */
  label: string;
  /** Full pattern to this node. */
  pattern: string;
  /** True when this level overflowed max-children: all its children were folded into `*`. */
  collapsed: boolean;
  /**
   * True when this level had more than 16 identifier-like children (`aby_211`, `user42`) and
   * folded those into `*` (namespace rule 5b); absent in older reports (= false).
   */
  foldedIds?: boolean;
  /** Roll-up over the subtree (this node's own keys included). */
  keys: number;
  bytes: number;
  noTtlKeys: number;
  noTtlBytes: number;
  /** Keys ending exactly here (the `namespaces` entry with this `pattern`; 0 = none). */
  ownKeys: number;
  children: NamespaceTreeNode[];
}

export interface NamespaceInfo {
  /** The rules, as sentences. */
  rules: string[];
  nodes: number;
  /** max-children in force at the end (lower than options.maxChildren when capped). */
  effectiveMaxChildren: number;
  /** True when the node cap lowered max-children (then merging may depend on order). */
  capped: boolean;
  /** Patterns of the levels that collapsed. */
  collapsed: string[];
  /** Patterns of the levels that folded identifier-like children (rule 5b); absent in older reports. */
  foldedIds?: string[];
}

/**
 * One group of `namespaceRanking`. Groups: every tree node whose children all end there
 * (leaves), taken with its own keys and those children (`parts`, biggest first); a node with
 * keys that is not inside such a group is a group on its own. A chain of levels without keys
 * and with one child each is named by its last `*` level (`fpc:category:*`, not
 * `fpc:category:*:store`), else by where it branches. Sorted by bytes, then keys, then pattern;
 * at most 100 groups (`namespaceInfo` and `namespaces` have the rest).
 */
export interface RankedNamespace {
  /** The name shown (the group node's pattern, or its chain's last `*` level). */
  pattern: string;
  /** The group node's pattern in `namespaceTree` (where its figures are rolled up). */
  node: string;
  keys: number;
  bytes: number;
  noTtlKeys: number;
  noTtlBytes: number;
  /** Fraction of all bytes. */
  share: number;
  /** The leaf namespaces inside (pattern and figures), biggest first; empty when the group is one namespace. */
  parts: { pattern: string; keys: number; bytes: number; noTtlKeys: number; noTtlBytes: number }[];
  /** The level folded children into `*` (max-children or identifier-like names). */
  collapsed: boolean;
}

export interface KeyEntry {
  db: number;
  key: string;
  keyB64: string | null;
  type: RedisType;
  encoding: string;
  /** Real bytes: what deleting the key would free (see conventions). */
  bytes: number;
  /** MEMORY USAGE as estimated (what redis-cli shows). */
  memoryUsage: number;
  /** Elements (STRLEN for strings). */
  length: number;
  /** Bytes of the largest element. */
  largestElement: number;
  expireAtMs: number | null;
  /** The file the key was read from: `files[fileIndex].name`. */
  file: string;
  fileIndex: number;
}

export interface QueueEntry extends KeyEntry {
  /** Streams: the largest pending-entries list among its consumer groups; null otherwise. */
  pending: number | null;
  /** Streams: consumer groups; null otherwise. */
  groups: number | null;
  /** Why it is listed. */
  reasons: ('length' | 'pending')[];
  /**
   * Streams: the earliest delivery time (ms) among the pending entries of all groups, null
   * when none is pending. Its age is measured from the file's save time
   * (`files[fileIndex].savedAtMs`, aux `ctime`) where the file has one.
   */
  oldestPendingMs?: number | null;
  /** Streams with consumer groups: each group's pending entries and oldest delivery, in file order; null otherwise. */
  pendingGroups?: { name: string; pending: number; oldestDeliveryMs: number | null }[] | null;
  /**
   * Zsets: the lowest and highest score when the members were read, else null. A zset whose
   * scores are all epoch times of 2001–2100 (seconds or milliseconds) is a job schedule.
   */
  scoreMin?: number | null;
  scoreMax?: number | null;
}

export interface QueueStats {
  threshold: number;
  /** Queues over the threshold (exact, even beyond `queueLimit`). */
  count: number;
  bytes: number;
  byType: { list: number; zset: number; stream: number };
  /** The longest queue (list, stream, job-schedule zset) whatever the threshold (null when there are none). */
  longest: QueueEntry | null;
  /** The stream with the most pending entries (null when no group has any). */
  mostPending: QueueEntry | null;
}

export interface BigCollectionsSection {
  threshold: number;
  /** Zsets over the threshold that are not queues (exact). */
  count: number;
  bytes: number;
  /** The longest of them, top `options.queueLimit`. */
  keys: KeyEntry[];
}

export interface BigElementsSection {
  threshold: number;
  /** Keys with an element over the threshold (exact). */
  count: number;
  /** Their estimated bytes. */
  bytes: number;
  /** Top `options.top` of them by largest element. */
  keys: KeyEntry[];
}

export type Severity = 'info' | 'warn' | 'critical';

export interface Finding {
  /** Stable identifier, e.g. `no-ttl-share`, `policy-volatile`, `maxmemory-usage`. */
  id: string;
  severity: Severity;
  /** One plain sentence, with the figure in it. */
  message: string;
  /** The number that triggered it (bytes, keys, elements or a fraction; see `unit`). */
  figure: number;
  /**
   * Estimated bytes at stake: the memory the finding is about (the keys without TTL, the
   * queue, the instance against maxmemory …); 0 when it is about no memory in particular.
   * Findings are sorted by it, then by severity.
   */
  bytes: number;
  unit: 'bytes' | 'keys' | 'elements' | 'fraction' | 'count';
  /** The namespace pattern or key it is about, or null. */
  subject: string | null;
}
