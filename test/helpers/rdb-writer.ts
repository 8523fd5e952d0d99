/**
 * A small RDB *writer* for tests, benchmarks and fuzzing: builds byte-exact files from a
 * description. It follows docs/rdb-format.md and chooses encodings the way Redis
 * does unless told otherwise (smallest length form, smallest integer width, canonical integer
 * strings stored as integers, LZF only with `compress`), and every choice can be forced.
 *
 *   const rdb = buildRdb({ version: 11, aux: { 'redis-ver': '7.2.4' }, keys: [
 *     { key: 'k', value: { type: 'string', value: 'v' }, expireMs: 1893456000000 },
 *     { key: 's', value: { type: 'listpack', of: 'set', items: ['a', 7] } },
 *   ] });
 *
 * Incremental use (large dumps; `sink` receives the file in chunks, the CRC runs along):
 *
 *   const w = new RdbWriter({ version: 12, sink: (c) => out.write(c) });
 *   w.aux('redis-ver', '7.4.1').selectDb(0).resizeDb(n, 0);
 *   for (...) w.key(name, value);
 *   w.end();
 *
 * Encoded pieces are also exported on their own (`rdbLen`, `rdbStr`, `listpack`, `ziplist`,
 * `intset`, `zipmap`, `lzfCompress`, `moduleId`, `streamIdBytes`, `valueType`, `rdbValue`) for
 * hand-made or deliberately broken files and DUMP/RESTORE payloads.
 */
import { Crc64 } from '../../src/input/crc64.ts';

export type Bytes = string | Uint8Array;
/** Total bytes of a LEN: 1 (6-bit), 2 (14-bit), 5 (32-bit) or 9 (64-bit). */
export type LenForm = 1 | 2 | 5 | 9;
export type Int = number | bigint;

/**
 * An RDB string. Text and bytes are encoded the writer's way (integer encoding for canonical
 * int32 text, LZF when `compress` saves bytes); the object forms force an encoding:
 * `raw` plain with a chosen length form, `int` INT8/16/32, `lzf` compressed by `lzfCompress`,
 * `lzfRaw` a ready-made LZF stream with a declared uncompressed length.
 */
export type Str =
  | Bytes
  | { raw: Bytes; len?: LenForm }
  | { int: number; width?: 8 | 16 | 32 }
  | { lzf: Bytes }
  | { lzfRaw: Uint8Array; ulen: number };

/**
 * A listpack entry: numbers/bigints are integers in the smallest width, non-integral numbers
 * their text (`inf`, `-inf`, shortest round trip); text that is a canonical int64 becomes an
 * integer (as Redis does); `{ int, enc }` and `{ str, enc }` force the encoding (enc = bits).
 */
export type LpEntry = Int | Bytes | { int: Int; enc: 7 | 13 | 16 | 24 | 32 | 64 } | { str: Bytes; enc?: 6 | 12 | 32 };
/** A ziplist entry, as LpEntry; int enc 4 is the 4-bit immediate (0..12). */
export type ZlEntry = Int | Bytes | { int: Int; enc: 4 | 8 | 16 | 24 | 32 | 64 } | { str: Bytes; enc?: 6 | 14 | 32 };

/** `ms-seq` text or a [ms, seq] pair. */
export type StreamId = string | readonly [Int, Int];

export interface StreamGroup {
  name: Str;
  lastId: StreamId;
  /** v2+: entries-read counter; default -1 (unknown). */
  entriesRead?: Int;
  /** Group PEL, written in the given order (ascending ids for a valid file). */
  pel?: { id: StreamId; deliveryMs: number; count: number }[];
  consumers?: { name: Str; seenMs: number; activeMs?: number; pel?: StreamId[] }[];
}

export type ModuleOp = { sint: Int } | { uint: Int } | { float: number } | { double: number } | { str: Str };

