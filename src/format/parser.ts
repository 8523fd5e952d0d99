/**
 * The structure layer: walks an RDB file record by record and turns it into KeyRecords and
 * element events. One switch on the record byte, one decoder per encoding. Values are never
 * materialized unless the visitor asks for bytes (`values`), and huge strings are streamed past.
 *
 * What Redis' loader accepts under its default `sanitize-dump-payload no` is accepted here with
 * a warning (FileInfo.warnings); what it refuses is an RdbError. Layouts newer than Redis 7.4
 * (RDB 13, VALKEY080, Redis Enterprise opcodes): docs/rdb-format-recent.md.
 */
import { KeyCopier, keyBuffer } from '../core/keycopy.ts';
import { DupSet } from './dupset.ts';
import type { ChunkSource } from '../input/source.ts';
import type { FileInfo, KeyRecord, RedisType, ValueVisitor, BlobKind, StreamMeta, StreamIdmpMeta, StreamPelSummary } from '../core/types.ts';
import { keyText } from '../core/keyname.ts';
import { RdbError } from '../core/types.ts';
import { Reader } from './reader.ts';
import { trailerHex } from '../input/crc64.ts';
import { aofKind, aofMessage } from '../input/detect.ts';
import { ListpackCursor } from './listpack.ts';
import { ZiplistCursor } from './ziplist.ts';
import { IntsetCursor } from './intset.ts';
import { ZipmapCursor } from './zipmap.ts';
import { u32le, type BlobCursor } from './blob.ts';
import { isCanonicalInt, parseScore } from '../core/text.ts';
import { moduleName } from './module.ts';
import { VectorSetDecoder } from './vectorset.ts';
import { parseVersion, type ServerVersion } from './version.ts';
import { stringEncoding } from './encodings.ts';

export interface ParseOptions {
  /** Name used in error messages. */
  file?: string;
  /** Element events (memory model, value materializer). */
  visitor?: ValueVisitor;
  /** Called once per key, after its value was read. The record object is reused. */
  onKey?: (rec: KeyRecord) => void;
  /** Called once the header and the aux fields before the first key are known. */
  onHeader?: (info: FileInfo) => void;
  /** Called when a redis-ver / valkey-ver aux field comes after keys (`version` has changed). */
  onVersion?: () => void;
  /** Hand every byte of every string to the visitor (LZF decompressed, nothing skipped). */
  values?: boolean;
  /** Decompress and walk everything to check it, even what no consumer needs. */
  validate?: boolean;
  /** Throw on a checksum mismatch (default), or only record it in FileInfo. */
  checksumMismatch?: 'throw' | 'record';
  /**
   * Leave the CRC to the caller (who reads the same bytes on another thread): the trailer is
   * read and FileInfo.checksum is 'pending' with `crcEnd` set.
   */
  deferChecksum?: boolean;
}

/** Value type ids (Redis numbering). */
const T = {
  STRING: 0, LIST: 1, SET: 2, ZSET: 3, HASH: 4, ZSET_2: 5, MODULE_PRE_GA: 6, MODULE_2: 7,
  HASH_ZIPMAP: 9, LIST_ZIPLIST: 10, SET_INTSET: 11, ZSET_ZIPLIST: 12, HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14, STREAM_LISTPACKS: 15, HASH_LISTPACK: 16, ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18, STREAM_LISTPACKS_2: 19, SET_LISTPACK: 20, STREAM_LISTPACKS_3: 21,
  HASH_METADATA_PRE_GA: 22, HASH_LISTPACK_EX_PRE_GA: 23, HASH_METADATA: 24, HASH_LISTPACK_EX: 25,
  STREAM_LISTPACKS_4: 26,
} as const;

const OP = {
  KEY_META_OR_SLOT_IMPORT: 0xf3, SLOT_INFO: 0xf4, FUNCTION2: 0xf5, FUNCTION_PRE_GA: 0xf6,
  MODULE_AUX: 0xf7, IDLE: 0xf8, FREQ: 0xf9, AUX: 0xfa, RESIZEDB: 0xfb, EXPIRETIME_MS: 0xfc,
  EXPIRETIME: 0xfd, SELECTDB: 0xfe, EOF: 0xff,
  /** Redis Enterprise / Redis Cloud exports: a RAM LRU hint before a key (a LEN, ignored). */
  RAM_LRU: 107,
} as const;

/** The newest RDB versions whose layouts this parser knows (newer ones are read by these rules). */
const NEWEST_REDIS_RDB = 13;
const NEWEST_VALKEY_RDB = 80;
/** Warnings kept per file; more are counted (bounded memory on a file full of oddities). */
const MAX_WARNINGS = 100;
/** KEY_META classes per key at most (Redis: module metadata slots 1..7). */
const KEY_META_MAX_CLASSES = 7;
/** Valkey SLOT_IMPORT: job names are cluster node-name sized; slots below 16384. */
const SLOT_IMPORT_NAME_LEN = 40;
const CLUSTER_SLOTS = 16384;
/** Stream IDMP settings Redis 8.6 accepts (server.h CONFIG_STREAM_IDMP_*). */
const IDMP_MAX_DURATION = 86400;
const IDMP_MAX_ENTRIES = 10000;
/**
 * The largest default hash-max-listpack-entries (Redis 8, Valkey 8+): a plain hash up to this
 * size may load as a listpack, where only deep sanitization looks for duplicate fields.
 */
const HASH_LISTPACK_ENTRIES = 512;

/** How a packed value's entries group into elements (see packed). */
const SHAPE = { SINGLE: 1, PAIRS: 2, SCORED: 3, TRIPLETS: 4 } as const;
type Shape = (typeof SHAPE)[keyof typeof SHAPE];
/**
 * Where a plain hash keeps its field TTLs (see plainHash): none; Redis 7.4 pre-GA (absolute,
 * before each pair); Redis 7.4+ (relative to a minimum, before each pair); Valkey 9 (i64 after
 * each pair, -1 for none).
 */
const HASH_TTL = { NONE: 0, ABSOLUTE_BEFORE: 1, RELATIVE_BEFORE: 2, AFTER: 3 } as const;
type HashTtl = (typeof HASH_TTL)[keyof typeof HASH_TTL];

/** Packed blobs up to this size may be skipped unread in analysis mode (see skipPacked). */
const LITE_MAX_BYTES = 1 << 16;
/** skipPacked results. */
const WALK = 0;
const WALK_ANNOUNCED = 1;
const SKIPPED = 2;
/** Members per plain set/zset/hash checked for duplicates (bounds a check's memory per key). */
const DUP_CHECK_MAX = 1 << 20;
/** Strings up to this size are handed to the visitor as bytes even in analysis mode. */
const INLINE_LIMIT = 1 << 16;
/** A 7.2+ list saved as one packed node of at most this many bytes is a listpack in memory. */
const LIST_LISTPACK_MAX_BYTES = 8192;

const NOOP: ValueVisitor = {
  begin() {}, str() {}, int() {}, bigStr() {}, score() {}, fieldTtl() {}, blob: () => false,
  streamNode() {}, streamEntry() {}, streamMeta() {}, streamGroup() {}, streamPel() {},
  streamConsumer() {}, streamConsumerPel() {}, end() {},
};

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

export function newKeyRecord(): KeyRecord {
  return {
    db: 0, key: keyBuffer(256), keyLength: 0, type: 'string', encoding: '', rdbType: 0,
    expireAtMs: -1, idleS: -1, lfuFreq: -1, length: 0, largestElement: 0, offset: 0,
    valueFileBytes: 0, memoryBytes: 0, realBytes: 0, module: '', streamGroups: 0, streamMaxPending: 0, fieldsWithTtl: 0,
    streamOldestPendingMs: -1, streamPel: null, zsetScoreMin: NaN, zsetScoreMax: NaN,
  };
}

