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
  /**
   * Bytes the instance would get back by deleting the key (the drop of used_memory on DEL in a
   * server that loaded the file: value, key, dict and expires entries), as estimated by the
   * memory model and the instance estimate; 0 when no model ran (docs/memory-model.md, 6).
   */
  realBytes: number;
  /** Module name for module values (type 7), else ''. */
  module: string;
  /** Streams: consumer groups, and the largest pending-entries list among them. */
  streamGroups: number;
  streamMaxPending: number;
  /**
   * Streams: the earliest delivery time (ms since the epoch) among the groups' pending
   * entries, -1 when none is pending (or not a stream).
   */
  streamOldestPendingMs: number;
  /**
   * Streams with consumer groups: each group's name and pending entries (a parser-owned
   * object, built only for streams that have groups); null otherwise.
   */
  streamPel?: StreamPelSummary | null;
  /**
   * Zsets: the lowest and highest score among the members, when the members were read (plain
   * and skiplist zsets, and packed ones analysis decodes); NaN when not known.
   */
  zsetScoreMin: number;
  zsetScoreMax: number;
  /** Hashes: number of fields carrying a TTL (Redis 7.4+). */
  fieldsWithTtl: number;
  /**
   * Vector sets (module `vectorset`): what the serialized value holds, decoded while it is
   * streamed past. A parser-owned object, meaningful only while `module === 'vectorset'`.
   */
  vectorset?: VectorSetSummary | null;
}

/** A stream's consumer groups and their pending-entries lists (PELs), in file order. */
export interface StreamPelSummary {
  groups: StreamGroupPending[];
}

export interface StreamGroupPending {
  /** Group name (invalid UTF-8 shown as `\xNN`). */
  name: string;
  /** Entries delivered to a consumer and not acknowledged (XPENDING count). */
  pending: number;
  /** Earliest delivery time among them (ms since the epoch), -1 when none is pending. */
  oldestDeliveryMs: number;
}

/** One vector set (Redis 8 `vectorset` module value), summarized in O(1) space (docs/memory-vectorset.md). */
export interface VectorSetSummary {
  /** Elements (VCARD). */
  count: number;
  /** Stored vector dimension (VDIM; after the projection when there is one). */
  dim: number;
  /** 0 NOQUANT (f32), 1 Q8 (int8), 2 BIN. */
  quant: number;
  /** HNSW M (level 0 keeps up to 2M links per node, the others M). */
  m: number;
  /** Input dimension of the REDUCE projection matrix, 0 without one. */
  projectionInputDim: number;
  /** Elements with a non-empty attribute string, and those attributes' bytes. */
  attributes: number;
  attributeBytes: number;
  /** Bytes of all element names. */
  elementBytes: number;
  /** Highest node level (VINFO max-level). */
  maxLevel: number;
  /** Per HNSW layer (index = layer): nodes present, links used, link slots allocated. */
  layerNodes: Float64Array;
  layerLinks: Float64Array;
  layerSlots: Float64Array;
  /**
   * The loader links each node in front of the previous one, so the file's last node becomes
   * the head of the loaded list: its level-0 link capacity, and the last SAMPLE_NODES nodes'
   * strings, are what the module's MEMORY USAGE callback extrapolates from.
   */
  headLevel0Slots: number;
  /** Ring of the last sampled nodes (`sampled` of them, oldest at `sampleAt` when full). */
  sampled: number;
  sampleAt: number;
  /** Element name length, and whether the loaded string is a raw robj (else embstr). */
  sampleItemLen: Int32Array;
  sampleItemRaw: Uint8Array;
  /** Attribute length (-1: none), and whether it loads raw. */
  sampleAttrLen: Int32Array;
  sampleAttrRaw: Uint8Array;
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
  /** Bytes after the checksum (an AOF's commands after its RDB preamble, or garbage); not parsed. */
  trailingBytes: number;
  /**
   * Non-fatal oddities: what Redis loads without complaint under its default
   * `sanitize-dump-payload no` but that is not as a saving server writes it (empty keys, a
   * stream length that disagrees with its entries, duplicates only deep sanitization finds,
   * a newer RDB version). Each names its offset (and key); at most MAX_WARNINGS, then a count.
   */
  warnings: string[];
  /** KEY_META (RDB 13) module metadata: keys carrying each class (`META-xxxx` name). */
  keyMeta: Record<string, number>;
  /** Valkey 9 SLOT_IMPORT records: an unfinished atomic slot migration's job and slot ranges. */
  slotImports: { job: string; ranges: [number, number][] }[];
  /** Redis Enterprise RAM_LRU opcodes (107) read and ignored. */
  ramLru: number;
  /** Streams with idempotent-producer state (type 26): streams, producers and ids tracked. */
  streamIdmp: { streams: number; producers: number; ids: number };
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
  /** Streams (type 26): an idempotent producer (id bytes) and the number of ids it tracks. */
  streamIdmpProducer?(buf: Uint8Array, start: number, end: number, ids: number): void;
  /** Streams (type 26): one tracked id (IID bytes) of the last producer. */
  streamIdmpEntry?(buf: Uint8Array, start: number, end: number): void;
  /** Streams (type 26): the IDMP settings and counters, after the last producer. */
  streamIdmp?(meta: StreamIdmpMeta): void;
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

/** A stream's idempotent-producer (IDMP) state, Redis 8.6+ (RDB type 26). */
export interface StreamIdmpMeta {
  /** Seconds an id is remembered (1..86400). */
  duration: number;
  /** Ids remembered per producer at most (1..10000). */
  maxEntries: number;
  producers: number;
  /** Ids over all producers, as saved (Redis drops a repeated id of one producer on load). */
  ids: number;
  /** All-time counters: ids added, duplicates detected. */
  iidsAdded: bigint;
  iidsDuplicates: bigint;
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