/** A value; `rdbType` overrides the type byte. `lzf` forces LZF on the value's packed blobs. */
export type Value = (
  | { type: 'string'; value: Str }
  /** Plain LIST (1) / SET (2). */
  | { type: 'list' | 'set'; items: Str[] }
  /** ZSET_2 (5) with binary scores, or with `text` the old ZSET (3): number (NaN → 253, ±inf → 254/255) or verbatim text. */
  | { type: 'zset'; items: [Str, number | string][]; text?: boolean }
  /** Plain HASH (4). */
  | { type: 'hash'; items: [Str, Str][] }
  /** HASH_ZIPMAP (9); `free` padding bytes after every value. */
  | { type: 'zipmap'; items: [Bytes, Bytes][]; free?: number }
  /** LIST_ZIPLIST (10), ZSET_ZIPLIST (12), HASH_ZIPLIST (13): flat entries (pairs alternate). */
  | { type: 'ziplist'; of: 'list' | 'zset' | 'hash'; items: ZlEntry[]; count?: number }
  /** SET_INTSET (11): members in the given order; width defaults to the smallest that fits. */
  | { type: 'intset'; items: Int[]; width?: 2 | 4 | 8 }
  /** HASH_LISTPACK (16), ZSET_LISTPACK (17), SET_LISTPACK (20): flat entries. */
  | { type: 'listpack'; of: 'hash' | 'zset' | 'set'; items: LpEntry[]; count?: number }
  /** LIST_QUICKLIST (14): one ziplist per node. */
  | { type: 'quicklist'; nodes: ZlEntry[][] }
  /** LIST_QUICKLIST_2 (18): packed listpack nodes, or PLAIN nodes holding one element. */
  | { type: 'quicklist2'; nodes: (LpEntry[] | { plain: Str })[] }
  /** HASH_LISTPACK_EX (25; 23 with `preGa`): field, value, TTL (absolute ms, 0 none). */
  | { type: 'hashex'; items: [LpEntry, LpEntry, number][]; minExpire?: number; preGa?: boolean }
  /** HASH_METADATA (24, relative TTLs; 22 with `preGa`, absolute): field, value, TTL (absolute ms, 0 none). */
  | { type: 'hashmeta'; items: [Str, Str, number][]; minExpire?: number; preGa?: boolean }
  /** Valkey 9 HASH_2 (22): field, value, expire ms (-1 none). */
  | { type: 'hash2'; items: [Str, Str, number][] }
  | StreamValue
  /** MODULE_2 (7): a module id (see `moduleId`) and its sub-opcode stream (the 0 is added). */
  | { type: 'module'; id: Int; ops: ModuleOp[] }
  /** Anything else: the type byte and the payload after the key, verbatim. */
  | { type: 'raw'; rdbType: number; payload: Uint8Array }
) & { rdbType?: number; lzf?: boolean };

/** Type 26's idempotent-producer state (Redis 8.6): settings, producers with their ids, counters. */
export interface StreamIdmp {
  /** Seconds (Redis accepts 1..86400); default 100. */
  duration?: number;
  /** Ids per producer (Redis accepts 1..10000); default 100. */
  maxEntries?: number;
  producers?: { pid: Str; ids: { iid: Str; id: StreamId }[] }[];
  /** Defaults: the ids written, 0. */
  iidsAdded?: Int;
  iidsDuplicates?: Int;
}

/** STREAM_LISTPACKS (15), _2 (19), _3 (21), _4 (26). Nodes are cut every `nodeEntries` entries (default 100). */
export interface StreamValue {
  type: 'stream';
  version?: 1 | 2 | 3 | 4;
  /** Version 4: after the groups (default: no producers, duration and max entries 100). */
  idmp?: StreamIdmp;
  entries: { id: StreamId; fields: [LpEntry, LpEntry][]; deleted?: boolean }[];
  nodeEntries?: number;
  /** Defaults derive from the entries: live count, last id, first live id, max deleted id, all entries. */
  length?: number;
  lastId?: StreamId;
  firstId?: StreamId;
  maxDeletedId?: StreamId;
  entriesAdded?: Int;
  groups?: StreamGroup[];
}

/** Prefix opcodes of a key. */
export interface KeyMeta {
  expireMs?: number;
  /** EXPIRETIME (seconds, i32). */
  expireS?: number;
  idle?: number;
  freq?: number;
  /** Redis Enterprise RAM_LRU opcodes (107) before the key, each with this LEN value. */
  ramLru?: number[];
  /**
   * KEY_META (243, Redis 8.6) right before the type byte: per class its 4-character name
   * (`spec` overrides the whole 32-bit class spec) and its module-opcode value (the 0 is added).
   */
  keyMeta?: { name: string; version?: number; flags?: number; spec?: number; ops: ModuleOp[] }[];
}

export interface WriterOptions {
  /** RDB version in the header (default 11; 80 with `valkey`). */
  version?: number;
  /** `VALKEY%03d` header. */
  valkey?: boolean;
  /** The exact 9-byte header instead. */
  magic?: string;
  /** LZF-compress strings over 20 bytes when that saves at least 4 bytes (Redis' rdbcompression). */
  compress?: boolean;
  /** Store canonical int32 text with the INT8/16/32 string encodings (default true). */
  intStrings?: boolean;
  /** Minimum form for every LEN (default 1: the shortest that fits). */
  lenForm?: LenForm;
  /** Trailer: CRC-64 (default for RDB >= 5 and Valkey), eight zero bytes, none (default below 5), or a wrong CRC. */
  checksum?: 'crc' | 'zero' | 'none' | 'bad';
  /** Receives the file in chunks (then `end()` returns only the last one). */
  sink?: (chunk: Uint8Array) => void;
}

// ---- bytes ------------------------------------------------------------------------------

const latin1 = new TextDecoder('latin1');
/** UTF-8 bytes of text (Buffer.from: pooled, much faster than TextEncoder for short strings). */
export const toBytes = (b: Bytes): Uint8Array => (typeof b === 'string' ? Buffer.from(b) : b);