export function newFileInfo(): FileInfo {
  return {
    producer: 'unknown', rdbVersion: 0, producerVersion: '', aux: {}, functions: [], modules: {},
    slots: [], databases: {}, checksum: 'unread', storedChecksum: '', computedChecksum: '', crcEnd: 0, bytes: 0, trailingBytes: 0, warnings: [],
    keyMeta: {}, slotImports: [], ramLru: 0, streamIdmp: { streams: 0, producers: 0, ids: 0 },
  };
}

export class RdbParser {
  readonly info: FileInfo = newFileInfo();
  /** The version whose encodings the file's producer used (from aux, else the RDB version). */
  version: ServerVersion = parseVersion('', 0, 'redis');
  /** Keys read so far (for progress and partial results). */
  keys = 0;
  /** Offset up to which every record was read completely (what a partial result covers). */
  complete = 0;

  private readonly r: Reader;
  private readonly v: ValueVisitor;
  private readonly rec = newKeyRecord();
  private readonly validate: boolean;
  private valkeyTypes = false;
  private headerSent = false;
  private db = 0;
  private dbStats: FileInfo['databases'][string] = this.dbEntry(0);
  private readonly lp = new ListpackCursor();
  private readonly zl = new ZiplistCursor();
  private readonly is = new IntsetCursor();
  private readonly zm = new ZipmapCursor();
  /** Stream ids are copied here because the listpack that follows may reuse the window. */
  private readonly idBuf = new Uint8Array(16);
  private readonly keyCopier = new KeyCopier();

  constructor(
    src: ChunkSource,
    private readonly opts: ParseOptions = {},
  ) {
    this.r = new Reader(src, opts.file ?? '', !opts.deferChecksum);
    this.v = opts.visitor ?? NOOP;
    this.validate = opts.values === true || opts.validate === true;
    // Only deep sanitization compares a listpack's header count with its entries.
    this.lp.onMiscount = (declared, seen) => {
      this.lpDeclared = declared;
      this.deepWarn(`a listpack whose header declares ${declared} entries holds ${seen}`);
    };
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.r.offset;
  }

  parse(): FileInfo {
    this.header();
    const r = this.r;
    let expire = -1;
    let idle = -1;
    let freq = -1;
    let keyStart = -1;
    for (;;) {
      const at = r.offset;
      if (keyStart < 0) this.complete = at;
      const t = r.u8('a record type or opcode');
      if (t < 0xf3) {
        if (t === OP.RAM_LRU && !this.valkeyTypes) {
          // Redis Enterprise: an LRU hint that Redis itself never writes; nothing to keep.
          if (keyStart < 0) keyStart = at;
          r.len('the RAM LRU value of opcode 107 (Redis Enterprise)');
          this.info.ramLru++;
          continue;
        }
        if (!this.headerSent) this.sendHeader();
        this.key(t, keyStart >= 0 ? keyStart : at, expire, idle, freq);
        expire = idle = freq = keyStart = -1;
        continue;
      }
      switch (t) {
        case OP.EXPIRETIME_MS:
          if (keyStart < 0) keyStart = at;
          expire = r.i64le('an 8-byte expire time');
          break;
        case OP.EXPIRETIME:
          if (keyStart < 0) keyStart = at;
          expire = r.u32le('a 4-byte expire time') * 1000;
          break;
        case OP.IDLE:
          if (keyStart < 0) keyStart = at;
          idle = r.len('an LRU idle time');
          break;
        case OP.FREQ:
          if (keyStart < 0) keyStart = at;
          freq = r.u8('an LFU frequency');
          break;
        case OP.SELECTDB:
          this.db = r.len('a database number');
          this.dbStats = this.dbEntry(this.db);
          break;
        case OP.RESIZEDB:
          this.dbStats.resizeKeys = r.len('the RESIZEDB key count');
          this.dbStats.resizeExpires = r.len('the RESIZEDB expires count');
          break;
        case OP.AUX:
          this.aux();
          break;
        case OP.MODULE_AUX: {
          const id = r.lenBig('a module id');
          const name = moduleName(id);
          this.info.modules[name] ??= 0;
          const markerAt = r.offset;
          const two = r.len('the MODULE_AUX UINT marker');
          if (two !== 2) r.fail(`MODULE_AUX marker 2, found ${two}`, markerAt);
          r.len('the MODULE_AUX "when" field');
          this.skipModule(name);
          break;
        }
        case OP.FUNCTION2:
          r.str('a function library', true);
          this.info.functions.push(libraryName(r.strBuf!.subarray(r.strStart, r.strEnd)));
          break;
        case OP.FUNCTION_PRE_GA: {
          r.str('a function name', true);
          const name = utf8.decode(r.strBuf!.subarray(r.strStart, r.strEnd));
          r.str('a function engine', false);
          if (r.len('a function description flag') !== 0) r.str('a function description', false);
          r.str('a function body', false);
          this.info.functions.push(name);
          break;
        }
        case OP.SLOT_INFO: {
          const slot = r.len('a slot id');
          const keys = r.len('a slot key count');
          const expires = r.len('a slot expires count');
          this.info.slots.push({ slot, keys, expires });
          break;
        }
        case OP.KEY_META_OR_SLOT_IMPORT: {
          if (this.valkeyTypes) {
            this.slotImport();
            break;
          }
          if (keyStart < 0) keyStart = at;
          this.keyMeta();
          // Redis reads the value type right after the metadata: no other opcode may come between.
          const typeAt = r.offset;
          const vt = r.u8('a value type after KEY_META');
          if (vt >= 0xf3 || vt === OP.RAM_LRU) r.fail(`a value type after KEY_META, found opcode ${vt}`, typeAt);
          if (!this.headerSent) this.sendHeader();
          this.key(vt, keyStart, expire, idle, freq);
          expire = idle = freq = keyStart = -1;
          break;
        }
        case OP.EOF:
          if (keyStart >= 0) this.warn(`offset ${keyStart}: key prefix opcodes without a key before EOF`);
          if (!this.headerSent) this.sendHeader();
          this.trailer();
          this.tail();
          return this.info;
        default:
          return r.fail(`unsupported: opcode ${t} (${this.formatName()})`, at);
      }
    }
  }

  /** `RDB 13` / `VALKEY080`: the file's format, for messages. */
  private formatName(): string {
    const v = this.info.rdbVersion;
    return this.valkeyTypes ? `VALKEY${String(v).padStart(3, '0')}` : `RDB ${v}`;
  }

  /** Record a warning, at most MAX_WARNINGS per file (the rest are counted in the trailer). */
  private warn(msg: string): void {
    if (this.info.warnings.length < MAX_WARNINGS) this.info.warnings.push(msg);
    else this.moreWarnings++;
  }

  /** A warning about the current key, its place and name in front; past the cap only counted (no text built). */
  private keyWarn(what: string): void {
    if (this.info.warnings.length < MAX_WARNINGS) this.info.warnings.push(`${this.where()}: ${what}`);
    else this.moreWarnings++;
  }

  private moreWarnings = 0;

  /**
   * `offset N, key "k"`: where a warning about the current key applies. The key is always
   * quoted (reports find and redact it by that form), cut to 64 bytes, non-ASCII escaped.
   */
  private where(at = this.rec.offset): string {
    const rec = this.rec;
    const text = latin1.decode(rec.key.subarray(0, Math.min(rec.keyLength, 64)));
    const quoted = JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    return `offset ${at}, key ${quoted}${rec.keyLength > 64 ? '...' : ''}`;
  }

