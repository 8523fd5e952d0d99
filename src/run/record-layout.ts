/**
 * How a KeyRecord travels between threads, for both transports: the CLI's record ring
 * (record-ring.ts) and the library's batches (api/batch.ts). A new KeyRecord field is added
 * here (and in the parser that fills it); the transports only move these slots.
 *
 * A record is RECORD_WORDS Int32 words, then 7 to RECORD_NUMBERS_MAX Float64 numbers (the
 * optional ones only when they differ from their default: most keys have none, and the ring's
 * bytes cross between cores), then the key bytes, which each transport stores its own way.
 *
 * | word | holds                                                                     |
 * |------|---------------------------------------------------------------------------|
 * | 0    | keyLength (≥ 0: a transport may give negative values its own meaning)     |
 * | 1    | db                                                                        |
 * | 2    | type code, encoding code << 16                                            |
 * | 3    | rdbType, flags << 8 (optional numbers present, vectorset state), module code << 16 |
 *
 * Names are codes into a string table the transport keeps (below 2^16). `vectorset` and
 * `streamPel`, rare and objects, are states in the flags; when the record holds one,
 * recordExtra() hands it to the transport to carry as structured data (which one it is
 * follows from the type: a stream's is its PEL summary).
 */
import type { KeyRecord, RedisType, StreamPelSummary, VectorSetSummary } from '../core/types.ts';

/** The object a record may carry beside its slots. */
export type RecordExtra = VectorSetSummary | StreamPelSummary;

/**
 * Where each field goes. Typed so that a KeyRecord field missing here fails to compile; the
 * round-trip tests (test/pipeline.test.ts) check that every field listed survives both
 * transports.
 */
export const RECORD_FIELDS: Record<keyof KeyRecord, 'word' | 'number' | 'optional number' | 'name' | 'bytes' | 'extra'> = {
  keyLength: 'word', db: 'word', rdbType: 'word',
  expireAtMs: 'number', length: 'number', largestElement: 'number', offset: 'number', valueFileBytes: 'number', memoryBytes: 'number', realBytes: 'number',
  idleS: 'optional number', lfuFreq: 'optional number', streamGroups: 'optional number', streamMaxPending: 'optional number',
  fieldsWithTtl: 'optional number', streamOldestPendingMs: 'optional number', zsetScoreMin: 'optional number', zsetScoreMax: 'optional number',
  type: 'name', encoding: 'name', module: 'name',
  key: 'bytes',
  vectorset: 'extra',
  streamPel: 'extra',
};

export const RECORD_WORDS = 4;
/** 7 numbers always; optional: idleS, lfuFreq, streamGroups + streamOldestPendingMs, streamMaxPending, fieldsWithTtl, the two zset scores. */
export const RECORD_NUMBERS_MAX = 7 + 8;
/** Name codes must fit in 16 bits. */
export const RECORD_NAME_CODES = 0x10000;

/**
 * Flags: optional numbers present (bits 0-4; bit 2, a stream's groups, brings the oldest
 * pending delivery with it), vectorset null (5), an extra object (6), zset scores (7: two).
 */
const VS_NULL = 32;
const EXTRA = 64;
const ZSET_SCORES = 128;

/**
 * The names' codes (`code` gives a name's code, registering it when new), into words 2 and 3;
 * call before putRecord. Apart so a transport can send a new name ahead of the record.
 */
export function putNames(rec: KeyRecord, w: Int32Array, q: number, code: (s: string) => number): void {
  w[q + 2] = code(rec.type) | (code(rec.encoding) << 16);
  w[q + 3] = code(rec.module) << 16;
}

/**
 * The rest of `rec` into words `w[q…]` (after putNames) and numbers `f[p…]`; returns how
 * many numbers it wrote. Straight-line on purpose: a loop over field names would make every
 * access a keyed lookup.
 */