/** A growable byte buffer. */
export class ByteBuf {
  buf: Uint8Array;
  n = 0;
  private dv: DataView | null = null;

  constructor(size = 256) {
    this.buf = new Uint8Array(size);
  }
  room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    grown.set(this.buf.subarray(0, this.n));
    this.buf = grown;
    this.dv = null;
  }
  private view(): DataView {
    return (this.dv ??= new DataView(this.buf.buffer));
  }
  u8(v: number): this {
    this.room(1);
    this.buf[this.n++] = v;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }
  /** Little-endian integer of `k` bytes (two's complement for negatives, truncated to `k` bytes). */
  le(v: Int, k: number): this {
    return this.int(v, k, false);
  }
  be(v: Int, k: number): this {
    return this.int(v, k, true);
  }
  private int(v: Int, k: number, bigEndian: boolean): this {
    this.room(k);
    const b = this.buf;
    const at = this.n;
    if (typeof v === 'number' && Number.isSafeInteger(v)) {
      // Without BigInt (the common case): the low and high 32-bit halves.
      const lo = ((v % 4294967296) + 4294967296) % 4294967296;
      const hi = (v - lo) / 4294967296;
      for (let i = 0; i < k; i++) b[bigEndian ? at + k - 1 - i : at + i] = i < 4 ? (lo >>> (8 * i)) & 255 : (hi >>> (8 * (i - 4))) & 255;
    } else {
      let x = BigInt.asUintN(8 * k, BigInt(v));
      for (let i = 0; i < k; i++, x >>= 8n) b[bigEndian ? at + k - 1 - i : at + i] = Number(x & 0xffn);
    }
    this.n += k;
    return this;
  }
  f64(v: number): this {
    this.room(8);
    this.view().setFloat64(this.n, v, true);
    this.n += 8;
    return this;
  }
  f32(v: number): this {
    this.room(4);
    this.view().setFloat32(this.n, v, true);
    this.n += 4;
    return this;
  }
  take(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

// ---- LZF --------------------------------------------------------------------------------

const HLOG = 14;
/** Positions as `base + i`: entries below the current call's base are stale (no clearing per call). */
const htab = new Int32Array(1 << HLOG);
let hbase = 1;
const hash3 = (s: Uint8Array, i: number) => Math.imul((s[i] << 16) | (s[i + 1] << 8) | s[i + 2], 0x9e3779b1) >>> (32 - HLOG);

/**
 * Greedy LZF: literal runs of up to 32 bytes and back-references of 3-264 bytes from up to
 * 8 KiB back (the long form past 8 bytes; a match may overlap its own output: run-length).
 */
export function lzfCompress(src: Uint8Array): Uint8Array {
  const n = src.length;
  // Worst case: every byte a literal, plus one control byte per run of 32.
  const out = new Uint8Array(n + (n >> 5) + 1);
  let o = 0;
  if (hbase + n + 1 > 0x7fffffff) {
    htab.fill(0);
    hbase = 1;
  }
  const base = hbase;
  hbase += n + 1;
  let lit = 0;
  let i = 0;
  for (;;) {
    let len = 0;
    let ref = 0;
    if (i + 2 < n) {
      const h = hash3(src, i);
      ref = htab[h] - base;
      htab[h] = base + i;
      if (ref >= 0 && i - ref <= 8192 && src[ref] === src[i] && src[ref + 1] === src[i + 1] && src[ref + 2] === src[i + 2]) {
        len = 3;
        for (const max = Math.min(264, n - i); len < max && src[ref + len] === src[i + len]; ) len++;
      }
    }
    if (len === 0 && i < n) {
      i++;
      continue;
    }
    // Flush the pending literals in runs of up to 32 bytes.
    while (lit < i) {
      const k = Math.min(32, i - lit);
      out[o++] = k - 1;
      for (let j = 0; j < k; j++) out[o++] = src[lit++];
    }
    if (len === 0) break;
    const off = i - ref - 1;
    if (len - 2 < 7) out[o++] = ((len - 2) << 5) | (off >> 8);
    else {
      out[o++] = (7 << 5) | (off >> 8);
      out[o++] = len - 9;
    }
    out[o++] = off & 0xff;
    for (let k = i + 1; k < i + len && k + 2 < n; k++) htab[hash3(src, k)] = base + k;
    i += len;
    lit = i;
  }
  return out.subarray(0, o);
}

// ---- small encoders ---------------------------------------------------------------------

/** Canonical int64 text (what Redis' string2ll accepts) → its value, else null. */
export function canonicalInt(b: Bytes): bigint | null {
  if (b.length === 0 || b.length > 20) return null;
  const s = typeof b === 'string' ? b : latin1.decode(b);
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const v = BigInt(s);
  return v === BigInt.asIntN(64, v) ? v : null;
}

const fits = (v: bigint, bits: number) => v === BigInt.asIntN(bits, v);

/** Score/double text: `inf`, `-inf`, `nan`, else the shortest round-trip form. */
export const doubleText = (v: number) => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : Number.isNaN(v) ? 'nan' : String(v));