  /**
   * KEY_META (Redis 8.6): module key metadata before a key's type byte. A class count, then per
   * class a 4-byte spec (its 4-character name, version and flags) and a value framed by module
   * opcodes up to their EOF. Counted per class name; the values are skipped.
   */
  private keyMeta(): void {
    const r = this.r;
    const at = r.offset;
    const n = r.len('a KEY_META class count');
    if (n > KEY_META_MAX_CLASSES) r.fail(`at most ${KEY_META_MAX_CLASSES} KEY_META classes, found ${n}`, at);
    for (let i = 0; i < n; i++) {
      const spec = r.u32le('a 4-byte KEY_META class spec');
      const name = keyMetaClassName(spec);
      this.info.keyMeta[name] = (this.info.keyMeta[name] ?? 0) + 1;
      this.skipModule(`key metadata class ${name}`);
    }
  }

  /**
   * Valkey 9 SLOT_IMPORT: an atomic slot migration this node was importing when it saved:
   * a 40-byte job name, a range count, then first/last slot pairs.
   */
  private slotImport(): void {
    const r = this.r;
    const at = r.offset;
    r.str('a SLOT_IMPORT job name', true);
    if (r.strEnd - r.strStart !== SLOT_IMPORT_NAME_LEN) r.fail(`a ${SLOT_IMPORT_NAME_LEN}-byte SLOT_IMPORT job name, found ${r.strEnd - r.strStart} bytes`, at);
    const job = latin1.decode(r.strBuf!.subarray(r.strStart, r.strEnd));
    const n = r.len('a SLOT_IMPORT range count');
    const ranges: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      const rangeAt = r.offset;
      const first = r.len('a SLOT_IMPORT first slot');
      const last = r.len('a SLOT_IMPORT last slot');
      if (first >= CLUSTER_SLOTS || last >= CLUSTER_SLOTS || first > last) {
        r.fail(`a slot range within 0-${CLUSTER_SLOTS - 1}, found ${first}-${last}`, rangeAt);
      }
      // More ranges than slots cannot be real; keep what fits so memory stays bounded.
      if (ranges.length < CLUSTER_SLOTS) ranges.push([first, last]);
    }
    if (this.info.slotImports.length < MAX_WARNINGS) this.info.slotImports.push({ job, ranges });
  }

  private header(): void {
    const r = this.r;
    if (r.atEnd()) r.fail('an RDB header, found an empty file', 0);
    r.need(9, 'the 9-byte RDB header');
    const b = r.buf;
    const p = r.pos;
    const text = latin1.decode(b.subarray(p, p + 9));
    let version: number;
    if (text.startsWith('REDIS') && /^\d{4}$/.test(text.slice(5))) {
      version = Number(text.slice(5));
      this.info.producer = 'redis';
    } else if (text.startsWith('VALKEY') && /^\d{3}$/.test(text.slice(6))) {
      version = Number(text.slice(6));
      this.info.producer = 'valkey';
      this.valkeyTypes = true;
    } else if (text.startsWith('REDIS')) {
      return r.fail(`a 4-digit RDB version after REDIS, found ${JSON.stringify(text.slice(5))}`, 5);
    } else {
      const aof = aofKind(b.subarray(p, Math.min(r.end, p + 64)));
      return r.fail(aof ? aofMessage(aof) : `the REDIS or VALKEY magic, found ${JSON.stringify(text.slice(0, 9))}`, 0);
    }
    if (version < 1) r.fail(`an RDB version of at least 1, found ${version}`, 5);
    const newest = this.valkeyTypes ? NEWEST_VALKEY_RDB : NEWEST_REDIS_RDB;
    if (version > newest) {
      // A newer server may only have added what older ones never read; an unknown type or
      // opcode stops the parse where it appears.
      this.warn(`offset 0: ${text.slice(0, this.valkeyTypes ? 6 : 5)} RDB version ${version} is newer than the newest this tool knows (${newest}): read with the rules of ${newest}`);
    }
    r.pos += 9;
    this.info.rdbVersion = version;
    this.version = parseVersion('', version, this.info.producer);
  }

  private sendHeader(): void {
    this.headerSent = true;
    this.readVersion();
    this.opts.onHeader?.(this.info);
  }

  /** The producer and its version from the aux fields read so far. */
  private readVersion(): void {
    const aux = this.info.aux;
    const ver = aux['valkey-ver'] ?? aux['redis-ver'] ?? '';
    if (aux['valkey-ver'] !== undefined) this.info.producer = 'valkey';
    this.info.producerVersion = ver;
    this.version = parseVersion(ver, this.info.rdbVersion, this.info.producer);
  }

  private aux(): void {
    const r = this.r;
    r.str('an AUX field name', true);
    const name = latin1.decode(r.strBuf!.subarray(r.strStart, r.strEnd));
    r.str(`the value of AUX field ${printableName(name)}`, true);
    const value = utf8.decode(r.strBuf!.subarray(r.strStart, r.strEnd));
    if (name === 'slot-info') {
      const [slot, keys, expires] = value.split(',').map(Number);
      this.info.slots.push({ slot, keys, expires });
    } else if (name === 'lua' && this.info.aux.lua !== undefined) {
      this.info.aux.lua += '\n' + value;
    } else {
      this.info.aux[name] = value;
    }
    if (this.headerSent && (name === 'redis-ver' || name === 'valkey-ver')) {
      this.readVersion();
      this.opts.onVersion?.();
    }
  }

  private trailer(): void {
    const r = this.r;
    for (const [name, n] of Object.entries(this.info.modules)) {
      // Decoded vector sets are sized by the model; only undecodable ones are a proxy.
      const skipped = name === 'vectorset' ? this.vsetsSkipped : n;
      if (skipped > 0) this.warn(`${skipped} value${skipped === 1 ? '' : 's'} of module type ${name} skipped (their memory is estimated by their size in the file)`);
    }
    if (this.moreWarnings > 0) this.info.warnings.push(`… and ${this.moreWarnings} more warning${this.moreWarnings === 1 ? '' : 's'}`);
    r.finishCrc();
    const info = this.info;
    info.crcEnd = r.offset;
    if (!this.opts.deferChecksum) info.computedChecksum = r.crc.hex();
    if (info.rdbVersion < 5 && !this.valkeyTypes) {
      info.checksum = 'absent';
      info.bytes = r.offset;
      return;
    }
    const at = r.offset;
    r.need(8, 'the 8-byte CRC-64 checksum after EOF');
    const stored = trailerHex(r.buf, r.pos);
    r.pos += 8;
    info.bytes = r.offset;
    info.storedChecksum = stored;
    if (stored === '0000000000000000') info.checksum = 'disabled';
    else if (this.opts.deferChecksum) info.checksum = 'pending';
    else if (stored === info.computedChecksum) info.checksum = 'ok';
    else {
      info.checksum = 'mismatch';
      if (this.opts.checksumMismatch !== 'record') {
        r.fail(`checksum ${info.computedChecksum} (CRC-64 of the bytes before it), found ${stored}`, at);
      }
    }
  }

  /**
   * Bytes after the EOF opcode and checksum: Redis stops reading there, so they are not part
   * of the snapshot. They are counted (read through, never kept) and said aloud: RESP
   * commands there make the file an AOF whose RDB preamble is all that was analysed.
   */
  private tail(): void {
    const r = this.r;
    // Redis 7+ marks the RDB base file of a multi-part AOF (appendonly.aof.N.base.rdb).
    // File-level warnings go first: the terminal shows only the first few.
    if (this.info.aux['aof-base'] === '1') {
      this.info.warnings.unshift('the RDB base file of a multi-part AOF: the writes made after it (in the .incr.aof files its manifest names) are not in it');
    }
    if (r.atEnd()) return;
    const at = r.offset;
    const aof = aofKind(r.buf.subarray(r.pos, Math.min(r.end, r.pos + 64))) === 'aof';
    const n = r.drain();
    const info = this.info;
    info.trailingBytes = n;
    info.warnings.unshift(
      aof
        ? `offset ${at}: RDB preamble of an AOF: ${n} bytes of AOF commands after it not analysed`
        : `offset ${at}: ${n} byte${n === 1 ? '' : 's'} after the end of the RDB (EOF opcode and checksum) ignored, as Redis ignores them`,
    );
  }

  private dbEntry(db: number): FileInfo['databases'][string] {
    const dbs = this.info.databases;
    return (dbs[db] ??= { keys: 0, expires: 0, resizeKeys: 0, resizeExpires: 0 });
  }

  // ---- keys -------------------------------------------------------------------------------

  private key(t: number, start: number, expire: number, idle: number, freq: number): void {
    const r = this.r;
    const rec = this.rec;
    const typeAt = r.offset - 1;
    const kind = this.classify(t, typeAt);
    rec.db = this.db;
    rec.rdbType = t;
    rec.type = kind;
    rec.expireAtMs = expire;
    rec.idleS = idle;
    rec.lfuFreq = freq;
    rec.offset = start;
    rec.length = 0;
    rec.largestElement = 0;
    rec.memoryBytes = 0;
    rec.realBytes = 0;
    rec.module = '';
    rec.streamGroups = 0;
    rec.streamMaxPending = 0;
    rec.streamOldestPendingMs = -1;
    rec.streamPel = null;
    rec.zsetScoreMin = NaN;
    rec.zsetScoreMax = NaN;
    rec.fieldsWithTtl = 0;
    r.str('a key', true);
    const n = r.strEnd - r.strStart;
    if (rec.key.length < n) rec.key = keyBuffer(Math.max(n, rec.key.length * 2));
    this.keyCopier.copy(rec.key, 0, r.strBuf!, r.strStart, n);
    rec.keyLength = n;
    rec.encoding = '';
    const valueStart = r.offset;
    this.v.begin(rec);
    this.value(t, typeAt);
    rec.valueFileBytes = r.offset - valueStart;
    this.keys++;
    this.dbStats.keys++;
    if (expire >= 0) this.dbStats.expires++;
    this.v.end(rec);
    this.opts.onKey?.(rec);
  }

  private classify(t: number, at: number): RedisType {
    switch (t) {
      case T.STRING:
        return 'string';
      case T.LIST: case T.LIST_ZIPLIST: case T.LIST_QUICKLIST: case T.LIST_QUICKLIST_2:
        return 'list';
      case T.SET: case T.SET_INTSET: case T.SET_LISTPACK:
        return 'set';
      case T.ZSET: case T.ZSET_2: case T.ZSET_ZIPLIST: case T.ZSET_LISTPACK:
        return 'zset';
      case T.HASH: case T.HASH_ZIPMAP: case T.HASH_ZIPLIST: case T.HASH_LISTPACK: case T.HASH_METADATA_PRE_GA:
        return 'hash';
      case T.STREAM_LISTPACKS: case T.STREAM_LISTPACKS_2: case T.STREAM_LISTPACKS_3:
        return 'stream';
      case T.STREAM_LISTPACKS_4:
        if (this.valkeyTypes) return this.r.fail(`unsupported: value type ${t} (${this.formatName()})`, at);
        return 'stream';
      case T.MODULE_2:
        return 'module';
      case T.MODULE_PRE_GA:
        return this.r.fail('a module value of type 7; type 6 (Redis 4.0 release candidates) has no framing and cannot be skipped', at);
      case T.HASH_LISTPACK_EX_PRE_GA: case T.HASH_METADATA: case T.HASH_LISTPACK_EX:
        if (this.valkeyTypes) {
          return this.r.fail(`a value type Valkey ${this.info.rdbVersion} defines, found ${t} (a pre-release Valkey type)`, at);
        }
        return 'hash';
      default:
        return this.r.fail(`unsupported: value type ${t} (${this.formatName()})`, at);
    }
  }

  private value(t: number, at: number): void {
    const rec = this.rec;
    switch (t) {
      case T.STRING: return this.stringValue();
      case T.LIST: rec.encoding = 'linkedlist'; return this.plainList(false);
      case T.SET: rec.encoding = 'hashtable'; return this.plainList(true);
      case T.ZSET: rec.encoding = 'skiplist'; return this.plainZset(false);
      case T.ZSET_2: rec.encoding = 'skiplist'; return this.plainZset(true);
      case T.HASH: rec.encoding = 'hashtable'; return this.plainHash(HASH_TTL.NONE);
      case T.MODULE_2: return this.moduleValue();
      case T.HASH_ZIPMAP: rec.encoding = 'zipmap'; return this.packed(this.zm, 'zipmap', 'a zipmap', SHAPE.PAIRS);
      case T.LIST_ZIPLIST: rec.encoding = 'ziplist'; return this.packed(this.zl, 'ziplist', 'a list ziplist', SHAPE.SINGLE);
      case T.SET_INTSET: rec.encoding = 'intset'; return this.packed(this.is, 'intset', 'an intset', SHAPE.SINGLE);
      case T.ZSET_ZIPLIST: rec.encoding = 'ziplist'; return this.packed(this.zl, 'ziplist', 'a zset ziplist', SHAPE.SCORED);
      case T.HASH_ZIPLIST: rec.encoding = 'ziplist'; return this.packed(this.zl, 'ziplist', 'a hash ziplist', SHAPE.PAIRS);
      case T.LIST_QUICKLIST: rec.encoding = 'quicklist'; return this.quicklist(false);
      case T.LIST_QUICKLIST_2: return this.quicklist(true);
      case T.HASH_LISTPACK: rec.encoding = 'listpack'; return this.packed(this.lp, 'listpack', 'a hash listpack', SHAPE.PAIRS);
      case T.ZSET_LISTPACK: rec.encoding = 'listpack'; return this.packed(this.lp, 'listpack', 'a zset listpack', SHAPE.SCORED);
      case T.SET_LISTPACK: rec.encoding = 'listpack'; return this.packed(this.lp, 'listpack', 'a set listpack', SHAPE.SINGLE);
      case T.STREAM_LISTPACKS: return this.stream(1);
      case T.STREAM_LISTPACKS_2: return this.stream(2);
      case T.STREAM_LISTPACKS_3: return this.stream(3);
      case T.STREAM_LISTPACKS_4: return this.stream(4);
      case T.HASH_METADATA_PRE_GA:
        rec.encoding = 'hashtable';
        return this.plainHash(this.valkeyTypes ? HASH_TTL.AFTER : HASH_TTL.ABSOLUTE_BEFORE);
      case T.HASH_METADATA: {
        rec.encoding = 'hashtable';
        const min = this.r.i64le('the hash minimum field expire time');
        return this.plainHash(HASH_TTL.RELATIVE_BEFORE, min);
      }
      case T.HASH_LISTPACK_EX_PRE_GA: rec.encoding = 'listpackex'; return this.packed(this.lp, 'listpack', 'a hash listpack with TTLs', SHAPE.TRIPLETS);
      case T.HASH_LISTPACK_EX:
        rec.encoding = 'listpackex';
        this.r.i64le('the hash minimum field expire time');
        return this.packed(this.lp, 'listpack', 'a hash listpack with TTLs', SHAPE.TRIPLETS);
      default:
        this.r.fail(`a known value type, found ${t}`, at);
    }
  }

  /** Hand the last string read to the visitor; returns its length. */
  private emitStr(): number {
    const r = this.r;
    if (r.strIsInt) this.v.int(r.strInt);
    else if (r.strBuf === null) this.v.bigStr(r.strLength);
    else this.v.str(r.strBuf, r.strStart, r.strEnd);
    return r.strLength;
  }

  private stringValue(): void {
    const r = this.r;
    const rec = this.rec;
    r.str('a string value', this.validate, INLINE_LIMIT);
    const n = this.emitStr();
    rec.length = n;
    rec.largestElement = n;
    const v = this.version;
    if (r.strIsInt || (r.strBuf !== null && n <= 20 && isCanonicalInt(r.strBuf, r.strStart, r.strEnd))) rec.encoding = 'int';
    else rec.encoding = stringEncoding(v.num, v.valkey, n, rec.keyLength, rec.expireAtMs >= 0);
  }

  /**
   * Validation: members of a set or zset and fields of a hash must be unique, as Redis'
   * deep sanitization requires. Packed values are checked whole (they are small); plain ones
   * for their first DUP_CHECK_MAX members, which bounds the memory a check may take per key.
   */
  private dupReset(): void {
    this.dups.clear();
  }

  /** Record the last string read (or integer `iv` when `isInt`); true when it was seen before. */
  private dupSeen(isInt: boolean, iv: number, b: Uint8Array | null, s: number, e: number): boolean {
    const seen = this.dups;
    if (seen.size >= DUP_CHECK_MAX) return false;
    if (isInt) return seen.addInt(iv);
    return b !== null && seen.add(b, s, e);
  }

  private readonly dups = new DupSet();

  private plainList(isSet: boolean): void {
    const r = this.r;
    const rec = this.rec;
    const n = r.len(isSet ? 'a set size' : 'a list length');
    const what = isSet ? 'a set member' : 'a list element';
    const unique = isSet && this.validate;
    if (unique) this.dupReset();
    let largest = 0;
    for (let i = 0; i < n; i++) {
      const at = r.offset;
      r.str(what, this.validate, INLINE_LIMIT);
      if (unique && this.dupSeen(r.strIsInt, r.strInt, r.strBuf, r.strStart, r.strEnd)) r.fail('a set without duplicate members, found one twice', at);
      const len = this.emitStr();
      if (len > largest) largest = len;
    }
    rec.length = n;
    rec.largestElement = largest;
    if (n === 0) this.emptyWarning();
  }

  private plainZset(binary: boolean): void {
    const r = this.r;
    const rec = this.rec;
    const n = r.len('a zset size');
    let largest = 0;
    let lo = Infinity;
    let hi = -Infinity;
    if (this.validate) this.dupReset();
    for (let i = 0; i < n; i++) {
      const at = r.offset;
      r.str('a zset member', this.validate, INLINE_LIMIT);
      if (this.validate && this.dupSeen(r.strIsInt, r.strInt, r.strBuf, r.strStart, r.strEnd)) r.fail('a zset without duplicate members, found one twice', at);
      const len = this.emitStr();
      if (len > largest) largest = len;
      let score: number;
      if (binary) score = r.f64le('an 8-byte zset score');
      else {
        const l = r.u8('a zset score length');
        if (l === 253) score = NaN;
        else if (l === 254) score = Infinity;
        else if (l === 255) score = -Infinity;
        else {
          r.need(l, 'a zset score');
          score = parseScore(r.buf, r.pos, r.pos + l);
          if (Number.isNaN(score)) r.fail('a decimal zset score');
          r.pos += l;
        }
      }
      this.v.score(score);
      if (score < lo) lo = score;
      if (score > hi) hi = score;
    }
    rec.length = n;
    rec.largestElement = largest;
    if (n > 0) {
      rec.zsetScoreMin = lo;
      rec.zsetScoreMax = hi;
    }
    if (n === 0) this.emptyWarning();
  }

  /**
   * Plain hashes, with field TTLs where `ttlMode` (HASH_TTL) says; `min` is the 7.4 layout's
   * minimum the relative TTLs count from.
   */
  private plainHash(ttlMode: HashTtl, min = 0): void {
    const r = this.r;
    const rec = this.rec;
    const n = r.len('a hash size');
    let largest = 0;
    let withTtl = 0;
    let dups = 0;
    if (this.validate) this.dupReset();
    for (let i = 0; i < n; i++) {
      let ttl = 0;
      if (ttlMode === HASH_TTL.ABSOLUTE_BEFORE || ttlMode === HASH_TTL.RELATIVE_BEFORE) {
        ttl = r.len('a hash field TTL');
        if (ttlMode === HASH_TTL.RELATIVE_BEFORE && ttl !== 0) ttl = ttl + min - 1;
      }
      const at = r.offset;
      r.str('a hash field', this.validate, INLINE_LIMIT);
      if (this.validate && this.dupSeen(r.strIsInt, r.strInt, r.strBuf, r.strStart, r.strEnd)) {
        // A small hash loads as a listpack, checked for duplicates only by deep sanitization.
        if (ttlMode === HASH_TTL.AFTER || n > HASH_LISTPACK_ENTRIES) r.fail('a hash without duplicate fields, found one twice', at);
        dups++;
      }
      let len = this.emitStr();
      if (len > largest) largest = len;
      r.str('a hash value', this.validate, INLINE_LIMIT);
      len = this.emitStr();
      if (len > largest) largest = len;
      if (ttlMode === HASH_TTL.AFTER) {
        ttl = r.i64le('a hash field expire time');
        if (ttl === -1) ttl = 0;
      }
      if (ttlMode !== HASH_TTL.NONE) {
        this.v.fieldTtl(ttl);
        if (ttl !== 0) withTtl++;
      }
    }
    rec.length = n;
    rec.largestElement = largest;
    rec.fieldsWithTtl = withTtl;
    if (dups > 0) this.deepWarn(`${dups} duplicate field${dups === 1 ? '' : 's'} in a hash of ${n}`);
    if (n === 0) this.emptyWarning();
  }

  private emptyWarning(): void {
    this.keyWarn(`empty ${this.rec.type} (Redis skips such keys on load)`);
  }

  /** Decode the blob opened by `r.blobOpen` and point `c` at it. */
  private decodeBlob(c: BlobCursor, what: string): void {
    const r = this.r;
    const fileAt = r.strLzf ? r.blobStart : r.offset;
    r.blobDecode(what);
    c.reset(r.strBuf!, r.strStart, r.strEnd, fileAt, r.strLzf, r.file, what);
    this.lpDeclared = -1;
  }

  private openBlob(c: BlobCursor, what: string): void {
    this.r.blobOpen(what);
    this.decodeBlob(c, what);
  }

  /**
   * The entry count in a packed blob's header, without decoding the blob (analysis mode):
   * listpack, ziplist or intset; -1 when the header does not give it (unknown count, or
   * malformed — then the full walk reports the defect). Also sets `headWidth` for intsets.
   */
  private headerCount(kind: BlobKind, size: number): number {
    const h = this.head;
    if (kind === 'listpack') {
      if (this.r.blobHead(6, h) < 6 || u32le(h, 0) !== size) return -1;
      const n = h[4] | (h[5] << 8);
      return n === 65535 ? -1 : n;
    }
    if (kind === 'ziplist') {
      if (this.r.blobHead(10, h) < 10 || u32le(h, 0) !== size) return -1;
      const n = h[8] | (h[9] << 8);
      return n === 65535 ? -1 : n;
    }
    if (kind === 'intset') {
      if (this.r.blobHead(8, h) < 8) return -1;
      const w = u32le(h, 0);
      const n = u32le(h, 4);
      if ((w !== 2 && w !== 4 && w !== 8) || 8 + w * n !== size) return -1;
      this.headWidth = w;
      return n;
    }
    return -1;
  }

  private readonly head = new Uint8Array(16);
  private headWidth = 0;

  /**
   * Analysis mode: when the header gives the count and no consumer wants the elements, a
   * packed blob is skipped without decoding (the largest element stays unknown, -1; such
   * blobs are small by construction); one of fewer than `minCount` entries is walked (so
   * that the walk reports it). Returns SKIPPED (its entry count in `liteCount`), or
   * WALK_ANNOUNCED / WALK when the blob must be walked with / without the consumer told of it.
   * A code and a field rather than an object: this runs for every small packed value.
   */
  private skipPacked(kind: BlobKind, size: number, per: number, minCount = 0): number {
    if (this.validate || size > LITE_MAX_BYTES) return WALK;
    const count = this.headerCount(kind, size);
    if (count < minCount || count % per !== 0) return WALK;
    this.liteCount = count;
    if (this.v.blob(kind, size, count, kind === 'intset' ? this.headWidth : 0)) return WALK_ANNOUNCED;
    this.r.blobSkip();
    return SKIPPED;
  }

  /** The header count of the listpack just walked when it disagreed with its entries, else -1. */
  private lpDeclared = -1;

  /** Entry count of the blob skipPacked looked at. */
  private liteCount = 0;

  /**
   * Walk one packed value whose entries form elements as `shape` says: single elements, hash
   * field/value pairs, zset member/score pairs, or field/value/TTL triplets.
   */
  private packed(c: BlobCursor & { open(): void; next(): boolean }, kind: BlobKind, what: string, shape: Shape): void {
    const rec = this.rec;
    const per = shape === SHAPE.SINGLE ? 1 : shape === SHAPE.TRIPLETS ? 3 : 2;
    const size = this.r.blobOpen(what);
    const lite = shape === SHAPE.TRIPLETS || kind === 'zipmap' ? WALK : this.skipPacked(kind, size, per);
    if (lite === SKIPPED) {
      rec.length = this.liteCount / per;
      rec.largestElement = -1;
      if (this.liteCount === 0) this.emptyWarning();
      return;
    }
    this.decodeBlob(c, what);
    c.open();
    const v = this.v;
    const bytes = c.end - c.start;
    const declared = kind === 'intset' ? (c as IntsetCursor).count : kind === 'zipmap' ? 0 : (c as ListpackCursor).declared;
    if (lite === WALK) v.blob(kind, bytes, declared, kind === 'intset' ? (c as IntsetCursor).width : 0);
    let i = 0;
    let largest = 0;
    let withTtl = 0;
    let lo = Infinity;
    let hi = -Infinity;
    // Lists may repeat elements; set members, zset members and hash fields may not.
    // (Intset members are checked strictly ascending by the cursor, so never repeat.)
    const unique = this.validate && this.rec.type !== 'list' && kind !== 'intset';
    if (unique) this.dupReset();
    let dups = 0;
    while (c.next()) {
      const pos = shape === SHAPE.SINGLE ? 0 : shape === SHAPE.TRIPLETS ? i % 3 : i & 1;
      i++;
      if (unique && pos === 0 && this.dupSeen(c.isInt, c.iv, c.sb, c.s, c.e)) {
        // Redis converts ziplists and zipmaps with a full check; listpacks get it only from deep sanitization.
        if (kind !== 'listpack') c.fail(`no duplicate ${shape === SHAPE.PAIRS || shape === SHAPE.TRIPLETS ? 'fields' : 'members'}, found one twice`, c.p);
        dups++;
      }
      if (pos === 0 || ((shape === SHAPE.PAIRS || shape === SHAPE.TRIPLETS) && pos === 1)) {
        const len = c.textLength;
        if (len > largest) largest = len;
        if (c.isInt) v.int(c.iv);
        else v.str(c.sb, c.s, c.e);
      } else if (shape === SHAPE.SCORED) {
        const score = c.isInt ? c.iv : this.scoreText(c);
        v.score(score);
        if (score < lo) lo = score;
        if (score > hi) hi = score;
      } else {
        if (!c.isInt) c.fail('an integer field TTL in the listpack');
        v.fieldTtl(c.iv);
        if (c.iv !== 0) withTtl++;
      }
    }
    if (i % per !== 0) c.fail(`a multiple of ${per} entries, found ${i}`, c.start);
    if (dups > 0) this.deepWarn(`${dups} duplicate ${shape === SHAPE.PAIRS || shape === SHAPE.TRIPLETS ? 'field' : 'member'}${dups === 1 ? '' : 's'} in a listpack`);
    if (kind === 'intset' && (c as IntsetCursor).unordered > 0) this.deepWarn('intset members not in strictly ascending order');
    // Redis counts a listpack by its header: with a wrong one, that is the length it reports.
    rec.length = this.lpDeclared >= 0 && c === this.lp ? Math.floor(this.lpDeclared / per) : i / per;
    rec.largestElement = largest;
    rec.fieldsWithTtl = withTtl;
    if (shape === SHAPE.SCORED && i > 0) {
      rec.zsetScoreMin = lo;
      rec.zsetScoreMax = hi;
    }
    if (i === 0) this.emptyWarning();
  }

  private scoreText(c: BlobCursor): number {
    const s = parseScore(c.sb, c.s, c.e);
    if (Number.isNaN(s)) c.fail('a decimal zset score', c.s);
    return s;
  }

  private quicklist(v2: boolean): void {
    const r = this.r;
    const rec = this.rec;
    const v = this.v;
    const nodes = r.len('a quicklist node count');
    let count = 0;
    let largest = 0;
    let packedNodes = 0;
    let lastNodeBytes = 0;
    let plainNodes = 0;
    let skipped = false;
    for (let k = 0; k < nodes; k++) {
      let container = 2;
      if (v2) {
        const at = r.offset;
        container = r.len('a quicklist node container');
        if (container !== 1 && container !== 2) r.fail(`quicklist container 1 (plain) or 2 (packed), found ${container}`, at);
      }
      if (container === 1) {
        r.str('a plain quicklist node', this.validate, INLINE_LIMIT);
        v.blob('plain', r.strLength, 1, 0);
        const len = this.emitStr();
        if (len > largest) largest = len;
        count++;
        plainNodes++;
        continue;
      }
      const c = v2 ? this.lp : this.zl;
      const kind = v2 ? 'listpack' : 'ziplist';
      const what = v2 ? 'a quicklist listpack node' : 'a quicklist ziplist node';
      const size = this.r.blobOpen(what);
      // An empty v2 node is left to the walk, which warns about it.
      const lite = this.skipPacked(kind, size, 1, v2 ? 1 : 0);
      if (lite === SKIPPED) {
        count += this.liteCount;
        skipped = true;
        packedNodes++;
        lastNodeBytes = size;
        continue;
      }
      this.decodeBlob(c, what);
      c.open();
      const bytes = c.end - c.start;
      if (lite === WALK) v.blob(kind, bytes, c.declared, 0);
      let n = 0;
      while (c.next()) {
        n++;
        const len = c.textLength;
        if (len > largest) largest = len;
        if (c.isInt) v.int(c.iv);
        else v.str(c.sb, c.s, c.e);
      }
      if (n === 0 && v2) this.keyWarn(`an empty quicklist node (Redis skips it on load)`);
      count += this.lpDeclared >= 0 && v2 ? this.lpDeclared : n;
      packedNodes++;
      lastNodeBytes = bytes;
    }
    rec.length = count;
    // Skipped nodes hide their largest element, unless a plain node (always the larger) is known.
    rec.largestElement = skipped && plainNodes === 0 ? -1 : largest;
    if (v2) {
      const single = packedNodes === 1 && plainNodes === 0 && lastNodeBytes <= LIST_LISTPACK_MAX_BYTES;
      rec.encoding = this.version.num >= 702 && single ? 'listpack' : 'quicklist';
    }
    if (count === 0) this.emptyWarning();
  }

  private moduleValue(): void {
    const r = this.r;
    const rec = this.rec;
    const id = r.lenBig('a module type id');
    const name = moduleName(id);
    rec.module = name;
    rec.encoding = 'raw';
    this.info.modules[name] = (this.info.modules[name] ?? 0) + 1;
    // Vector sets (encoding version 0, the only one Redis 8 loads) are decoded into a summary
    // the memory model sizes them from; other modules are only skipped.
    if (name === 'vectorset' && (id & 1023n) === 0n) {
      const dec = (this.vsets ??= new VectorSetDecoder(r));
      rec.vectorset = dec.read();
      rec.length = rec.vectorset.count;
      rec.largestElement = dec.largest;
      return;
    }
    rec.vectorset = null;
    if (name === 'vectorset') this.vsetsSkipped++;
    this.skipModule(name);
  }

  private vsets: VectorSetDecoder | null = null;
  private vsetsSkipped = 0;

  /** Skip module data framed by sub-opcodes, the way redis-check-rdb does without the module. */
  private skipModule(name: string): void {
    const r = this.r;
    const opWhat = `a module opcode in a ${name} value`;
    const intWhat = `a module integer in a ${name} value`;
    const strWhat = `a module string in a ${name} value`;
    for (;;) {
      const at = r.offset;
      const op = r.len(opWhat);
      switch (op) {
        case 0: return;
        case 1: case 2: r.lenBig(intWhat); break;
        case 3: r.need(4, 'a module float'); r.pos += 4; break;
        case 4: r.need(8, 'a module double'); r.pos += 8; break;
        case 5: r.str(strWhat, false, 0); break;
        default: r.fail(`a module opcode 0-5 in a ${name} value, found ${op}`, at);
      }
    }
  }

  // ---- streams ----------------------------------------------------------------------------

  private stream(layout: number): void {
    const r = this.r;
    const rec = this.rec;
    const v = this.v;
    const lp = this.lp;
    rec.encoding = 'stream';
    const nodes = r.len('a stream listpack count');
    const id = this.idBuf;
    let entries = 0;
    let largest = 0;
    let prevMs = -1n;
    let prevSeq = 0n;
    const walk = this.validate;
    for (let k = 0; k < nodes; k++) {
      const at = r.offset;
      r.str('a stream node master id', true);
      if (r.strEnd - r.strStart !== 16) r.fail(`a 16-byte stream master id, found ${r.strEnd - r.strStart} bytes`, at);
      // Nodes are keyed by master id in a radix tree: Redis refuses one added twice.
      if (k > 0 && compare16(r.strBuf!, r.strStart, id) === 0) r.fail('no stream node master id twice in a row', at);
      id.set(r.strBuf!.subarray(r.strStart, r.strEnd));
      this.openBlob(lp, 'a stream listpack');
      lp.open();
      v.streamNode(id, 0, lp.end - lp.start);
      // Master entry: count, deleted, number of master fields, the fields, 0.
      const count = this.lpInt('the stream node entry count');
      const deleted = this.lpInt('the stream node deleted count');
      const nMaster = this.lpInt('the stream node master field count');
      if (count === 0 && deleted === 0) this.keyWarn(`a stream node without entries (Redis loads it; only deep sanitization rejects it)`);
      entries += count;
      if (!walk) continue;
      const masterStart = lp.p;
      for (let i = 0; i < nMaster; i++) if (!lp.next()) lp.fail('a stream master field');
      const masterEnd = lp.p;
      if (this.lpInt('the stream master entry terminator') !== 0) this.deepWarn('no 0 after the stream master fields');
      const baseMs = readU64be(id, 0);
      const baseSeq = readU64be(id, 8);
      let live = 0;
      let dead = 0;
      while (lp.next()) {
        if (!lp.isInt) lp.fail('integer stream entry flags');
        const flags = lp.iv;
        const msDiff = this.lpBig('a stream entry id (ms delta)');
        const seqDiff = this.lpBig('a stream entry id (seq delta)');
        const same = (flags & 2) !== 0;
        const nFields = same ? nMaster : this.lpInt('a stream entry field count');
        const isDeleted = (flags & 1) !== 0;
        const ms = baseMs + msDiff;
        const seq = baseSeq + seqDiff;
        if (ms < prevMs || (ms === prevMs && seq <= prevSeq)) this.deepWarn(`stream entry id ${ms}-${seq} not above the previous ${prevMs}-${prevSeq}`);
        prevMs = ms;
        prevSeq = seq;
        if (isDeleted) dead++;
        else {
          live++;
          v.streamEntry(ms, seq, nFields);
        }
        let mp = masterStart;
        for (let i = 0; i < nFields; i++) {
          if (same) {
            // The field comes from the master entry: re-read it there.
            const save = lp.p;
            const seen = lp.seen;
            lp.p = mp;
            lp.next();
            mp = lp.p;
            if (!isDeleted) this.lpEmit();
            lp.p = save;
            lp.seen = seen;
          } else {
            if (!lp.next()) lp.fail('a stream entry field');
            if (!isDeleted) this.lpEmit();
          }
          if (!lp.next()) lp.fail('a stream entry value');
          if (!isDeleted) {
            const len = lp.textLength;
            if (len > largest) largest = len;
            this.lpEmit();
          }
        }
        if (same && mp !== masterEnd) this.deepWarn('a stream entry without a value for every master field');
        const lpCount = this.lpInt('the stream entry back-count');
        if (lpCount !== (same ? 3 + nFields : 4 + 2 * nFields)) this.deepWarn(`stream entry back-count ${same ? 3 + nFields : 4 + 2 * nFields}, found ${lpCount}`);
      }
      if (live !== count || dead !== deleted) this.deepWarn(`${count} live and ${deleted} deleted stream entries as the master entry declares, found ${live} and ${dead}`);
    }
    const meta: StreamMeta = {
      length: r.len('the stream length'),
      lastMs: r.lenBig('the stream last id'),
      lastSeq: r.lenBig('the stream last id'),
      firstMs: 0n, firstSeq: 0n, maxDeletedMs: 0n, maxDeletedSeq: 0n, entriesAdded: 0n, groups: 0,
    };
    if (layout >= 2) {
      meta.firstMs = r.lenBig('the stream first id');
      meta.firstSeq = r.lenBig('the stream first id');
      meta.maxDeletedMs = r.lenBig('the stream max deleted id');
      meta.maxDeletedSeq = r.lenBig('the stream max deleted id');
      meta.entriesAdded = r.lenBig('the stream entries-added counter');
    } else meta.entriesAdded = BigInt(meta.length);
    // Old servers could save a length that disagrees with the entries; Redis loads it as XLEN.
    if (meta.length !== entries) this.keyWarn(`stream length ${meta.length} but ${entries} live entries (Redis loads it and reports XLEN ${meta.length})`);
    if (meta.length > 0 && nodes === 0) r.fail('stream entries for a non-zero length (Redis: stream length inconsistent with rax entries)');
    meta.groups = r.len('a consumer group count');
    v.streamMeta(meta);
    let maxPending = 0;
    let oldest = -1;
    // Streams with groups are few: their per-group summary is built as they come.
    const pel: StreamPelSummary | null = meta.groups > 0 ? { groups: [] } : null;
    for (let g = 0; g < meta.groups; g++) {
      r.str('a consumer group name', true);
      const nameStart = r.strStart;
      const nameBuf = r.strBuf!;
      const nameEnd = r.strEnd;
      // Copy the name: the reads below may move the window.
      const name = nameBuf.slice(nameStart, nameEnd);
      const lastMs = r.lenBig('a group last-delivered id');
      const lastSeq = r.lenBig('a group last-delivered id');
      const entriesRead = layout >= 2 ? BigInt.asIntN(64, r.lenBig('a group entries-read counter')) : -1n;
      v.streamGroup(name, 0, name.length, lastMs, lastSeq, entriesRead);
      const pending = r.len('a group pending-entries count');
      if (pending > maxPending) maxPending = pending;
      const groupOldest = this.pelIds(pending, true);
      if (groupOldest >= 0 && (oldest < 0 || groupOldest < oldest)) oldest = groupOldest;
      pel!.groups.push({ name: keyText(name), pending, oldestDeliveryMs: groupOldest });
      const consumers = r.len('a consumer count');
      let owned = 0;
      for (let c = 0; c < consumers; c++) {
        r.str('a consumer name', true);
        const cname = r.strBuf!.slice(r.strStart, r.strEnd);
        const seen = r.i64le('a consumer seen time');
        const active = layout >= 3 ? r.i64le('a consumer active time') : seen;
        v.streamConsumer(cname, 0, cname.length, seen, active);
        const n = r.len('a consumer pending count');
        owned += n;
        this.pelIds(n, false);
      }
      if (owned !== pending) this.deepWarn(`consumers of a group own ${owned} of its ${pending} pending entries`);
    }
    if (layout >= 4) this.streamIdmp();
    rec.length = meta.length;
    rec.largestElement = walk ? largest : -1;
    rec.streamGroups = meta.groups;
    rec.streamMaxPending = maxPending;
    rec.streamOldestPendingMs = oldest;
    rec.streamPel = pel;
  }

  /** Group PEL (`group`: with delivery time and count) or consumer PEL ids, strictly ascending. */
  /** Returns the earliest delivery time of a group PEL (ms), -1 when empty or a consumer PEL. */
  private pelIds(n: number, group: boolean): number {
    const r = this.r;
    const v = this.v;
    const prev = this.idBuf;
    let oldest = -1;
    for (let i = 0; i < n; i++) {
      const at = r.offset;
      r.need(16, 'a 16-byte pending entry id');
      const b = r.buf;
      const p = r.pos;
      if (i > 0) {
        // A repeated id fails Redis' load; ids out of order do not (it only builds a radix tree).
        const c = compare16(b, p, prev);
        if (c === 0) r.fail('no pending entry id twice in a row', at);
        if (c < 0) this.deepWarn('pending entry ids out of ascending order');
      }
      for (let k = 0; k < 16; k++) prev[k] = b[p + k];
      r.pos += 16;
      if (group) {
        const delivery = r.i64le('a pending entry delivery time');
        const count = r.len('a pending entry delivery count');
        v.streamPel(prev, 0, delivery, count);
        if (oldest < 0 || delivery < oldest) oldest = delivery;
      } else {
        v.streamConsumerPel(prev, 0);
      }
    }
    return oldest;
  }

  /** A check only Redis' deep sanitization makes: a warning naming the key. */
  private deepWarn(what: string): void {
    this.keyWarn(`${what} (Redis loads it; only sanitize-dump-payload yes rejects it)`);
  }

  /**
   * Type 26 (Redis 8.6): after the groups, the idempotent-producer state: duration, max ids,
   * producers (id, count, then per tracked id its IID and the entry id it made), and the
   * all-time added and duplicate counters.
   */
  private streamIdmp(): void {
    const r = this.r;
    const v = this.v;
    let at = r.offset;
    const duration = r.len('the stream IDMP duration');
    if (duration < 1 || duration > IDMP_MAX_DURATION) r.fail(`a stream IDMP duration of 1-${IDMP_MAX_DURATION} seconds, found ${duration}`, at);
    at = r.offset;
    const maxEntries = r.len('the stream IDMP max entries');
    if (maxEntries < 1 || maxEntries > IDMP_MAX_ENTRIES) r.fail(`stream IDMP max entries of 1-${IDMP_MAX_ENTRIES}, found ${maxEntries}`, at);
    const producers = r.len('a stream IDMP producer count');
    const check = this.validate;
    const pids = this.idmpPids;
    if (check) pids.clear();
    let ids = 0;
    for (let p = 0; p < producers; p++) {
      at = r.offset;
      r.str('a stream IDMP producer id', true);
      // Redis refuses a producer id that repeats; checked for the first DUP_CHECK_MAX producers.
      if (check && pids.size < DUP_CHECK_MAX && pids.add(r.strBuf!, r.strStart, r.strEnd)) r.fail('no stream IDMP producer id twice', at);
      const pid = r.strBuf!.slice(r.strStart, r.strEnd);
      const n = r.len('a stream IDMP producer id count');
      v.streamIdmpProducer?.(pid, 0, pid.length, n);
      if (check) this.dupReset();
      let repeated = 0;
      for (let i = 0; i < n; i++) {
        r.str('a stream IDMP id', true);
        if (check && this.dupSeen(false, 0, r.strBuf, r.strStart, r.strEnd)) repeated++;
        v.streamIdmpEntry?.(r.strBuf!, r.strStart, r.strEnd);
        r.lenBig('a stream IDMP entry id');
        r.lenBig('a stream IDMP entry id');
      }
      if (repeated > 0) this.keyWarn(`${repeated} IDMP id${repeated === 1 ? '' : 's'} repeated within one producer (Redis keeps the first)`);
      ids += n;
    }
    const meta: StreamIdmpMeta = {
      duration, maxEntries, producers, ids,
      iidsAdded: r.lenBig('the stream IDMP ids-added counter'),
      iidsDuplicates: r.lenBig('the stream IDMP duplicates counter'),
    };
    v.streamIdmp?.(meta);
    const t = this.info.streamIdmp;
    if (producers > 0) t.streams++;
    t.producers += producers;
    t.ids += ids;
  }

  private readonly idmpPids = new DupSet();

  private lpInt(what: string): number {
    const lp = this.lp;
    if (!lp.next() || !lp.isInt) lp.fail(`${what} as an integer entry`);
    return lp.iv;
  }

  private lpBig(what: string): bigint {
    const lp = this.lp;
    if (!lp.next()) lp.fail(what);
    if (lp.isInt) return BigInt(lp.iv);
    // int64 beyond 2^53 arrives as text; any other string entry is corrupt.
    if (!isCanonicalInt(lp.sb, lp.s, lp.e)) lp.fail(`${what} as an integer entry`);
    return BigInt(latin1.decode(lp.sb.subarray(lp.s, lp.e)));
  }

  private lpEmit(): void {
    const lp = this.lp;
    if (lp.isInt) this.v.int(lp.iv);
    else this.v.str(lp.sb, lp.s, lp.e);
  }
}

