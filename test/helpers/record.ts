/**
 * Synthetic KeyRecords for tests and benchmarks. `RecordFiller` mimics the parser: one record
 * reused for every key, its key buffer longer than the key and left dirty past `keyLength`.
 */

import { keyBuffer } from '../../src/core/keycopy.ts';
import type { FileInfo, KeyRecord, RedisType } from '../../src/core/types.ts';

export interface RecordSpec {
  key: string | Uint8Array;
  db?: number;
  type?: RedisType;
  encoding?: string;
  expireAtMs?: number;
  length?: number;
  largestElement?: number;
  memoryBytes?: number;
  realBytes?: number;
  valueFileBytes?: number;
  streamGroups?: number;
  streamMaxPending?: number;
}

const DEFAULT_ENCODING: Record<RedisType, string> = {
  string: 'embstr',
  list: 'quicklist',
  set: 'listpack',
  zset: 'listpack',
  hash: 'listpack',
  stream: 'stream',
  module: 'module',
};

export function blankRecord(): KeyRecord {
  return {
    db: 0,
    key: keyBuffer(64),
    keyLength: 0,
    type: 'string',
    encoding: 'embstr',
    rdbType: 0,
    expireAtMs: -1,
    idleS: -1,
    lfuFreq: -1,
    length: 0,
    largestElement: 0,
    offset: 0,
    valueFileBytes: 0,
    memoryBytes: 0,
    realBytes: 0,
    module: '',
    streamGroups: 0,
    streamMaxPending: 0,
    streamOldestPendingMs: -1,
    streamPel: null,
    zsetScoreMin: NaN,
    zsetScoreMax: NaN,
    fieldsWithTtl: 0,
  };
}

/** Fills `rec` in place from `spec` (the key buffer grows as needed and keeps stale bytes after the key). */
export function fillRecord(rec: KeyRecord, spec: RecordSpec): KeyRecord {
  const key = typeof spec.key === 'string' ? Buffer.from(spec.key, 'utf8') : spec.key;
  if (rec.key.length < key.length) rec.key = keyBuffer(Math.max(key.length, rec.key.length * 2));
  rec.key.set(key, 0);
  // Dirty the tail like a reused parser buffer would be.
  if (key.length < rec.key.length) rec.key[key.length] = 0x7a;
  rec.keyLength = key.length;
  const type = spec.type ?? 'string';
  rec.db = spec.db ?? 0;
  rec.type = type;
  rec.encoding = spec.encoding ?? DEFAULT_ENCODING[type];
  rec.expireAtMs = spec.expireAtMs ?? -1;
  rec.length = spec.length ?? (type === 'string' ? 8 : 1);
  rec.largestElement = spec.largestElement ?? (type === 'string' ? rec.length : 8);
  rec.memoryBytes = spec.memoryBytes ?? 64;
  rec.realBytes = spec.realBytes ?? rec.memoryBytes;
  rec.valueFileBytes = spec.valueFileBytes ?? Math.min(rec.memoryBytes, 32);
  rec.streamGroups = spec.streamGroups ?? 0;
  rec.streamMaxPending = spec.streamMaxPending ?? 0;
  return rec;
}

/** A fresh record (not reused). */
export function makeRecord(spec: RecordSpec): KeyRecord {
  return fillRecord(blankRecord(), spec);
}

/** Reuses one record for every spec, like the parser. */
export class RecordFiller {
  readonly rec = blankRecord();
  fill(spec: RecordSpec): KeyRecord {
    return fillRecord(this.rec, spec);
  }
}

/** A FileInfo as the parser would return it for a clean file; `aux` entries are merged in. */
export function makeFileInfo(p: Partial<FileInfo> & { ctimeS?: number; usedMem?: number } = {}): FileInfo {
  const aux: Record<string, string> = { 'redis-ver': '7.2.4', 'redis-bits': '64' };
  if (p.ctimeS !== undefined) aux['ctime'] = String(p.ctimeS);
  if (p.usedMem !== undefined) aux['used-mem'] = String(p.usedMem);
  Object.assign(aux, p.aux ?? {});
  const info = {
    crcEnd: 0,
    producer: p.producer ?? 'redis',
    rdbVersion: p.rdbVersion ?? 11,
    producerVersion: p.producerVersion ?? aux['redis-ver'] ?? '',
    aux,
    functions: p.functions ?? [],
    modules: p.modules ?? {},
    slots: p.slots ?? [],
    databases: p.databases ?? {},
    checksum: p.checksum ?? 'ok',
    storedChecksum: p.storedChecksum ?? '',
    computedChecksum: p.computedChecksum ?? '',
    bytes: p.bytes ?? 0,
    warnings: p.warnings ?? [],
  };
  return info as FileInfo;
}