/** Module type id: nine characters of A-Z a-z 0-9 - _ and a 10-bit encoding version. */
export function moduleId(name: string, encver: number): bigint {
  const cs = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  if (name.length !== 9) throw new Error('module names have 9 characters');
  let id = 0n;
  for (const c of name) id = (id << 6n) | BigInt(cs.indexOf(c));
  return (id << 10n) | BigInt(encver & 1023);
}

/** 16 raw bytes: ms and seq, both u64 big-endian. */
export function streamIdBytes(id: StreamId): Uint8Array {
  const [ms, seq] = parseId(id);
  return new ByteBuf().be(ms, 8).be(seq, 8).take();
}

function parseId(id: StreamId): [bigint, bigint] {
  if (typeof id === 'string') {
    const [a, b = '0'] = id.split('-');
    return [BigInt(a), BigInt(b)];
  }
  return [BigInt(id[0]), BigInt(id[1])];
}

// ---- packed structures ------------------------------------------------------------------

type Entry = { int: bigint; enc?: number } | { str: Uint8Array; enc?: number };

function entry(e: LpEntry | ZlEntry): Entry {
  if (typeof e === 'bigint') return { int: e };
  if (typeof e === 'number') return Number.isInteger(e) ? { int: BigInt(e) } : { str: toBytes(doubleText(e)) };
  if (typeof e === 'string' || e instanceof Uint8Array) {
    const v = canonicalInt(e);
    return v === null ? { str: toBytes(e) } : { int: v };
  }
  return 'int' in e ? { int: BigInt(e.int), enc: e.enc } : { str: toBytes(e.str), enc: e.enc };
}

const LP_INT: Record<number, number> = { 16: 0xf1, 24: 0xf2, 32: 0xf3, 64: 0xf4 };
const ZL_INT: Record<number, number> = { 8: 0xfe, 16: 0xc0, 24: 0xf0, 32: 0xd0, 64: 0xe0 };

/** Listpack backlen of an entry of `l` bytes, as Redis writes it (the most significant group first). */
function backlen(out: ByteBuf, l: number): void {
  const k = l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
  for (let i = k - 1; i >= 0; i--) out.u8(((l / 2 ** (7 * i)) & 127) | (i < k - 1 ? 128 : 0));
}

/** A listpack; `count` overrides the header's element count (default: real count, 65535 above it). */
export function listpack(items: LpEntry[], count?: number): Uint8Array {
  const out = new ByteBuf();
  out.le(0, 4).le(count ?? Math.min(items.length, 65535), 2);
  for (const it of items) {
    const e = entry(it);
    const start = out.n;
    if ('int' in e) {
      const v = e.int;
      const w = e.enc ?? (v >= 0n && v <= 127n ? 7 : fits(v, 13) ? 13 : fits(v, 16) ? 16 : fits(v, 24) ? 24 : fits(v, 32) ? 32 : 64);
      if (w === 7) out.u8(Number(v) & 127);
      else if (w === 13) out.be(0xc000n | BigInt.asUintN(13, v), 2);
      else out.u8(LP_INT[w]).le(v, w / 8);
    } else {
      const n = e.str.length;
      const w = e.enc ?? (n < 64 ? 6 : n < 4096 ? 12 : 32);
      if (w === 6) out.u8(0x80 | n);
      else if (w === 12) out.u8(0xe0 | (n >> 8)).u8(n & 0xff);
      else out.u8(0xf0).le(n, 4);
      out.bytes(e.str);
    }
    backlen(out, out.n - start);
  }
  out.u8(0xff);
  const b = out.take();
  new DataView(b.buffer).setUint32(0, b.length, true);
  return b;
}

/** A ziplist; `count` overrides zllen; `bigPrevlen` writes every prevlen in the 5-byte form. */
export function ziplist(items: ZlEntry[], opts: { count?: number; bigPrevlen?: boolean } = {}): Uint8Array {
  const out = new ByteBuf();
  out.le(0, 4).le(0, 4).le(opts.count ?? Math.min(items.length, 65535), 2);
  let prev = 0;
  let tail = 10;
  for (const it of items) {
    const e = entry(it);
    const start = out.n;
    tail = start;
    if (prev >= 254 || opts.bigPrevlen) out.u8(0xfe).le(prev, 4);
    else out.u8(prev);
    if ('int' in e) {
      const v = e.int;
      const w = e.enc ?? (v >= 0n && v <= 12n ? 4 : fits(v, 8) ? 8 : fits(v, 16) ? 16 : fits(v, 24) ? 24 : fits(v, 32) ? 32 : 64);
      if (w === 4) out.u8(0xf1 + Number(v));
      else out.u8(ZL_INT[w]).le(v, w / 8);
    } else {
      const n = e.str.length;
      const w = e.enc ?? (n < 64 ? 6 : n < 16384 ? 14 : 32);
      if (w === 6) out.u8(n);
      else if (w === 14) out.u8(0x40 | (n >> 8)).u8(n & 0xff);
      else out.u8(0x80).be(n, 4);
      out.bytes(e.str);
    }
    prev = out.n - start;
  }
  out.u8(0xff);
  const b = out.take();
  const dv = new DataView(b.buffer);
  dv.setUint32(0, b.length, true);
  dv.setUint32(4, tail, true);
  return b;
}

