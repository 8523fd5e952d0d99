/**
 * The `report.json` schema, version 1. This file IS the documentation of the format.
 *
 * Conventions
 * - Every size is an integer number of bytes (`bytes`: estimated memory from the memory
 *   model, what `MEMORY USAGE key SAMPLES 0` would say; 0 when no model ran).
 * - Times are milliseconds since the Unix epoch (UTC); absent values are `null`, never omitted.
 * - Shares are fractions in [0, 1] rounded to 6 decimals.
 * - A key is `key` (text) plus `keyB64`: when the key is not valid UTF-8, `key` is a readable
 *   rendering (`\xNN` for the bad bytes) and `keyB64` the exact bytes in base64; otherwise
 *   `keyB64` is null and `key` is exact. In a redacted report (`redacted: true`) `key` is
 *   `<namespace pattern>#<first 8 hex of sha256(key bytes)>` and `keyB64` is null.
 * - Lists are sorted (biggest first; ties by db, then key bytes, then file) so a report is a
 *   deterministic function of its input: merging the reports of shards gives exactly the
 *   report of analysing the shards together (`mergeReports`).
 * - Readers must ignore fields they do not know; a change that breaks readers bumps
 *   `schemaVersion`.
 */

import type { FileInfo, RedisType } from '../core/types.ts';

export const REPORT_SCHEMA = 'rdbscope.report';
export const REPORT_SCHEMA_VERSION = 1;

export interface Report {
  /** Always 'rdbscope.report'. */
  schema: typeof REPORT_SCHEMA;
  /** 1 for this layout. */
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
  /** Top `options.top` keys by estimated bytes, over all types. */
  bigKeys: KeyEntry[];
  /** Top `options.top` keys by estimated bytes per type (types without keys are absent). */
  bigKeysByType: Partial<Record<RedisType, KeyEntry[]>>;
  /** Keys holding one element bigger than `options.bigElement` bytes. */
  bigElements: BigElementsSection;
  /**
   * Queues with more than `options.queueThreshold` elements, and streams whose consumer groups
   * hold more pending entries than that. Queues are lists, streams, and zsets named like job
   * schedules (last segment `schedule`, `retry`, `dead`, `delayed`, `wait`, `active`,
   * `completed`, `failed` …; src/analyze/queue-kind.ts). Top `options.queueLimit` by
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
  /** Σ estimated bytes of the keys. */
  bytes: number;
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
  /** Estimated instance memory (keys + overhead, from the memory model): Σ over files, null unless every file has one. */
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
  memoryModel?: { server: string; allocator: string } | null;
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
  bytes: number;
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
  /** Estimated bytes. */
  bytes: number;
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
