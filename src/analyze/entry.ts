/**
 * A kept key (big keys, namespace largest key, queues): a copy of what reports need, and the
 * total order that makes top lists independent of arrival order.
 *
 * Ranking: the score (bytes, largest element, length, ...) first; ties go to the lower db,
 * then the smaller key bytes (unsigned lexicographic), then the earlier file. Everything the
 * order uses is in the report (`db`, `key`/`keyB64`, `fileIndex`), so merged reports rank
 * exactly as one analysis would.
 */

import type { KeyRecord, RedisType, StreamGroupPending } from '../core/types.ts';
import type { KeyEntry, QueueEntry } from './schema.ts';
import { compareBytes, compareBytesRange, keyBytes, keyName } from '../core/keyname.ts';

export interface Entry {
  db: number;
  /** Key bytes (a copy). */
  key: Uint8Array;
  text: string;
  b64: string | null;
  type: RedisType;
  encoding: string;
  /** Real bytes (what a DEL frees): what every ranking and sum uses. */
  bytes: number;
  /** MEMORY USAGE as estimated (what redis-cli shows). */
  memoryUsage: number;
  length: number;
  largestElement: number;
  /** -1 = no TTL. */
  expireAtMs: number;
  /** Streams: max pending entries and groups; -1 for other types. */
  pending: number;
  groups: number;
  /** Streams: earliest delivery among the pending entries (ms), -1 when none; per group (a copy), or null. */
  oldestPending: number;
  pel: StreamGroupPending[] | null;
  /** Zsets: lowest and highest score, NaN when unknown. */
  scoreMin: number;
  scoreMax: number;
  fileIdx: number;
}

export function entryFromRecord(rec: KeyRecord, fileIdx: number): Entry {
  const key = rec.key.slice(0, rec.keyLength);
  const name = keyName(key, 0, key.length);
  const stream = rec.type === 'stream';
  return {
    db: rec.db,
    key,
    text: name.text,
    b64: name.b64,
    type: rec.type,
    encoding: rec.encoding,
    bytes: rec.realBytes,
    memoryUsage: rec.memoryBytes,
    length: rec.length,
    largestElement: rec.largestElement,
    expireAtMs: rec.expireAtMs,
    pending: stream ? rec.streamMaxPending : -1,
    groups: stream ? rec.streamGroups : -1,
    oldestPending: stream ? rec.streamOldestPendingMs : -1,
    pel: stream && rec.streamPel ? rec.streamPel.groups.map((g) => ({ ...g })) : null,
    scoreMin: rec.zsetScoreMin,
    scoreMax: rec.zsetScoreMax,
    fileIdx,
  };
}

/**
 * The rest of the order, for entries equal on db, key and file (only a damaged file repeats a
 * key): the other fields, lower first, so even then the order does not depend on arrival.
 */
function restRank(a: Entry, b: Entry): number {
  if (a.type !== b.type) return a.type < b.type ? 1 : -1;
  if (a.encoding !== b.encoding) return a.encoding < b.encoding ? 1 : -1;
  return (
    b.bytes - a.bytes ||
    b.memoryUsage - a.memoryUsage ||
    b.length - a.length ||
    b.largestElement - a.largestElement ||
    b.expireAtMs - a.expireAtMs ||
    b.pending - a.pending ||
    b.groups - a.groups
  );
}

/** Tie order: > 0 when `a` ranks above `b` (lower db, smaller key, earlier file, then the rest). */
export function tieRank(a: Entry, b: Entry): number {
  if (a.db !== b.db) return b.db - a.db;
  const k = compareBytes(a.key, b.key);
  if (k !== 0) return -k;
  return b.fileIdx - a.fileIdx || restRank(a, b);
}

/** `tieRank(record, e) > 0` without building an entry for the record. */
export function recordWinsTie(rec: KeyRecord, fileIdx: number, e: Entry): boolean {
  if (rec.db !== e.db) return rec.db < e.db;
  const k = compareBytesRange(e.key, rec.key, 0, rec.keyLength);
  if (k !== 0) return k > 0;
  if (fileIdx !== e.fileIdx) return fileIdx < e.fileIdx;
  // Same key in the same file: only a damaged file gets here, so building the entry is fine.
  return restRank(entryFromRecord(rec, fileIdx), e) > 0;
}

export const rankBytes = (a: Entry, b: Entry): number => a.bytes - b.bytes || tieRank(a, b);
export const rankElement = (a: Entry, b: Entry): number => a.largestElement - b.largestElement || tieRank(a, b);
export const queueScore = (e: Entry): number => (e.pending > e.length ? e.pending : e.length);
export const rankQueue = (a: Entry, b: Entry): number => queueScore(a) - queueScore(b) || tieRank(a, b);
export const rankLength = (a: Entry, b: Entry): number => a.length - b.length || tieRank(a, b);
export const rankPending = (a: Entry, b: Entry): number => a.pending - b.pending || tieRank(a, b);

export function toKeyEntry(e: Entry, fileNames: readonly string[]): KeyEntry {
  return {
    db: e.db,
    key: e.text,
    keyB64: e.b64,
    type: e.type,
    encoding: e.encoding,
    bytes: e.bytes,
    memoryUsage: e.memoryUsage,
    length: e.length,
    largestElement: e.largestElement,
    expireAtMs: e.expireAtMs === -1 ? null : e.expireAtMs,
    file: fileNames[e.fileIdx] ?? '',
    fileIndex: e.fileIdx,
  };
}

export function toQueueEntry(e: Entry, fileNames: readonly string[], threshold: number): QueueEntry {
  const reasons: ('length' | 'pending')[] = [];
  if (e.length > threshold) reasons.push('length');
  if (e.pending > threshold) reasons.push('pending');
  return {
    ...toKeyEntry(e, fileNames),
    pending: e.pending < 0 ? null : e.pending,
    groups: e.groups < 0 ? null : e.groups,
    reasons,
    oldestPendingMs: e.oldestPending < 0 ? null : e.oldestPending,
    pendingGroups: e.pel === null ? null : e.pel.map((g) => ({ name: g.name, pending: g.pending, oldestDeliveryMs: g.oldestDeliveryMs < 0 ? null : g.oldestDeliveryMs })),
    scoreMin: Number.isNaN(e.scoreMin) ? null : e.scoreMin,
    scoreMax: Number.isNaN(e.scoreMax) ? null : e.scoreMax,
  };
}

/** Back from a report entry; `fileOffset` re-bases `fileIndex` when reports are concatenated. */
export function fromKeyEntry(k: KeyEntry, fileOffset: number): Entry {
  const q = k as Partial<QueueEntry>;
  return {
    db: k.db,
    key: keyBytes(k.key, k.keyB64),
    text: k.key,
    b64: k.keyB64,
    type: k.type,
    encoding: k.encoding,
    bytes: k.bytes,
    memoryUsage: k.memoryUsage,
    length: k.length,
    largestElement: k.largestElement,
    expireAtMs: k.expireAtMs === null ? -1 : k.expireAtMs,
    pending: q.pending === null || q.pending === undefined ? -1 : q.pending,
    groups: q.groups === null || q.groups === undefined ? -1 : q.groups,
    oldestPending: q.oldestPendingMs ?? -1,
    pel: q.pendingGroups ? q.pendingGroups.map((g) => ({ name: g.name, pending: g.pending, oldestDeliveryMs: g.oldestDeliveryMs ?? -1 })) : null,
    scoreMin: q.scoreMin ?? NaN,
    scoreMax: q.scoreMax ?? NaN,
    fileIdx: k.fileIndex + fileOffset,
  };
}