/** An intset: members in the given order (sort them for a valid one), `width` bytes each. */
export function intset(items: Int[], width?: 2 | 4 | 8): Uint8Array {
  const vs = items.map((v) => BigInt(v));
  const w = width ?? (vs.every((v) => fits(v, 16)) ? 2 : vs.every((v) => fits(v, 32)) ? 4 : 8);
  const out = new ByteBuf().le(w, 4).le(vs.length, 4);
  for (const v of vs) out.le(v, w);
  return out.take();
}

/** A zipmap (Redis 2.4 hashes); `free` unused bytes after each value. */
export function zipmap(items: [Bytes, Bytes][], free = 0): Uint8Array {
  const out = new ByteBuf().u8(Math.min(items.length, 254));
  const len = (n: number) => (n < 254 ? out.u8(n) : out.u8(254).le(n, 4));
  for (const [f, v] of items) {
    const fb = toBytes(f);
    const vb = toBytes(v);
    len(fb.length).bytes(fb);
    len(vb.length).u8(free).bytes(vb).bytes(new Uint8Array(free));
  }
  return out.u8(0xff).take();
}

// ---- the writer -------------------------------------------------------------------------

const FLUSH_AT = 1 << 20;

export class RdbWriter {
  readonly version: number;
  private readonly out = new ByteBuf();
  private readonly crc = new Crc64();
  private readonly o: WriterOptions;

  constructor(opts: WriterOptions = {}) {
    this.o = opts;
    this.version = opts.version ?? (opts.valkey ? 80 : 11);
    const magic = opts.magic ?? (opts.valkey ? `VALKEY${String(this.version).padStart(3, '0')}` : `REDIS${String(this.version).padStart(4, '0')}`);
    this.out.bytes(toBytes(magic));
  }

  // -- primitives --

  /** A LEN in the shortest form, or at least `form` / the writer's `lenForm`. */
  len(v: Int, form: LenForm = 1): this {
    if (v < 0) throw new Error(`negative length ${v}`);
    const need = v < 64 ? 1 : v < 16384 ? 2 : v <= 0xffffffff ? 5 : 9;
    const f = Math.max(need, form, this.o.lenForm ?? 1);
    const o = this.out;
    if (f === 1) o.u8(Number(v));
    else if (f === 2) o.be(0x4000 + Number(v), 2);
    else if (f === 5) o.u8(0x80).be(v, 4);
    else o.u8(0x81).be(v, 8);
    return this;
  }

  /** A signed value carried in a LEN (two's complement 64-bit). */
  slen(v: Int): this {
    return this.len(BigInt.asUintN(64, BigInt(v)));
  }

  /** An RDB string (see `Str`). */
  str(s: Str): this {
    const o = this.out;
    if (typeof s === 'object' && !(s instanceof Uint8Array)) {
      if ('raw' in s) {
        const b = toBytes(s.raw);
        return this.len(b.length, s.len).bytes(b);
      }
      if ('int' in s) {
        const w = s.width ?? (fits(BigInt(s.int), 8) ? 8 : fits(BigInt(s.int), 16) ? 16 : 32);
        o.u8(0xc0 | (w === 8 ? 0 : w === 16 ? 1 : 2)).le(s.int, w / 8);
        return this;
      }
      if ('lzfRaw' in s) {
        o.u8(0xc3);
        return this.len(s.lzfRaw.length).len(s.ulen).bytes(s.lzfRaw);
      }
      const b = toBytes(s.lzf);
      const c = lzfCompress(b);
      o.u8(0xc3);
      return this.len(c.length).len(b.length).bytes(c);
    }
    const b = toBytes(s);
    if (this.o.intStrings !== false && b.length <= 11) {
      const v = canonicalInt(b);
      if (v !== null && fits(v, 32)) return this.str({ int: Number(v) });
    }
    if (this.o.compress && b.length > 20) {
      const c = lzfCompress(b);
      if (c.length <= b.length - 4) {
        o.u8(0xc3);
        return this.len(c.length).len(b.length).bytes(c);
      }
    }
    return this.len(b.length).bytes(b);
  }

  /** Verbatim bytes (opcodes, payloads, corruption). */
  bytes(b: Uint8Array): this {
    this.out.bytes(b);
    if (this.out.n >= FLUSH_AT && this.o.sink) this.flush();
    return this;
  }
  u8(v: number): this {
    this.out.u8(v);
    return this;
  }

