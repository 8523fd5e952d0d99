/**
 * The records the parser produces. Data flows one way:
 * bytes (source, reader) → records (parser + visitor events) → aggregates → reports.
 */

export type RedisType = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | 'module';

/**
 * One key, as the parser saw it. The parser reuses a single instance for every key
 * (no per-key allocation): copy what you keep beyond the callback.
 */
export interface KeyRecord {
  db: number;
  /**
   * Key bytes are `key[0 .. keyLength)`. `key` is a buffer the parser reuses (it may be
   * longer than the key): valid only during the callback, copy what you keep.
   */
  key: Uint8Array;
  keyLength: number;
  type: RedisType;
  /** `OBJECT ENCODING` as the saving server reports it (5.0 streams: `stream`). */
  encoding: string;
  /** The RDB value-type byte. */
  rdbType: number;
  /** Absolute expiry in ms since the epoch, or -1 when the key has no TTL. */
  expireAtMs: number;
  /** LRU idle seconds (IDLE opcode), or -1. */
  idleS: number;
  /** LFU counter (FREQ opcode), or -1. */
  lfuFreq: number;
  /** STRLEN / LLEN / SCARD / ZCARD / HLEN / XLEN. */
  length: number;
  /**
   * Bytes of the largest element (string: its length; hash: largest field or value); -1 when
   * unknown: small packed values (listpacks, ziplists, intsets of at most 64 KiB) that
   * analysis skips without decoding.
   */
  largestElement: number;
  /** File offset of the key's first byte (its first prefix opcode, or its type byte). */
  offset: number;
  /** Bytes the value takes inside the file (what DEBUG OBJECT calls serializedlength). */
  valueFileBytes: number;
  /** `MEMORY USAGE key SAMPLES 0` as estimated by the memory model; 0 when no model ran. */
  memoryBytes: number;
  /** Module name for module values (type 7), else ''. */
  module: string;
  /** Streams: consumer groups, and the largest pending-entries list among them. */
  streamGroups: number;
  streamMaxPending: number;
  /** Hashes: number of fields carrying a TTL (Redis 7.4+). */
  fieldsWithTtl: number;
}

/** Per-file facts gathered while parsing. */
export interface FileInfo {
  /** Producer family, from the magic and aux fields. */
  producer: 'redis' | 'valkey' | 'unknown';
  /** `REDIS0012` → 12; `VALKEY080` → 80. */
  rdbVersion: number;
  /** `redis-ver` / `valkey-ver`, or '' when the file has none. */
  producerVersion: string;
  /** Every AUX field, decoded to text (integer-encoded values as decimal). */
  aux: Record<string, string>;
  /** Function library names (FUNCTION2 / FUNCTION_PRE_GA). */
  functions: string[];
  /** Module names seen in MODULE_AUX records and module values, with value counts. */
  modules: Record<string, number>;
  /** SLOT_INFO records (or Valkey slot-info aux fields). */
  slots: { slot: number; keys: number; expires: number }[];
  /** Per database: RESIZEDB hints and the keys actually read. */
  databases: Record<string, { keys: number; expires: number; resizeKeys: number; resizeExpires: number }>;
  /**
   * 'ok' | 'mismatch' | 'disabled' (stored 0) | 'absent' (RDB < 5) | 'unread' (not reached) |
   * 'pending' (the parse left verification to its caller, see `crcEnd`).
   */
  checksum: 'ok' | 'mismatch' | 'disabled' | 'absent' | 'unread' | 'pending';
  /** Offset just past the EOF opcode: the checksum covers the bytes before it. */
  crcEnd: number;
  storedChecksum: string;
  computedChecksum: string;
  /** Total bytes consumed (offset just past the checksum). */
  bytes: number;
  /** Non-fatal oddities (empty keys skipped, duplicate-looking data, ...). */
  warnings: string[];
}

/**
 * Element-level events for one value, for consumers that need more than the record
 * (the memory model, the value materializer). Byte views are valid only during the call.
 */
export interface ValueVisitor {
  /** Header known (db, key, type, rdbType, expiry); length and sizes are not yet final. */
  begin(rec: KeyRecord): void;
  /** A string, element, member, field or value given as bytes. */
  str(buf: Uint8Array, start: number, end: number): void;
  /** An element stored with an integer encoding (ziplist/listpack/intset), as a safe integer. */
  int(v: number): void;
  /** A string value too large to hand over as bytes (only its length is known). */
  bigStr(length: number): void;
  /** The score of the zset member just given. */
  score(v: number): void;
  /** The TTL of the hash field/value pair just given; 0 = no TTL. */
  fieldTtl(ms: number): void;
  /**
   * A packed blob as stored: `kind` 'ziplist' | 'listpack' | 'intset' | 'zipmap' | 'plain'
   * (plain = a PLAIN quicklist node holding one element); `bytes` its decoded size;
   * `count` its entries (from its header; 65535 = unknown); `width` the intset width.
   * Quicklist nodes announce themselves here before their entries. Return true when the
   * elements are wanted: in analysis mode a blob nobody wants may be skipped undecoded.
   */
  blob(kind: BlobKind, bytes: number, count: number, width: number): boolean;
  /** Streams: a listpack node (16-byte master id view and the listpack size). */
  streamNode(masterId: Uint8Array, idStart: number, lpBytes: number): void;
  /** Streams: one live entry; its fields and values follow as str/int events, fields first. */
  streamEntry(ms: bigint, seq: bigint, fields: number): void;
  /** Streams: metadata after the nodes. */
  streamMeta(meta: StreamMeta): void;
  /** Streams: a consumer group (name bytes), followed by its PEL and consumers. */
  streamGroup(buf: Uint8Array, start: number, end: number, lastMs: bigint, lastSeq: bigint, entriesRead: bigint): void;
  /** Streams: one group PEL entry. */
  streamPel(id: Uint8Array, idStart: number, deliveryMs: number, deliveryCount: number): void;
  /** Streams: a consumer (name bytes) of the last group. */
  streamConsumer(buf: Uint8Array, start: number, end: number, seenMs: number, activeMs: number): void;
  /** Streams: one PEL id of the last consumer. */
  streamConsumerPel(id: Uint8Array, idStart: number): void;
  /** Value complete; the record's length and sizes are final. */
  end(rec: KeyRecord): void;
}

export type BlobKind = 'ziplist' | 'listpack' | 'intset' | 'zipmap' | 'plain';

export interface StreamMeta {
  length: number;
  lastMs: bigint;
  lastSeq: bigint;
  firstMs: bigint;
  firstSeq: bigint;
  maxDeletedMs: bigint;
  maxDeletedSeq: bigint;
  entriesAdded: bigint;
  groups: number;
}

/** A parse that cannot go on: the file, the byte offset and what was expected there. */
export class RdbError extends Error {
  constructor(
    readonly offset: number,
    readonly expected: string,
    readonly file = '',
  ) {
    super(`${file ? file + ': ' : ''}offset ${offset}: ${expected}`);
    this.name = 'RdbError';
  }
  withFile(file: string): RdbError {
    return new RdbError(this.offset, this.expected, file);
  }
}