/**
 * A name read from the file, fit for a one-line message: as it is when short and plain ASCII,
 * else quoted, cut to 64 characters, with control and non-ASCII characters escaped.
 */
function printableName(s: string): string {
  if (s.length <= 64 && /^[\x21-\x7e]*$/.test(s)) return s;
  const cut = s.length > 64 ? `${s.slice(0, 64)}...` : s;
  return JSON.stringify(cut).replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** KEY_META class names: 6-bit characters of this alphabet (note `_` before `-`, unlike module ids). */
const KEY_META_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** A KEY_META class spec: 4 name characters in bits 31..8 (first character highest), version, flags. */
function keyMetaClassName(spec: number): string {
  let name = '';
  for (let i = 0; i < 4; i++) name += KEY_META_ALPHABET[(spec >>> (26 - 6 * i)) & 63];
  return name;
}

/** `#!lua name=mylib ...` → `mylib`. */
function libraryName(code: Uint8Array): string {
  const head = utf8.decode(code.subarray(0, Math.min(code.length, 512)));
  const m = /^#!\S+[^\n]*?\bname=(\S+)/.exec(head);
  return m ? m[1] : head.split('\n')[0];
}

function readU64be(b: Uint8Array, at: number): bigint {
  return new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0, false);
}

function compare16(b: Uint8Array, p: number, other: Uint8Array): number {
  for (let i = 0; i < 16; i++) {
    const d = b[p + i] - other[i];
    if (d !== 0) return d;
  }
  return 0;
}

export { RdbError };