  /** Bytes already handed to the sink. */
  private flushed = 0;
  /** Bytes written so far (the file offset of the next byte). */
  get size(): number {
    return this.flushed + this.out.n;
  }

  /** What is buffered and not yet flushed (the whole output without a sink). */
  buffered(): Uint8Array {
    return this.out.take();
  }

  private flush(): void {
    const o = this.out;
    this.crc.update(o.buf, 0, o.n);
    this.flushed += o.n;
    this.o.sink!(o.buf.slice(0, o.n));
    o.n = 0;
  }

  // -- records --

  aux(name: Str, value: Str): this {
    return this.u8(0xfa).str(name).str(value);
  }
  selectDb(db: number): this {
    return this.u8(0xfe).len(db);
  }
  resizeDb(keys: number, expires: number): this {
    return this.u8(0xfb).len(keys).len(expires);
  }
  slotInfo(slot: number, keys: number, expires: number): this {
    return this.u8(0xf4).len(slot).len(keys).len(expires);
  }
  /** Valkey 9 SLOT_IMPORT (243 under the VALKEY magic): a job name (40 bytes for Valkey) and slot ranges. */
  slotImport(job: Str, ranges: [number, number][]): this {
    this.u8(0xf3).str(job).len(ranges.length);
    for (const [a, b] of ranges) this.len(a).len(b);
    return this;
  }
  function2(code: Str): this {
    return this.u8(0xf5).str(code);
  }
  /** MODULE_AUX: id, the UINT marker 2, `when` (1 before, 2 after the keyspace), ops, 0. */
  moduleAux(id: Int, when: number, ops: ModuleOp[]): this {
    this.u8(0xf7).len(id).len(2).len(when);
    return this.moduleOps(ops);
  }

  private moduleOps(ops: ModuleOp[]): this {
    for (const op of ops) {
      if ('sint' in op) this.len(1).slen(op.sint);
      else if ('uint' in op) this.len(2).len(op.uint);
      else if ('float' in op) this.len(3).out.f32(op.float);
      else if ('double' in op) this.len(4).out.f64(op.double);
      else this.len(5).str(op.str);
    }
    return this.len(0);
  }

  /** Prefix opcodes (EXPIRETIME_MS / EXPIRETIME, IDLE, FREQ), the type byte, the key, the value. */
  key(key: Str, value: Value, meta: KeyMeta = {}): this {
    if (meta.expireMs !== undefined) this.u8(0xfc).out.le(meta.expireMs, 8);
    if (meta.expireS !== undefined) this.u8(0xfd).out.le(meta.expireS, 4);
    if (meta.idle !== undefined) this.u8(0xf8).len(meta.idle);
    if (meta.freq !== undefined) this.u8(0xf9).u8(meta.freq);
    for (const v of meta.ramLru ?? []) this.u8(107).len(v);
    if (meta.keyMeta) {
      this.u8(0xf3).len(meta.keyMeta.length);
      for (const c of meta.keyMeta) {
        this.out.le(c.spec ?? keyMetaSpec(c.name, c.version ?? 0, c.flags ?? 0), 4);
        this.moduleOps(c.ops);
      }
    }
    this.u8(value.rdbType ?? valueType(value)).str(key);
    this.value(value);
    if (this.out.n >= FLUSH_AT && this.o.sink) this.flush();
    return this;
  }

  /** A packed blob as a string, LZF-compressed when asked. */
  private blob(v: Value, b: Uint8Array): this {
    return this.str(v.lzf ? { lzf: b } : b);
  }

  /** The payload of a value (after the key). */
  value(v: Value): this {
    switch (v.type) {
      case 'string':
        return this.str(v.value);
      case 'list':
      case 'set':
        this.len(v.items.length);
        for (const s of v.items) this.str(s);
        return this;
      case 'zset':
        this.len(v.items.length);
        for (const [m, score] of v.items) {
          this.str(m);
          if (!v.text) this.out.f64(Number(score));
          else if (typeof score === 'string') this.u8(score.length).bytes(toBytes(score));
          else if (Number.isNaN(score)) this.u8(253);
          else if (score === Infinity || score === -Infinity) this.u8(score > 0 ? 254 : 255);
          else this.u8(String(score).length).bytes(toBytes(String(score)));
        }
        return this;
      case 'hash':
        this.len(v.items.length);
        for (const [f, x] of v.items) this.str(f).str(x);
        return this;
      case 'zipmap':
        return this.blob(v, zipmap(v.items, v.free));
      case 'ziplist':
        return this.blob(v, ziplist(v.items, { count: v.count }));
      case 'intset':
        return this.blob(v, intset(v.items, v.width));
      case 'listpack':
        return this.blob(v, listpack(v.items, v.count));
      case 'quicklist':
        this.len(v.nodes.length);
        for (const n of v.nodes) this.blob(v, ziplist(n));
        return this;
      case 'quicklist2':
        this.len(v.nodes.length);
        for (const n of v.nodes) {
          if (Array.isArray(n)) this.len(2).blob(v, listpack(n));
          else this.len(1).str(n.plain);
        }
        return this;
      case 'hashex': {
        if (!v.preGa) this.out.le(v.minExpire ?? minTtl(v.items), 8);
        return this.blob(v, listpack(v.items.flat()));
      }
      case 'hashmeta': {
        const min = v.minExpire ?? minTtl(v.items);
        if (!v.preGa) this.out.le(min, 8);
        this.len(v.items.length);
        for (const [f, x, ttl] of v.items) this.len(v.preGa || ttl === 0 ? ttl : ttl - min + 1).str(f).str(x);
        return this;
      }
      case 'hash2':
        this.len(v.items.length);
        for (const [f, x, ttl] of v.items) this.str(f).str(x).out.le(ttl, 8);
        return this;
      case 'stream':
        return this.stream(v);
      case 'module':
        return this.len(v.id).moduleOps(v.ops);
      case 'raw':
        return this.bytes(v.payload);
    }
  }