export function putRecord(rec: KeyRecord, w: Int32Array, q: number, f: Float64Array, p: number): number {
  const vs = rec.vectorset;
  const flags = (rec.idleS !== -1 ? 1 : 0) | (rec.lfuFreq !== -1 ? 2 : 0) | (rec.streamGroups !== 0 ? 4 : 0) |
    (rec.streamMaxPending !== 0 ? 8 : 0) | (rec.fieldsWithTtl !== 0 ? 16 : 0) | (vs === null ? VS_NULL : 0) |
    (recordExtra(rec) !== null ? EXTRA : 0) | (rec.zsetScoreMin === rec.zsetScoreMin ? ZSET_SCORES : 0);
  w[q] = rec.keyLength;
  w[q + 1] = rec.db;
  w[q + 3] |= rec.rdbType | (flags << 8);
  f[p] = rec.expireAtMs;
  f[p + 1] = rec.length;
  f[p + 2] = rec.largestElement;
  f[p + 3] = rec.offset;
  f[p + 4] = rec.valueFileBytes;
  f[p + 5] = rec.memoryBytes;
  f[p + 6] = rec.realBytes;
  let n = p + 7;
  if (flags & 1) f[n++] = rec.idleS;
  if (flags & 2) f[n++] = rec.lfuFreq;
  if (flags & 4) {
    f[n++] = rec.streamGroups;
    f[n++] = rec.streamOldestPendingMs;
  }
  if (flags & 8) f[n++] = rec.streamMaxPending;
  if (flags & 16) f[n++] = rec.fieldsWithTtl;
  if (flags & ZSET_SCORES) {
    f[n++] = rec.zsetScoreMin;
    f[n++] = rec.zsetScoreMax;
  }
  return n - p;
}

/** How many numbers follow the words at `w[q]`. */
export function recordNumbers(w: Int32Array, q: number): number {
  const flags = (w[q + 3]! >> 8) & 0xff;
  let x = flags & 31;
  let n = 7;
  for (; x; x &= x - 1) n++;
  if (flags & 4) n++;
  if (flags & ZSET_SCORES) n += 2;
  return n;
}

/** The object the transport carries beside the slots (putRecord's record), or null. */
export function recordExtra(rec: KeyRecord): RecordExtra | null {
  // A stream's own; `vectorset` may be left over from an earlier module value.
  return rec.type === 'stream' ? (rec.streamPel ?? null) : (rec.vectorset ?? null);
}

/**
 * Fills `rec` (but its key bytes) from what putNames and putRecord wrote; `strings[code]` is
 * a name. Returns true when the record had an extra object: the caller then sets it with
 * setRecordExtra.
 */
export function getRecord(rec: KeyRecord, w: Int32Array, q: number, f: Float64Array, p: number, strings: string[]): boolean {
  const names = w[q + 2]!;
  const w3 = w[q + 3]!;
  const flags = (w3 >> 8) & 0xff;
  rec.keyLength = w[q]!;
  rec.db = w[q + 1]!;
  rec.rdbType = w3 & 0xff;
  rec.type = strings[names & 0xffff] as RedisType;
  rec.encoding = strings[names >>> 16]!;
  rec.module = strings[w3 >>> 16]!;
  rec.expireAtMs = f[p]!;
  rec.length = f[p + 1]!;
  rec.largestElement = f[p + 2]!;
  rec.offset = f[p + 3]!;
  rec.valueFileBytes = f[p + 4]!;
  rec.memoryBytes = f[p + 5]!;
  rec.realBytes = f[p + 6]!;
  let n = p + 7;
  rec.idleS = flags & 1 ? f[n++]! : -1;
  rec.lfuFreq = flags & 2 ? f[n++]! : -1;
  rec.streamGroups = flags & 4 ? f[n++]! : 0;
  rec.streamOldestPendingMs = flags & 4 ? f[n++]! : -1;
  rec.streamMaxPending = flags & 8 ? f[n++]! : 0;
  rec.fieldsWithTtl = flags & 16 ? f[n++]! : 0;
  rec.zsetScoreMin = flags & ZSET_SCORES ? f[n++]! : NaN;
  rec.zsetScoreMax = flags & ZSET_SCORES ? f[n++]! : NaN;
  rec.streamPel = null;
  // Left absent while absent, as on the parser's record.
  if (flags & VS_NULL) rec.vectorset = null;
  else if (rec.vectorset !== undefined && ((flags & EXTRA) === 0 || rec.type === 'stream')) rec.vectorset = undefined;
  return (flags & EXTRA) !== 0;
}

/** Sets the object recordExtra gave: a stream's PEL summary, else a vector set. */
export function setRecordExtra(rec: KeyRecord, extra: RecordExtra): void {
  if (rec.type === 'stream') rec.streamPel = extra as StreamPelSummary;
  else rec.vectorset = extra as VectorSetSummary;
}