  private stream(v: StreamValue & { lzf?: boolean }): this {
    const ver = v.version ?? 3;
    const per = v.nodeEntries ?? 100;
    const nodes: { master: Uint8Array; lp: Uint8Array }[] = [];
    for (let i = 0; i < v.entries.length; i += per) {
      const chunk = v.entries.slice(i, i + per);
      const [bms, bseq] = parseId(chunk[0].id);
      const master = chunk[0].fields.map(([f]) => f);
      const live = chunk.filter((e) => !e.deleted).length;
      const items: LpEntry[] = [live, chunk.length - live, master.length, ...master, 0];
      for (const e of chunk) {
        const [ms, seq] = parseId(e.id);
        const same = e.fields.length === master.length && e.fields.every(([f], k) => sameEntry(f, master[k]));
        items.push((e.deleted ? 1 : 0) | (same ? 2 : 0), ms - bms, seq - bseq);
        if (same) items.push(...e.fields.map(([, x]) => x));
        else items.push(e.fields.length, ...e.fields.flat());
        items.push(same ? 3 + e.fields.length : 4 + 2 * e.fields.length);
      }
      nodes.push({ master: new ByteBuf().be(bms, 8).be(bseq, 8).take(), lp: listpack(items) });
    }
    this.len(nodes.length);
    for (const n of nodes) this.str({ raw: n.master }).blob(v, n.lp);
    const live = v.entries.filter((e) => !e.deleted);
    const dead = v.entries.filter((e) => e.deleted);
    const id = (x: StreamId | undefined, dflt: StreamId) => {
      const [ms, seq] = parseId(x ?? dflt);
      return this.len(ms).len(seq);
    };
    this.len(v.length ?? live.length);
    id(v.lastId, v.entries.at(-1)?.id ?? '0-0');
    if (ver >= 2) {
      id(v.firstId, live[0]?.id ?? '0-0');
      id(v.maxDeletedId, dead.at(-1)?.id ?? '0-0');
      this.len(v.entriesAdded ?? v.entries.length);
    }
    const groups = v.groups ?? [];
    this.len(groups.length);
    for (const g of groups) {
      this.str(g.name);
      id(g.lastId, '0-0');
      if (ver >= 2) this.slen(g.entriesRead ?? -1);
      const pel = g.pel ?? [];
      this.len(pel.length);
      for (const p of pel) {
        this.bytes(streamIdBytes(p.id)).out.le(p.deliveryMs, 8);
        this.len(p.count);
      }
      const cs = g.consumers ?? [];
      this.len(cs.length);
      for (const c of cs) {
        this.str(c.name).out.le(c.seenMs, 8);
        if (ver >= 3) this.out.le(c.activeMs ?? c.seenMs, 8);
        this.len(c.pel?.length ?? 0);
        for (const p of c.pel ?? []) this.bytes(streamIdBytes(p));
      }
    }
    if (ver >= 4) {
      const m = v.idmp ?? {};
      const producers = m.producers ?? [];
      this.len(m.duration ?? 100).len(m.maxEntries ?? 100).len(producers.length);
      for (const p of producers) {
        this.str(p.pid).len(p.ids.length);
        for (const e of p.ids) {
          this.str(e.iid);
          id(e.id, '0-0');
        }
      }
      this.len(m.iidsAdded ?? producers.reduce((n, p) => n + p.ids.length, 0)).len(m.iidsDuplicates ?? 0);
    }
    return this;
  }

  /** EOF and the trailer; returns the file (with a sink: the last chunk, also handed to the sink). */
  end(): Uint8Array {
    this.u8(0xff);
    const o = this.out;
    this.crc.update(o.buf, 0, o.n);
    const mode = this.o.checksum ?? (this.version >= 5 || this.o.valkey ? 'crc' : 'none');
    if (mode !== 'none') {
      const [lo, hi] = mode === 'zero' ? [0, 0] : [this.crc.lo ^ (mode === 'bad' ? 1 : 0), this.crc.hi];
      o.le(lo >>> 0, 4).le(hi, 4);
    }
    const rest = o.take();
    this.flushed += o.n;
    o.n = 0;
    this.o.sink?.(rest);
    return rest;
  }
}

/** The RDB type byte a value is written with (its `rdbType` aside). */
export function valueType(v: Value): number {
  switch (v.type) {
    case 'string': return 0;
    case 'list': return 1;
    case 'set': return 2;
    case 'zset': return v.text ? 3 : 5;
    case 'hash': return 4;
    case 'zipmap': return 9;
    case 'ziplist': return { list: 10, zset: 12, hash: 13 }[v.of];
    case 'intset': return 11;
    case 'listpack': return { hash: 16, zset: 17, set: 20 }[v.of];
    case 'quicklist': return 14;
    case 'quicklist2': return 18;
    case 'hashex': return v.preGa ? 23 : 25;
    case 'hashmeta': return v.preGa ? 22 : 24;
    case 'hash2': return 22;
    case 'stream': return [15, 19, 21, 26][(v.version ?? 3) - 1];
    case 'module': return 7;
    case 'raw': return v.rdbType;
  }
}

/** A KEY_META class spec: 4 name characters (6 bits each, first highest), 5-bit version, 3-bit flags. */
export function keyMetaSpec(name: string, version = 0, flags = 0): number {
  const set = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  if (name.length !== 4) throw new Error(`KEY_META class names have 4 characters: ${name}`);
  let v = 0;
  for (const c of name) {
    const i = set.indexOf(c);
    if (i < 0) throw new Error(`not a KEY_META class name character: ${c}`);
    v = v * 64 + i;
  }
  return ((v * 256) + ((version & 31) << 3) + (flags & 7)) >>> 0;
}

function minTtl(items: [unknown, unknown, number][]): number {
  const ttls = items.map((t) => t[2]).filter((t) => t > 0);
  return ttls.length ? Math.min(...ttls) : 0;
}

function sameEntry(a: LpEntry, b: LpEntry): boolean {
  const x = entry(a);
  const y = entry(b);
  if ('int' in x) return 'int' in y && x.int === y.int;
  return 'str' in y && x.str.length === y.str.length && x.str.every((c, i) => c === y.str[i]);
}

// ---- whole files ------------------------------------------------------------------------

export interface KeyDesc extends KeyMeta {
  key: Str;
  value: Value;
}

export interface RdbDesc extends WriterOptions {
  aux?: Record<string, Str> | [Str, Str][];
  functions?: Str[];
  moduleAux?: { id: Int; when: number; ops: ModuleOp[] }[];
  /** Databases in order; `resize` false omits RESIZEDB (written by default from RDB 7). */
  dbs?: { db: number; keys: KeyDesc[]; resize?: boolean | [number, number] }[];
  /** Shorthand for `dbs: [{ db: 0, keys }]`. */
  keys?: KeyDesc[];
}

/** A whole file from a description, in the order Redis writes one. */
export function buildRdb(d: RdbDesc): Uint8Array {
  const w = new RdbWriter(d);
  const aux = Array.isArray(d.aux) ? d.aux : Object.entries(d.aux ?? {});
  for (const [k, v] of aux) w.aux(k, v);
  for (const m of d.moduleAux ?? []) if (m.when !== 2) w.moduleAux(m.id, m.when, m.ops);
  for (const f of d.functions ?? []) w.function2(f);
  for (const db of d.dbs ?? (d.keys ? [{ db: 0, keys: d.keys }] : [])) {
    w.selectDb(db.db);
    const resize = db.resize ?? (w.version >= 7 || !!d.valkey);
    if (resize === true) w.resizeDb(db.keys.length, db.keys.filter((k) => k.expireMs !== undefined || k.expireS !== undefined).length);
    else if (resize) w.resizeDb(resize[0], resize[1]);
    for (const k of db.keys) w.key(k.key, k.value, k);
  }
  for (const m of d.moduleAux ?? []) if (m.when === 2) w.moduleAux(m.id, m.when, m.ops);
  return w.end();
}

/** One encoded LEN (`lenForm` forces a longer form). */
export function rdbLen(v: Int, form?: LenForm): Uint8Array {
  return new RdbWriter({ magic: '' }).len(v, form).buffered();
}

/** One encoded RDB string under the given writer options. */
export function rdbStr(s: Str, opts: WriterOptions = {}): Uint8Array {
  return new RdbWriter({ ...opts, magic: '' }).str(s).buffered();
}

/** One value payload (what follows the key) under the given writer options. */
export function rdbValue(v: Value, opts: WriterOptions = {}): Uint8Array {
  return new RdbWriter({ ...opts, magic: '' }).value(v).buffered();
}
