/**
 * The fuzzing harness shared by `scripts/fuzz.ts` (long runs) and `test/fuzz.test.ts` (a short
 * seeded run): mutators over real dumps, the two ways every case is parsed (`check`: validate
 * everything, no model; `analyze`: the memory model, optionally the aggregator), the outcome
 * classes, and a pool of worker threads that kills and restarts a worker whose case hangs.
 *
 * Every case is a pure function of (seed files, seed, case index), so a failure is replayed by
 * its index alone; the failing bytes are also saved (see `saveFailure`).
 *
 * Outcomes, per mode: `ok` (the parse finished), `expected` (an RdbError with a finite integer
 * offset within [0, input length] and a one-line message naming that offset), `failure`
 * (anything else). A case fails when a mode fails, when it exceeds the time limit, when the
 * process grows past the memory limit while it runs, or when `check` accepts what `analyze`
 * rejects (check walks strictly more than analyze).
 */
import { Sfc32 } from './sfc32.ts';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { Scan } from '../../src/scan.ts';
import { bufferSource } from '../../src/input/source.ts';
import { Crc64 } from '../../src/input/crc64.ts';
import { lzfDecompress } from '../../src/format/lzf.ts';
import { RdbError, type BlobKind, type FileInfo, type KeyRecord, type ValueVisitor } from '../../src/core/types.ts';
import { corpusDir, fixturesDir, repoRoot } from './truth.ts';
import { buildRdb, moduleId, type KeyDesc, type LpEntry, type ZlEntry } from './rdb-writer.ts';

// ---- seeded PRNG ----------------------------------------------------------------------------

/** 32-bit finalizer (murmur3 fmix32). */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** sfc32, seeded from any number of 32-bit words. */
export class Rng extends Sfc32 {
  constructor(...seeds: number[]) {
    let h = 0x9e3779b9;
    for (const s of seeds) {
      // Numbers up to 2^53: both halves count.
      h = mix32(h ^ (s >>> 0));
      h = mix32(h ^ Math.floor(s / 4294967296));
    }
    const a = mix32(h ^ 0x1234567);
    const b = mix32(a ^ 0x89abcdef);
    const c = mix32(b ^ 0xfedcba98);
    super(a, b, c, 1, 12);
  }

  /** Uniform in [0, n). */
  int(n: number): number {
    if (n <= 1) return 0;
    if (n <= 4294967296) return Math.floor((this.u32() / 4294967296) * n);
    return Math.floor(((this.u32() * 4294967296 + this.u32()) / 18446744073709551616) * n);
  }

  /** Uniform in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

// ---- byte helpers ---------------------------------------------------------------------------

function u32le(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

function putLe(b: Uint8Array, p: number, v: number, n: number): void {
  for (let i = 0; i < n; i++) {
    b[p + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** `b` with `del` bytes at `at` replaced by `ins`. */
export function splice(b: Uint8Array, at: number, del: number, ins: Uint8Array = new Uint8Array(0)): Uint8Array {
  at = Math.max(0, Math.min(at, b.length));
  del = Math.max(0, Math.min(del, b.length - at));
  const out = new Uint8Array(b.length - del + ins.length);
  out.set(b.subarray(0, at));
  out.set(ins, at);
  out.set(b.subarray(at + del), at + ins.length);
  return out;
}

/** An RDB length in the given form (1, 2, 5 or 9 bytes); values that do not fit are cut to the form. */
export function encodeLen(v: bigint, form?: 1 | 2 | 5 | 9): Uint8Array {
  if (v < 0n) v = 0n;
  if (v >= 1n << 64n) v = (1n << 64n) - 1n;
  const f = form ?? (v < 64n ? 1 : v < 16384n ? 2 : v < 1n << 32n ? 5 : 9);
  if (f === 1) return Uint8Array.of(Number(v & 0x3fn));
  if (f === 2) {
    const n = Number(v & 0x3fffn);
    return Uint8Array.of(0x40 | (n >> 8), n & 0xff);
  }
  if (f === 5) {
    const out = new Uint8Array(5);
    out[0] = 0x80;
    new DataView(out.buffer).setUint32(1, Number(v & 0xffffffffn), false);
    return out;
  }
  const out = new Uint8Array(9);
  out[0] = 0x81;
  new DataView(out.buffer).setBigUint64(1, v, false);
  return out;
}

interface LenRead {
  value: number;
  size: number;
}

/** A plain RDB length at `p` (null for string-encoding bytes, bad prefixes or the end of `b`). */
function readLen(b: Uint8Array, p: number): LenRead | null {
  if (p >= b.length) return null;
  const b0 = b[p];
  const kind = b0 >> 6;
  if (kind === 0) return { value: b0 & 0x3f, size: 1 };
  if (kind === 1) return p + 2 <= b.length ? { value: ((b0 & 0x3f) << 8) | b[p + 1], size: 2 } : null;
  if (b0 === 0x80) return p + 5 <= b.length ? { value: ((b[p + 1] << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4]) >>> 0, size: 5 } : null;
  if (b0 === 0x81 && p + 9 <= b.length) {
    const hi = ((b[p + 1] << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4]) >>> 0;
    const lo = ((b[p + 5] << 24) | (b[p + 6] << 16) | (b[p + 7] << 8) | b[p + 8]) >>> 0;
    return { value: hi * 4294967296 + lo, size: 9 };
  }
  return null;
}

/** Span of the RDB string at `p`: its end, and its length prefix when plain. Null when it does not parse. */
function strSpan(b: Uint8Array, p: number): { end: number; len: LenRead | null } | null {
  if (p >= b.length) return null;
  const b0 = b[p];
  if (b0 >> 6 === 3) {
    const enc = b0 & 0x3f;
    if (enc <= 2) return { end: p + 1 + (1 << enc), len: null };
    if (enc !== 3) return null;
    const c = readLen(b, p + 1);
    if (!c) return null;
    const u = readLen(b, p + 1 + c.size);
    if (!u) return null;
    const end = p + 1 + c.size + u.size + c.value;
    return end <= b.length ? { end, len: null } : null;
  }
  const l = readLen(b, p);
  if (!l) return null;
  const end = p + l.size + l.value;
  return end <= b.length ? { end, len: l } : null;
}

/** An LZF stream of literal runs only (valid, never shorter than its input). */
export function lzfLiterals(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length + Math.ceil(src.length / 32));
  let o = 0;
  for (let i = 0; i < src.length; i += 32) {
    const n = Math.min(32, src.length - i);
    out[o++] = n - 1;
    out.set(src.subarray(i, i + n), o);
    o += n;
  }
  return out;
}

/** The RDB string for `bytes`: plain, or LZF of literal runs. */
function rdbString(bytes: Uint8Array, lzf: boolean): Uint8Array {
  if (!lzf || bytes.length === 0) {
    const p = encodeLen(BigInt(bytes.length));
    const out = new Uint8Array(p.length + bytes.length);
    out.set(p);
    out.set(bytes, p.length);
    return out;
  }
  const c = lzfLiterals(bytes);
  const cl = encodeLen(BigInt(c.length));
  const ul = encodeLen(BigInt(bytes.length));
  const out = new Uint8Array(1 + cl.length + ul.length + c.length);
  out[0] = 0xc3;
  out.set(cl, 1);
  out.set(ul, 1 + cl.length);
  out.set(c, 1 + cl.length + ul.length);
  return out;
}

/** Overwrite the last 8 bytes with the CRC-64 of the bytes before them. */
export function fixChecksum(b: Uint8Array): void {
  if (b.length < 8) return;
  const crc = new Crc64();
  crc.update(b, 0, b.length - 8);
  // Little-endian: the last two hex digits are the first byte.
  const hex = crc.hex();
  for (let i = 0; i < 8; i++) b[b.length - 8 + i] = parseInt(hex.slice(14 - 2 * i, 16 - 2 * i), 16);
}

// ---- anatomy of a seed dump -----------------------------------------------------------------

/** A length field: `size` bytes at `at` decoding to `value`. */
export interface LenField {
  at: number;
  size: number;
  value: number;
}

/** An LZF-compressed RDB string: the 0xC3 byte at `at`, the payload in `[data, end)`. */
export interface LzfString {
  at: number;
  clenAt: number;
  ulenAt: number;
  data: number;
  end: number;
  clen: number;
  ulen: number;
}

/** A packed blob (listpack, ziplist, intset, zipmap) inside an RDB string. */
export interface BlobSpan {
  kind: Exclude<BlobKind, 'plain'>;
  /** The RDB string holding it: `[strAt, end)`. */
  strAt: number;
  end: number;
  /** Plain: the blob bytes are `[start, end)` in the file. Compressed: `lzf` holds them. */
  start: number;
  lzf: LzfString | null;
  bytes: number;
}

export interface KeySpan {
  start: number;
  typeAt: number;
  valueStart: number;
  end: number;
  rdbType: number;
}

/** A top-level record: header, an opcode record, a key, EOF, the trailer. */
export interface RecordSpan {
  start: number;
  end: number;
  what: string;
}

export interface Anatomy {
  name: string;
  path: string;
  bytes: Uint8Array;
  rdbVersion: number;
  /** The file ends with a non-zero CRC-64 the parser verifies. */
  hasChecksum: boolean;
  /** Offset of the EOF opcode. */
  eofAt: number;
  keys: KeySpan[];
  records: RecordSpan[];
  /** Record starts and ends, sorted. */
  boundaries: number[];
  lens: LenField[];
  /** Offsets of 0x80/0x81 bytes that could be 32/64-bit lengths (heuristic). */
  wideLens: number[];
  lzf: LzfString[];
  blobs: BlobSpan[];
  /** Strings inside plain packed blobs: `[start, end)`, for entry-header corruption. */
  packedStrings: { start: number; end: number; kind: BlobKind }[];
}

function findLzf(b: Uint8Array): LzfString[] {
  const out: LzfString[] = [];
  let scratch = new Uint8Array(4096);
  for (let p = 9; p < b.length; p++) {
    if (b[p] !== 0xc3) continue;
    const c = readLen(b, p + 1);
    if (!c || c.value === 0) continue;
    const u = readLen(b, p + 1 + c.size);
    if (!u || u.value === 0 || u.value > c.value * 88 + 32) continue;
    const data = p + 1 + c.size + u.size;
    const end = data + c.value;
    if (end > b.length) continue;
    if (scratch.length < u.value) scratch = new Uint8Array(u.value);
    if (lzfDecompress(b, data, end, scratch, u.value) !== null) continue;
    out.push({ at: p, clenAt: p + 1, ulenAt: p + 1 + c.size, data, end, clen: c.value, ulen: u.value });
  }
  return out;
}

/** The plain length prefix that ends at `s` and announces `n` bytes, if any. */
function prefixBefore(b: Uint8Array, s: number, n: number): LenField | null {
  for (const size of [1, 2, 5, 9]) {
    const at = s - size;
    if (at < 0) continue;
    const l = readLen(b, at);
    if (l && l.size === size && l.value === n) return { at, size, value: n };
  }
  return null;
}

/** Walk opcode records (aux, selectdb, resizedb, ...) in `[from, to)`; stops at the first unknown byte. */
function walkOpcodes(b: Uint8Array, from: number, to: number, records: RecordSpan[], lens: LenField[]): void {
  let p = from;
  const lenAt = (q: number): number | null => {
    const l = readLen(b, q);
    if (!l) return null;
    lens.push({ at: q, size: l.size, value: l.value });
    return q + l.size;
  };
  const strAt = (q: number): number | null => {
    const s = strSpan(b, q);
    if (!s) return null;
    if (s.len) lens.push({ at: q, size: s.len.size, value: s.len.value });
    return s.end;
  };
  while (p < to) {
    const op = b[p];
    let q: number | null = null;
    let what = '';
    if (op === 0xfa) {
      const a = strAt(p + 1);
      q = a === null ? null : strAt(a);
      what = 'AUX';
    } else if (op === 0xfe) {
      q = lenAt(p + 1);
      what = 'SELECTDB';
    } else if (op === 0xfb) {
      const a = lenAt(p + 1);
      q = a === null ? null : lenAt(a);
      what = 'RESIZEDB';
    } else if (op === 0xf5) {
      q = strAt(p + 1);
      what = 'FUNCTION2';
    } else if (op === 0xf7) {
      // MODULE_AUX: module id, 2, when, then module sub-opcodes up to 0.
      const id = readLen(b, p + 1);
      let c: number | null = id ? lenAt(p + 1 + id.size) : null;
      c = c === null ? null : lenAt(c);
      while (c !== null && c < to) {
        const o = readLen(b, c);
        if (!o || o.value > 5) c = null;
        else if (o.value === 0) {
          c += o.size;
          break;
        } else if (o.value <= 2) c = lenAt(c + o.size);
        else if (o.value === 3) c += o.size + 4;
        else if (o.value === 4) c += o.size + 8;
        else c = strAt(c + o.size);
      }
      q = c;
      what = 'MODULE_AUX';
    } else if (op === 0xf4) {
      const a = lenAt(p + 1);
      const c = a === null ? null : lenAt(a);
      q = c === null ? null : lenAt(c);
      what = 'SLOT_INFO';
    }
    if (q === null || q > to) {
      // Unknown or unparsable: the rest of the gap is one record.
      records.push({ start: p, end: to, what: `opcode 0x${op.toString(16)}` });
      return;
    }
    records.push({ start: p, end: q, what });
    p = q;
  }
}

const NOOP_VISITOR: ValueVisitor = {
  begin() {}, str() {}, int() {}, bigStr() {}, score() {}, fieldTtl() {},
  // Returning true asks for the elements (parsers that may skip unwanted blobs decode them).
  blob: () => true,
  streamNode() {}, streamEntry() {}, streamMeta() {}, streamGroup() {}, streamPel() {},
  streamConsumer() {}, streamConsumerPel() {}, end() {},
};

/** A seed: a dump on disk, or one of the synthetic dumps (`synthetic:NAME`). */
export function loadSeed(path: string): Anatomy {
  if (path.startsWith('synthetic:')) {
    const name = path.slice('synthetic:'.length);
    const s = syntheticSeeds().find((x) => x.name === name);
    if (!s) throw new Error(`fuzz: no synthetic seed ${name}`);
    return anatomize(s.bytes, name, path);
  }
  return anatomize(new Uint8Array(readFileSync(path)), basename(path), path);
}

/** Parse a dump once and map where its records, lengths, packed blobs and LZF strings are. */
export function anatomize(bytes: Uint8Array, name: string, path = name): Anatomy {
  const lzf = findLzf(bytes);
  const lzfByEnd = new Map(lzf.map((z) => [z.end, z]));
  const keys: KeySpan[] = [];
  const lens: LenField[] = [];
  const blobs: BlobSpan[] = [];
  const packedStrings: Anatomy['packedStrings'] = [];
  let valueStart = 0;
  let cur: BlobSpan | null = null;
  // A single chunk: the parser's window is `bytes` itself, so views it hands out map to file offsets.
  const fileOffset = (buf: Uint8Array, s: number): number => (buf.buffer === bytes.buffer ? buf.byteOffset - bytes.byteOffset + s : -1);
  const addBlob = (kind: BlobKind, n: number): void => {
    cur = null;
    if (kind === 'plain') return;
    const end = scan.parser.offset;
    const start = end - n;
    const pre = start >= 0 ? prefixBefore(bytes, start, n) : null;
    if (pre) {
      cur = { kind, strAt: pre.at, end, start, lzf: null, bytes: n };
      lens.push(pre);
    } else {
      const z = lzfByEnd.get(end);
      if (!z || z.ulen !== n) return;
      cur = { kind, strAt: z.at, end, start: -1, lzf: z, bytes: n };
    }
    blobs.push(cur);
  };
  const visitor: ValueVisitor = {
    ...NOOP_VISITOR,
    begin() {
      valueStart = scan.parser.offset;
      cur = null;
    },
    str(buf, s, e) {
      const fs = fileOffset(buf, s);
      if (fs < 0) return;
      const c = cur as BlobSpan | null;
      if (c && c.lzf === null && fs >= c.start && fs < c.end) {
        packedStrings.push({ start: fs, end: fs + (e - s), kind: c.kind });
        return;
      }
      const pre = prefixBefore(bytes, fs, e - s);
      if (pre) lens.push(pre);
    },
    blob(kind, n) {
      addBlob(kind, n);
      return true;
    },
    streamNode(_id, _at, lpBytes) {
      addBlob('listpack', lpBytes);
    },
  };
  const scan: Scan = new Scan(bufferSource(bytes), {
    file: name,
    values: true,
    memory: false,
    visitor,
    checksumMismatch: 'record',
    onKey(rec: KeyRecord) {
      const start = rec.offset;
      let p = start;
      for (;;) {
        const op = bytes[p];
        if (op === 0xfc) p += 9;
        else if (op === 0xfd) p += 5;
        else if (op === 0xf9) p += 2;
        else if (op === 0xf8) {
          const l = readLen(bytes, p + 1);
          if (!l) break;
          lens.push({ at: p + 1, size: l.size, value: l.value });
          p += 1 + l.size;
        } else break;
      }
      const typeAt = p;
      const k = readLen(bytes, typeAt + 1);
      if (k) lens.push({ at: typeAt + 1, size: k.size, value: k.value });
      // The leading count of collections (plain, quicklist, stream).
      const t = rec.rdbType;
      if ([1, 2, 3, 4, 5, 14, 18, 15, 19, 21, 22].includes(t)) {
        const l = readLen(bytes, valueStart);
        if (l) lens.push({ at: valueStart, size: l.size, value: l.value });
      }
      keys.push({ start, typeAt, valueStart, end: scan.parser.offset, rdbType: t });
    },
  });
  const res = scan.run();
  const info: FileInfo = res.info;
  const eofAt = info.crcEnd - 1;
  const records: RecordSpan[] = [{ start: 0, end: 9, what: 'header' }];
  let gap = 9;
  for (const k of keys) {
    if (k.start > gap) walkOpcodes(bytes, gap, k.start, records, lens);
    records.push({ start: k.start, end: k.end, what: `key type ${k.rdbType}` });
    gap = k.end;
  }
  if (eofAt > gap) walkOpcodes(bytes, gap, eofAt, records, lens);
  records.push({ start: eofAt, end: eofAt + 1, what: 'EOF' });
  if (info.bytes > eofAt + 1) records.push({ start: eofAt + 1, end: info.bytes, what: 'checksum' });
  const b = new Set<number>();
  for (const r of records) {
    b.add(r.start);
    b.add(r.end);
  }
  const wideLens: number[] = [];
  for (let p = 9; p < bytes.length; p++) if (bytes[p] === 0x80 || bytes[p] === 0x81) wideLens.push(p);
  return {
    name,
    path,
    bytes,
    rdbVersion: info.rdbVersion,
    hasChecksum: info.checksum === 'ok',
    eofAt,
    keys,
    records,
    boundaries: [...b].sort((x, y) => x - y),
    lens,
    wideLens,
    lzf,
    blobs,
    packedStrings,
  };
}

/** The record that contains byte `pos` (the trailer for positions past the end). */
export function recordAt(a: Anatomy, pos: number): RecordSpan {
  let lo = 0;
  let hi = a.records.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a.records[mid].start <= pos) lo = mid;
    else hi = mid - 1;
  }
  return a.records[lo];
}

/**
 * The seeds: the fixtures, the corpus when present (sorted, so case indexes are stable), and
 * the synthetic dumps (`synthetic:NAME`) that cover what real dumps here do not.
 */
export function defaultSeedFiles(synthetic = true): string[] {
  const list = (dir: string) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.rdb'))
      .sort()
      .map((f) => join(dir, f));
  const out = list(fixturesDir);
  const corpus = corpusDir();
  if (corpus) out.push(...list(corpus));
  if (synthetic) out.push(...syntheticSeeds().map((s) => `synthetic:${s.name}`));
  return out;
}

const T2030 = 1893456000000;
let synthetic: { name: string; bytes: Uint8Array }[] | null = null;

/**
 * Small dumps made with the test writer for the encodings and records the fixtures and the
 * corpus lack: zipmaps, every ziplist/listpack/intset entry form, quicklist PLAIN nodes, hash
 * field TTLs (7.4 and pre-GA), Valkey, streams v1-v3 with groups, modules, functions, old
 * versions without a checksum.
 */
export function syntheticSeeds(): { name: string; bytes: Uint8Array }[] {
  if (synthetic) return synthetic;
  const zl: ZlEntry[] = [0, 12, 13, -1, 200, -70000, 8388607, 2 ** 31, 2n ** 40n, 2n ** 62n, -(2n ** 63n), 'str', 'x'.repeat(70), 'y'.repeat(300), { int: 5, enc: 64 }, { str: 'z', enc: 32 }];
  const lp: LpEntry[] = [0, 127, 128, -4096, 4095, 40000, -8388608, 2 ** 31, 2n ** 62n, -(2n ** 63n), 'a', 'b'.repeat(70), 'c'.repeat(5000), { int: 3, enc: 64 }, { str: 'q', enc: 32 }, { str: 'r', enc: 12 }];
  const stream = (version: 1 | 2 | 3) => ({
    type: 'stream' as const, version, nodeEntries: 2,
    entries: [
      { id: '1-1', fields: [['a', '1'], ['b', 'x']] as [LpEntry, LpEntry][] },
      { id: '1-2', fields: [['a', '2'], ['b', 'y']] as [LpEntry, LpEntry][], deleted: true },
      { id: '2-0', fields: [['c', 'z']] as [LpEntry, LpEntry][] },
      { id: '5-3', fields: [['c', 'q'], ['d', 12345678901234]] as [LpEntry, LpEntry][] },
      { id: [2n ** 53n + 7n, 2n ** 60n] as const, fields: [['e', 'w'.repeat(200)]] as [LpEntry, LpEntry][] },
    ],
    groups: [
      {
        name: 'g1', lastId: '5-3', entriesRead: 3,
        pel: [{ id: '1-1', deliveryMs: 5, count: 1 }, { id: '2-0', deliveryMs: 6, count: 3 }, { id: '5-3', deliveryMs: 7, count: 2 }],
        consumers: [{ name: 'c1', seenMs: 1, activeMs: 2, pel: ['1-1', '5-3'] }, { name: 'c2', seenMs: 2, pel: ['2-0'] }, { name: 'idle', seenMs: 3 }],
      },
      { name: 'g2', lastId: '0-0' },
    ],
  });
  const json = moduleId('ReJSON-RL', 3);
  const common: KeyDesc[] = [
    { key: 'str', value: { type: 'string', value: 'v'.repeat(100) }, expireMs: T2030 },
    { key: 'int', value: { type: 'string', value: '-123456' }, expireS: 1893456000 },
    { key: 'big', value: { type: 'string', value: 'abc'.repeat(3000) }, idle: 77 },
    { key: 'list', value: { type: 'list', items: ['a', 'b'.repeat(100), '7'] }, freq: 9 },
    { key: 'set', value: { type: 'set', items: ['m1', 'm2', '100000'] } },
    { key: 'zset', value: { type: 'zset', items: [['a', 1.5], ['b', Infinity], ['c', -Infinity]] } },
    { key: 'zset-text', value: { type: 'zset', items: [['a', 2.25], ['b', '3e5'], ['c', Infinity]], text: true } },
    { key: 'hash', value: { type: 'hash', items: [['f', 'v'], ['g', 'w'.repeat(80)]] } },
    { key: 'zipmap', value: { type: 'zipmap', items: [['f', 'v'], ['g'.repeat(300), 'w']], free: 3 } },
    { key: 'zl-list', value: { type: 'ziplist', of: 'list', items: zl } },
    { key: 'zl-hash', value: { type: 'ziplist', of: 'hash', items: zl } },
    { key: 'zl-zset', value: { type: 'ziplist', of: 'zset', items: ['a', 1, 'b', '2.5', 'c', 3] } },
    { key: 'is2', value: { type: 'intset', items: [-5, 1, 300] } },
    { key: 'is4', value: { type: 'intset', items: [-70000, 1, 70000] } },
    { key: 'is8', value: { type: 'intset', items: [-(2n ** 62n), 0n, 2n ** 60n, 2n ** 62n] } },
    { key: 'lp-set', value: { type: 'listpack', of: 'set', items: lp } },
    { key: 'lp-hash', value: { type: 'listpack', of: 'hash', items: lp } },
    { key: 'lp-zset', value: { type: 'listpack', of: 'zset', items: ['a', 1, 'b', '2.5', 'c', 3] } },
    { key: 'ql1', value: { type: 'quicklist', nodes: [zl, ['a', 1]] } },
    { key: 'ql2', value: { type: 'quicklist2', nodes: [lp, { plain: 'P'.repeat(300) }, ['z', 1]] } },
    { key: 'ql2-lzf', value: { type: 'quicklist2', nodes: [['a'.repeat(50), 'b'], { plain: { lzf: 'P'.repeat(300) } }], lzf: true } },
    { key: 'mod', value: { type: 'module', id: json, ops: [{ uint: 5 }, { sint: -1 }, { float: 1.5 }, { double: -2.25 }, { str: 'x'.repeat(70) }, { str: { lzf: 'y'.repeat(200) } }, { uint: 2n ** 64n - 1n }] } },
  ];
  const ttlItems: [string, string, number][] = [['a', '1', 0], ['b', 'x'.repeat(30), T2030], ['c', '3', T2030 + 5]];
  // The writer leaves the trailer zero; the CRC is ours (fixChecksum), where the seed has one.
  const crc = (b: Uint8Array): Uint8Array => {
    fixChecksum(b);
    return b;
  };
  synthetic = [
    {
      name: 'zoo-7.4',
      bytes: crc(buildRdb({
        version: 12, compress: true, checksum: 'zero',
        aux: { 'redis-ver': '7.4.1', 'redis-bits': '64', ctime: '1700000000', 'used-mem': '1000000', 'aof-base': '0' },
        functions: ['#!lua name=mylib\nredis.register_function("f", function() return 1 end)'],
        moduleAux: [{ id: moduleId('MBbloom--', 1023), when: 1, ops: [{ str: 'before' }] }, { id: json, when: 2, ops: [{ uint: 1 }, { double: 3 }] }],
        dbs: [
          { db: 0, keys: [...common, { key: 'st3', value: stream(3) }, { key: 'hx', value: { type: 'hashex', items: ttlItems.map(([f, v, t]) => [f, v, t] as [LpEntry, LpEntry, number]) } }, { key: 'hm', value: { type: 'hashmeta', items: ttlItems } }] },
          { db: 5, keys: [{ key: 'other', value: { type: 'string', value: 'x' } }] },
        ],
      })),
    },
    {
      name: 'zoo-7.4-pre-ga',
      bytes: buildRdb({
        version: 12, checksum: 'zero',
        aux: { 'redis-ver': '7.3.240' },
        keys: [{ key: 'hx', value: { type: 'hashex', items: ttlItems.map(([f, v, t]) => [f, v, t] as [LpEntry, LpEntry, number]), preGa: true } }, { key: 'hm', value: { type: 'hashmeta', items: ttlItems, preGa: true } }, { key: 'st2', value: stream(2) }],
      }),
    },
    {
      name: 'zoo-valkey',
      bytes: crc(buildRdb({
        valkey: true, compress: true, checksum: 'zero',
        aux: { 'valkey-ver': '9.0.0', 'slot-info': '7,1,1' },
        keys: [...common.slice(0, 8), { key: 'h2', value: { type: 'hash2', items: [['f1', 'v1', -1], ['f2', 'v2'.repeat(40), T2030]] }, expireMs: T2030 + 1 }, { key: 'st3', value: stream(3) }],
      })),
    },
    {
      name: 'zoo-5.0',
      bytes: crc(buildRdb({ version: 9, compress: true, checksum: 'zero', aux: { 'redis-ver': '5.0.14' }, keys: [...common.slice(0, 19), { key: 'st1', value: stream(1) }] })),
    },
    {
      name: 'zoo-2.6',
      // RDB 6: no quicklists or streams yet, and a CRC; RDB 4: no checksum at all.
      bytes: crc(buildRdb({ version: 6, compress: true, checksum: 'zero', keys: common.slice(0, 15) })),
    },
    {
      name: 'zoo-2.4',
      bytes: buildRdb({ version: 4, compress: true, keys: common.slice(0, 9) }),
    },
  ];
  return synthetic;
}

// ---- mutators -------------------------------------------------------------------------------

export interface Mutation {
  bytes: Uint8Array;
  desc: string;
  /** The mutation already chose what happens to the trailer (truncations, checksum edits). */
  trailerDecided?: boolean;
}

type Mutator = (a: Anatomy, r: Rng) => Mutation | null;

const EXTREMES: bigint[] = [0n, 1n, 2n, 63n, 64n, 16383n, 16384n, (1n << 31n) - 1n, 1n << 31n, (1n << 32n) - 1n, 1n << 32n, (1n << 53n) - 1n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];
const FILLS = [0x00, 0xff, 0x80, 0x81, 0xc3, 0x7f, 0x40, 0xfe];

function randomPos(a: Anatomy, r: Rng): number {
  return r.int(a.bytes.length);
}

function boundaryPos(a: Anatomy, r: Rng): number {
  return r.pick(a.boundaries);
}

const mutators: Record<string, Mutator> = {
  bitflip(a, r) {
    const b = a.bytes.slice();
    const n = r.pick([1, 1, 1, 2, 3, 8]);
    const at: string[] = [];
    for (let i = 0; i < n; i++) {
      const k = a.keys.length && r.chance(0.5) ? r.pick(a.keys) : null;
      const p = k ? r.range(k.start, k.end - 1) : randomPos(a, r);
      const p2 = Math.max(0, Math.min(b.length - 1, p));
      const bit = r.int(8);
      b[p2] ^= 1 << bit;
      at.push(`${p2}.${bit}`);
    }
    return { bytes: b, desc: `flip bits ${at.join(',')}` };
  },

  'byte-set'(a, r) {
    const b = a.bytes.slice();
    const p = randomPos(a, r);
    const v = r.chance(0.5) ? r.pick(FILLS) : r.int(256);
    const old = b[p];
    b[p] = v === old ? v ^ 0xff : v;
    return { bytes: b, desc: `byte ${p}: 0x${old.toString(16)} -> 0x${b[p].toString(16)}` };
  },

  'byte-run'(a, r) {
    const b = a.bytes.slice();
    const p = r.chance(0.3) ? boundaryPos(a, r) : randomPos(a, r);
    const n = r.pick([2, 3, 4, 5, 8, 9, 16, 64, 256]);
    const random = r.chance(0.3);
    const fill = r.pick(FILLS);
    const end = Math.min(b.length, p + n);
    for (let i = p; i < end; i++) b[i] = random ? r.int(256) : fill;
    return { bytes: b, desc: `overwrite [${p}, ${end}) with ${random ? 'random bytes' : `0x${fill.toString(16)}`}` };
  },

  truncate(a, r) {
    const n = r.int(a.bytes.length);
    return { bytes: a.bytes.slice(0, n), desc: `truncate to ${n}`, trailerDecided: true };
  },

  'truncate-boundary'(a, r) {
    const d = r.pick([0, 0, 0, 0, -1, 1, -2, 2, -9]);
    const n = Math.max(0, Math.min(a.bytes.length - 1, boundaryPos(a, r) + d));
    return { bytes: a.bytes.slice(0, n), desc: `truncate to ${n} (record boundary${d ? ` ${d > 0 ? '+' : ''}${d}` : ''})`, trailerDecided: true };
  },

  insert(a, r) {
    const p = r.chance(0.5) ? boundaryPos(a, r) : randomPos(a, r);
    const kind = r.int(4);
    let ins: Uint8Array;
    let what: string;
    if (kind === 0) {
      ins = r.bytes(r.range(1, 16));
      what = 'random bytes';
    } else if (kind === 1) {
      ins = new Uint8Array(r.range(1, 9)).fill(r.pick(FILLS));
      what = `0x${ins[0].toString(16)} bytes`;
    } else if (kind === 2 && a.keys.length) {
      // Another key's record, whole (a duplicate key, or a key in an odd place).
      const k = r.pick(a.keys);
      ins = a.bytes.slice(k.start, k.end);
      what = `a copy of the key record at ${k.start}`;
    } else {
      ins = r.pick([Uint8Array.of(0xfe, 0x00), Uint8Array.of(0xfb, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00), Uint8Array.of(0xff), Uint8Array.of(0xfc), Uint8Array.of(0xf8, 0x80, 0xff, 0xff, 0xff, 0xff), Uint8Array.of(0xf9, 0xff)]);
      what = 'an opcode';
    }
    return { bytes: splice(a.bytes, p, 0, ins), desc: `insert ${ins.length} bytes (${what}) at ${p}` };
  },

  delete(a, r) {
    if (r.chance(0.25) && a.keys.length) {
      const k = r.pick(a.keys);
      const cut = r.chance(0.5) ? k.end - k.start : r.range(1, Math.max(1, k.end - k.start - 1));
      return { bytes: splice(a.bytes, k.start, cut), desc: `delete ${cut} bytes of the key record at ${k.start}` };
    }
    const p = r.chance(0.5) ? boundaryPos(a, r) : randomPos(a, r);
    const n = r.pick([1, 1, 2, 3, 4, 5, 8, 9, 16]);
    return { bytes: splice(a.bytes, p, n), desc: `delete ${n} bytes at ${p}` };
  },

  'len-extreme'(a, r) {
    let f: LenField;
    if (r.chance(0.8) && a.lens.length) f = r.pick(a.lens);
    else if (a.wideLens.length) {
      const at = r.pick(a.wideLens);
      f = { at, size: a.bytes[at] === 0x80 ? 5 : 9, value: -1 };
    } else return null;
    const orig = f.value >= 0 ? BigInt(f.value) : 0n;
    const v = r.chance(0.75) ? r.pick(EXTREMES) : orig + BigInt(r.pick([-2, -1, 1, 2, 7])) * (r.chance(0.5) ? 1n : orig + 1n);
    const formChoice = r.int(3);
    const form: 1 | 2 | 5 | 9 | undefined = formChoice === 0 ? undefined : formChoice === 1 ? (f.size as 1 | 2 | 5 | 9) : 9;
    const ins = encodeLen(v, form);
    return { bytes: splice(a.bytes, f.at, f.size, ins), desc: `length at ${f.at} (${f.size} bytes, ${f.value}) -> ${v} in ${ins.length} bytes` };
  },

  'type-byte'(a, r) {
    if (!a.keys.length) return null;
    const k = r.pick(a.keys);
    const b = a.bytes.slice();
    let t = r.chance(0.9) ? r.int(27) : r.int(256);
    if (t === b[k.typeAt]) t = (t + 1) % 26;
    b[k.typeAt] = t;
    return { bytes: b, desc: `type byte at ${k.typeAt}: ${k.rdbType} -> ${t}` };
  },

  'lzf-header'(a, r) {
    if (!a.lzf.length) return null;
    const z = r.pick(a.lzf);
    const which = r.chance(0.5) ? 'clen' : 'ulen';
    const at = which === 'clen' ? z.clenAt : z.ulenAt;
    const size = (which === 'clen' ? z.ulenAt : z.data) - at;
    const old = which === 'clen' ? z.clen : z.ulen;
    const choices: bigint[] = [0n, 1n, BigInt(old - 1), BigInt(old + 1), BigInt(z.clen * 88 + 32), BigInt(z.clen * 88 + 33), (1n << 32n) - 1n, (1n << 53n) - 1n, (1n << 64n) - 1n, BigInt(old * 2)];
    const v = r.pick(choices);
    const ins = encodeLen(v < 0n ? 0n : v);
    return { bytes: splice(a.bytes, at, size, ins), desc: `LZF string at ${z.at}: ${which} ${old} -> ${v}` };
  },

  'lzf-backref'(a, r) {
    if (!a.lzf.length) return null;
    const z = r.pick(a.lzf);
    const b = a.bytes;
    // Walk the ops: literal runs and back-references with their output positions.
    const ops: { at: number; ctrl: number; out: number; long: boolean }[] = [];
    let i = z.data;
    let o = 0;
    while (i < z.end) {
      const ctrl = b[i];
      if (ctrl < 32) {
        ops.push({ at: i, ctrl, out: o, long: false });
        i += ctrl + 2;
        o += ctrl + 1;
      } else {
        let len = ctrl >> 5;
        const long = len === 7;
        if (long) len += b[i + 1];
        ops.push({ at: i, ctrl, out: o, long });
        i += long ? 3 : 2;
        o += len + 2;
      }
    }
    const refs = ops.filter((x) => x.ctrl >= 32);
    const m = a.bytes.slice();
    const kind = refs.length ? r.int(6) : 4 + r.int(2);
    const op = refs.length ? r.pick(refs) : r.pick(ops);
    const offAt = op.at + (op.long ? 2 : 1);
    let desc: string;
    if (kind === 0) {
      // Back-reference to just before the start of the output.
      const back = op.out + 1;
      if (back > 8192) {
        m[op.at] |= 0x1f;
        m[offAt] = 0xff;
      } else {
        m[op.at] = (m[op.at] & 0xe0) | ((back - 1) >> 8);
        m[offAt] = (back - 1) & 0xff;
      }
      desc = `back-reference at ${op.at} to ${op.out + 1} bytes back (output at ${op.out})`;
    } else if (kind === 1) {
      m[op.at] |= 0x1f;
      m[offAt] = 0xff;
      desc = `back-reference at ${op.at} to 8192 bytes back`;
    } else if (kind === 2) {
      // Longest copy: runs past the declared output.
      if (op.long) m[op.at + 1] = 0xff;
      else m[op.at] |= 0xe0;
      desc = `back-reference at ${op.at} lengthened`;
    } else if (kind === 3) {
      m[offAt] ^= 1 << r.int(8);
      desc = `back-reference offset at ${offAt} bit-flipped`;
    } else if (kind === 4) {
      m[op.at] = 31;
      desc = `op at ${op.at} turned into a 32-byte literal run`;
    } else {
      m[op.at] = r.pick([0x20, 0xe0, 0x3f, 0xff]);
      desc = `op at ${op.at} turned into a back-reference 0x${m[op.at].toString(16)}`;
    }
    return { bytes: m, desc: `LZF string at ${z.at}: ${desc}` };
  },

  'blob-header'(a, r) {
    if (!a.blobs.length) return null;
    const bl = r.pick(a.blobs);
    // The blob bytes, decompressed when needed.
    let blob: Uint8Array;
    if (bl.lzf) {
      const z = bl.lzf;
      blob = new Uint8Array(z.ulen);
      if (lzfDecompress(a.bytes, z.data, z.end, blob, z.ulen) !== null) return null;
    } else blob = a.bytes.slice(bl.start, bl.end);
    const n = blob.length;
    const u32s = [0, 1, 6, 7, 10, 11, n - 1, n + 1, 2 ** 31, 2 ** 32 - 1, r.u32()];
    const u16s = [0, 1, 2, 65534, 65535, r.int(65536)];
    let desc: string;
    const field = r.int(4);
    if (bl.kind === 'listpack' || bl.kind === 'ziplist') {
      const zl = bl.kind === 'ziplist';
      if (field === 0 && n >= 4) {
        const v = r.pick(u32s) >>> 0;
        putLe(blob, 0, v, 4);
        desc = `total-bytes -> ${v}`;
      } else if (field === 1 && n >= (zl ? 10 : 6)) {
        const at = zl ? 8 : 4;
        const old = blob[at] | (blob[at + 1] << 8);
        const v = r.chance(0.5) ? r.pick(u16s) : (old + r.pick([1, -1, 2])) & 0xffff;
        putLe(blob, at, v, 2);
        desc = `count ${old} -> ${v}`;
      } else if (field === 2 && zl && n >= 8) {
        const v = r.pick(u32s) >>> 0;
        putLe(blob, 4, v, 4);
        desc = `tail offset -> ${v}`;
      } else {
        const p = n > 1 ? r.int(n - 1) : 0;
        const v = r.pick([0xff, 0x00, 0xfe, 0xf0, 0x80]);
        blob[p] = v;
        desc = `byte ${p} of the blob -> 0x${v.toString(16)}`;
      }
    } else if (bl.kind === 'intset') {
      if (field < 2 && n >= 4) {
        const v = r.pick([0, 1, 2, 3, 4, 8, 16, 2 ** 32 - 1]);
        putLe(blob, 0, v, 4);
        desc = `width -> ${v}`;
      } else if (n >= 8) {
        const old = u32le(blob, 4);
        const v = r.pick([0, 1, old - 1, old + 1, 2 ** 29, 2 ** 30, 2 ** 31, 2 ** 32 - 1]) >>> 0;
        putLe(blob, 4, v, 4);
        desc = `count ${old} -> ${v}`;
      } else return null;
    } else {
      const p = r.int(n);
      const v = r.pick([0xff, 0xfe, 0xfd, 0x00, 0x01]);
      blob[p] = v;
      desc = `byte ${p} of the zipmap -> 0x${v.toString(16)}`;
    }
    if (!bl.lzf && r.chance(0.6)) {
      // Same size: patch in place.
      const m = a.bytes.slice();
      m.set(blob, bl.start);
      return { bytes: m, desc: `${bl.kind} at ${bl.start}: ${desc}` };
    }
    const lzf = r.chance(0.5);
    const str = rdbString(blob, lzf);
    return { bytes: splice(a.bytes, bl.strAt, bl.end - bl.strAt, str), desc: `${bl.kind} in the string at ${bl.strAt}: ${desc}, stored ${lzf ? 'as literal LZF' : 'plain'}` };
  },

  'packed-entry'(a, r) {
    if (!a.packedStrings.length) return null;
    const s = r.pick(a.packedStrings);
    const m = a.bytes.slice();
    const kind = r.int(4);
    let desc: string;
    if (kind === 0) {
      const v = r.pick([0xf0, 0xf4, 0xfe, 0xff, 0xbf, 0xef, 0x80, 0x7f, 0xc0, 0x3f, 0xe0, 0xf5]);
      m[s.start - 1] = v;
      desc = `entry encoding byte at ${s.start - 1} -> 0x${v.toString(16)}`;
    } else if (kind === 1 && s.start >= 5) {
      // A 32-bit string length header claiming the maximum.
      const at = s.start - 5;
      m[at] = s.kind === 'ziplist' ? 0x80 : 0xf0;
      m.fill(0xff, at + 1, s.start);
      desc = `entry header at ${at} -> 32-bit length 0xffffffff`;
    } else if (kind === 2 && s.end < m.length) {
      const v = r.pick([0x00, 0x7f, 0x80, 0xff, m[s.end] + 1]) & 0xff;
      m[s.end] = v;
      desc = `byte after the entry at ${s.end} (back-length / next prevlen) -> 0x${v.toString(16)}`;
    } else {
      // An entry shifted: delete or insert a byte inside it (sizes no longer add up).
      const p = r.range(s.start, Math.max(s.start, s.end - 1));
      if (r.chance(0.5)) return { bytes: splice(a.bytes, p, 1), desc: `delete byte ${p} inside a ${s.kind} entry` };
      return { bytes: splice(a.bytes, p, 0, Uint8Array.of(r.int(256))), desc: `insert a byte at ${p} inside a ${s.kind} entry` };
    }
    return { bytes: m, desc: `${s.kind} entry [${s.start}, ${s.end}): ${desc}` };
  },

  'records'(a, r) {
    // Structurally sound rearrangements: drop, duplicate or swap whole key records.
    if (a.keys.length < 2) return null;
    const k1 = r.pick(a.keys);
    const k2 = r.pick(a.keys);
    const op = r.int(3);
    if (op === 0) return { bytes: splice(a.bytes, k1.start, k1.end - k1.start), desc: `drop the key record at ${k1.start}` };
    if (op === 1) return { bytes: splice(a.bytes, k2.end, 0, a.bytes.slice(k1.start, k1.end)), desc: `copy the key record at ${k1.start} after the one at ${k2.start}` };
    const [x, y] = k1.start < k2.start ? [k1, k2] : [k2, k1];
    if (x === y) return null;
    const out = new Uint8Array(a.bytes.length);
    let o = 0;
    for (const part of [a.bytes.subarray(0, x.start), a.bytes.subarray(y.start, y.end), a.bytes.subarray(x.end, y.start), a.bytes.subarray(x.start, x.end), a.bytes.subarray(y.end)]) {
      out.set(part, o);
      o += part.length;
    }
    return { bytes: out, desc: `swap the key records at ${x.start} and ${y.start}` };
  },

  checksum(a, r) {
    const b = a.bytes.slice();
    if (b.length < 8) return null;
    const p = b.length - 8 + r.int(8);
    b[p] ^= 1 << r.int(8);
    return { bytes: b, desc: `checksum byte ${p} flipped`, trailerDecided: true };
  },
};

export const MUTATORS = Object.keys(mutators);

/** Relative frequencies: targeted mutators more often than their share of the space. */
const WEIGHTS: Record<string, number> = {
  bitflip: 10, 'byte-set': 6, 'byte-run': 6, truncate: 6, 'truncate-boundary': 8, insert: 7, delete: 7,
  'len-extreme': 12, 'type-byte': 5, 'lzf-header': 6, 'lzf-backref': 8, 'blob-header': 10, 'packed-entry': 7,
  records: 3, checksum: 1,
};

export interface FuzzCase {
  index: number;
  seedFile: string;
  mutator: string;
  desc: string;
  trailer: 'kept' | 'zeroed' | 'fixed';
  chunk: number;
  bytes: Uint8Array;
}

/** Chunk sizes (0: the whole input in one chunk). Tiny chunks are slow on big inputs: rarer there. */
const CHUNKS = [64, 255, 4096, 4097, 65536, 0, 0, 0];
const TINY_CHUNKS = [1, 2, 3, 7, 8, 13];

function pickChunk(r: Rng, length: number): number {
  const tiny = r.chance(length <= 32768 ? 0.15 : 0.02);
  const c = tiny ? r.pick(TINY_CHUNKS) : r.pick(CHUNKS);
  return c === 0 ? Math.max(1, length) : c;
}

/** Case `index` of run `seed` over `seeds` (deterministic). `only` restricts the mutators. */
export function makeCase(seeds: Anatomy[], seed: number, index: number, only?: readonly string[]): FuzzCase {
  const r = new Rng(seed, index);
  const names = only && only.length ? only : MUTATORS;
  const total = names.reduce((s, n) => s + (WEIGHTS[n] ?? 1), 0);
  for (let attempt = 0; ; attempt++) {
    const a = seeds[r.int(seeds.length)];
    let x = r.int(total);
    let name = names[0];
    for (const n of names) {
      x -= WEIGHTS[n] ?? 1;
      if (x < 0) {
        name = n;
        break;
      }
    }
    const m = mutators[name](a, r);
    if (!m && attempt < 20) continue;
    const mut = m ?? mutators.bitflip(a, r)!;
    const used = m ? name : 'bitflip';
    let desc = mut.desc;
    // A second, small mutation now and then.
    if (!mut.trailerDecided && r.chance(0.1)) {
      const p = r.int(mut.bytes.length);
      mut.bytes[p] ^= 1 << r.int(8);
      desc += `; then flip a bit of byte ${p}`;
    }
    let trailer: FuzzCase['trailer'] = 'kept';
    if (!mut.trailerDecided && a.hasChecksum && mut.bytes.length >= 17) {
      const t = r.int(20);
      if (t < 6) {
        mut.bytes.fill(0, mut.bytes.length - 8);
        trailer = 'zeroed';
      } else if (t < 14) {
        fixChecksum(mut.bytes);
        trailer = 'fixed';
      }
    }
    return { index, seedFile: a.name, mutator: used, desc, trailer, chunk: pickChunk(r, mut.bytes.length), bytes: mut.bytes };
  }
}

// ---- running one input ----------------------------------------------------------------------

export type Cls = 'ok' | 'expected' | 'failure';

export interface ModeResult {
  cls: Cls;
  ms: number;
  offset?: number;
  message?: string;
  /** Failures: the exception's stack (or what was wrong with the RdbError). */
  detail?: string;
}

/** The aggregator's shape as far as the harness uses it (loaded dynamically: it is optional). */
interface AggregatorLike {
  beginFile(name: string, info?: FileInfo | null): void;
  add(rec: KeyRecord): void;
  addFile(info: FileInfo, name: string, estimatedUsedMemory?: number | null): void;
  toReport(): unknown;
}
export type AggregatorCtor = new () => AggregatorLike;

/** `src/analyze/aggregate.ts`'s Aggregator; an import failure is the harness's failure, never a silent "off". */
export async function loadAggregator(): Promise<AggregatorCtor> {
  const url = new URL('../../src/analyze/aggregate.ts', import.meta.url).href;
  const m = (await import(url)) as { Aggregator?: AggregatorCtor };
  if (typeof m.Aggregator !== 'function') throw new Error('src/analyze/aggregate.ts exports no Aggregator class');
  return m.Aggregator;
}

/** Classify what a parse threw. */
export function classifyError(e: unknown, file: string, length: number): { cls: Cls; offset?: number; message?: string; detail?: string } {
  if (e instanceof RdbError) {
    const off = e.offset;
    const msg = e.message;
    const problems: string[] = [];
    if (!Number.isInteger(off) || off < 0 || off > length) problems.push(`offset ${off} outside [0, ${length}]`);
    if (/[\r\n]/.test(msg)) problems.push('message spans several lines');
    if (!msg.startsWith(`${file}: offset ${off}: `)) problems.push(`message does not start with "${file}: offset ${off}: "`);
    if (problems.length) return { cls: 'failure', offset: off, message: msg, detail: `RdbError, but ${problems.join('; ')}` };
    return { cls: 'expected', offset: off, message: msg };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { cls: 'failure', message: `${err.name}: ${err.message}`, detail: err.stack ?? String(e) };
}

/**
 * Parse `bytes` one way: `check` (validate everything, no memory model) or `analyze` (the
 * memory model, and the aggregator when given).
 */
export function runMode(bytes: Uint8Array, mode: 'check' | 'analyze', chunk: number, file: string, Agg: AggregatorCtor | null = null): ModeResult {
  const t0 = performance.now();
  let agg: AggregatorLike | null = null;
  let scan: Scan | null = null;
  try {
    if (mode === 'check') {
      scan = new Scan(bufferSource(bytes, chunk), { file, validate: true, memory: false });
    } else {
      agg = Agg ? new Agg() : null;
      const a = agg;
      const s: Scan = new Scan(bufferSource(bytes, chunk), {
        file,
        onHeader: a ? (info) => a.beginFile(file, info) : undefined,
        onKey: a ? (rec) => a.add(rec) : undefined,
      });
      scan = s;
    }
    const res = scan.run();
    if (agg) {
      agg.addFile(res.info, file, res.instance?.usedMemory ?? null);
      agg.toReport();
    }
    return { cls: 'ok', ms: performance.now() - t0 };
  } catch (e) {
    const c = classifyError(e, file, bytes.length);
    if (c.cls === 'expected' && agg && scan) {
      // A rejected file still yields a partial report: that path must hold up too.
      try {
        agg.addFile(scan.parser.info, file, scan.instanceSoFar()?.usedMemory ?? null);
        agg.toReport();
      } catch (e2) {
        const c2 = classifyError(e2, file, bytes.length);
        return { ...c2, cls: 'failure', ms: performance.now() - t0, detail: `partial report after "${c.message}": ${c2.detail ?? c2.message}` };
      }
    }
    return { ...c, ms: performance.now() - t0 };
  }
}

export type CaseClass = 'ok' | 'expected' | 'mixed' | 'failure';

export interface CaseResult {
  index: number;
  seedFile: string;
  mutator: string;
  desc: string;
  trailer: FuzzCase['trailer'];
  chunk: number;
  length: number;
  cls: CaseClass;
  /** Why the case failed (null unless cls is failure). */
  failure: string | null;
  check: ModeResult | null;
  analyze: ModeResult | null;
  ms: number;
}

/** Both modes over one input, and the case's class. */
export function runInput(bytes: Uint8Array, chunk: number, file: string, Agg: AggregatorCtor | null): Pick<CaseResult, 'cls' | 'failure' | 'check' | 'analyze' | 'ms'> {
  const t0 = performance.now();
  const check = runMode(bytes, 'check', chunk, file);
  const analyze = runMode(bytes, 'analyze', chunk, file, Agg);
  let cls: CaseClass;
  let failure: string | null = null;
  if (check.cls === 'failure' || analyze.cls === 'failure') {
    cls = 'failure';
    const m = check.cls === 'failure' ? 'check' : 'analyze';
    const r = m === 'check' ? check : analyze;
    failure = `${m}: ${r.detail?.startsWith('RdbError') ? r.detail : r.message}`;
  } else if (check.cls === 'ok' && analyze.cls === 'expected') {
    cls = 'failure';
    failure = `check accepted the input but analyze rejected it: ${analyze.message}`;
  } else if (check.cls === 'ok') cls = 'ok';
  else if (analyze.cls === 'expected') cls = 'expected';
  else cls = 'mixed';
  return { cls, failure, check, analyze, ms: performance.now() - t0 };
}

/** The name errors carry for a case's input. */
export const CASE_FILE = 'fuzz.rdb';

// ---- the worker side ------------------------------------------------------------------------

/** Deliberate misbehaviour of one case, to test the harness itself (hang detection, memory watch). */
export interface SelfTest {
  index: number;
  kind: 'hang' | 'alloc';
}

interface WorkerInit {
  seedFiles: string[];
  seed: number;
  only: string[];
  aggregate: boolean;
  selfTest: SelfTest[];
}

function misbehave(kind: SelfTest['kind']): void {
  if (kind === 'hang') for (;;);
  // Touch 512 MB and hold it until the watch kills the worker.
  const keep: Uint8Array[] = [];
  for (let i = 0; i < 8; i++) keep.push(new Uint8Array(64 << 20).fill(1));
  const until = Date.now() + 10_000;
  while (Date.now() < until && keep.length);
}

type ToWorker = { t: 'case'; index: number } | { t: 'bytes'; index: number; bytes: Uint8Array; chunk: number; file: string };
type FromWorker = { t: 'ready'; aggregator: boolean } | { t: 'result'; r: CaseResult };

/** Entry point of a fuzz worker thread (started by `startWorker`). */
export async function fuzzWorkerMain(): Promise<void> {
  const init = workerData as WorkerInit;
  const seeds = init.seedFiles.map(loadSeed);
  const Agg = init.aggregate ? await loadAggregator() : null;
  const port = parentPort!;
  port.on('message', (m: ToWorker) => {
    let r: CaseResult;
    if (m.t === 'case') {
      const odd = init.selfTest.find((x) => x.index === m.index);
      if (odd) misbehave(odd.kind);
      const c = makeCase(seeds, init.seed, m.index, init.only);
      const out = runInput(c.bytes, c.chunk, CASE_FILE, Agg);
      r = { index: c.index, seedFile: c.seedFile, mutator: c.mutator, desc: c.desc, trailer: c.trailer, chunk: c.chunk, length: c.bytes.length, ...out };
    } else {
      const out = runInput(m.bytes, m.chunk, m.file, Agg);
      r = { index: m.index, seedFile: m.file, mutator: 'replay', desc: '', trailer: 'kept', chunk: m.chunk, length: m.bytes.length, ...out };
    }
    port.postMessage({ t: 'result', r } satisfies FromWorker);
  });
  port.postMessage({ t: 'ready', aggregator: Agg !== null } satisfies FromWorker);
}

function startWorker(init: WorkerInit): Worker {
  const boot =
    `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
    `.then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })` +
    `.then((m) => m.fuzzWorkerMain())`;
  // A heap cap turns runaway JS allocation into a worker crash instead of swapping the machine.
  return new Worker(boot, { eval: true, workerData: init, resourceLimits: { maxOldGenerationSizeMb: 1024 } });
}

// ---- the pool -------------------------------------------------------------------------------

export interface FuzzOptions {
  seed: number;
  /** Cases to run (Infinity: until `seconds`). */
  cases: number;
  /** Stop starting new cases after this many seconds. */
  seconds?: number;
  seedFiles?: string[];
  workers?: number;
  /** Per-case limit (both modes), ms. Default 5000. */
  timeoutMs?: number;
  /** Process RSS growth over the baseline that fails the running cases, MB. Default 300. */
  rssLimitMb?: number;
  /** Restrict to these mutators. */
  only?: string[];
  /** Feed records to src/analyze's Aggregator when it loads. Default true. */
  aggregate?: boolean;
  /** First case index (to resume or to replay one case). Default 0. */
  startIndex?: number;
  /** Directory for failing inputs; null: do not save. Default `<repo>/fuzz-failures`. */
  saveDir?: string | null;
  onResult?: (r: CaseResult) => void;
  onProgress?: (s: FuzzStats) => void;
  /** Cases that misbehave on purpose (the harness's own test). */
  selfTest?: SelfTest[];
}

export interface FuzzStats {
  seed: number;
  cases: number;
  ms: number;
  workers: number;
  aggregator: boolean;
  seedFiles: string[];
  outcomes: Record<CaseClass, number>;
  perMutator: Record<string, Record<CaseClass, number>>;
  failures: (CaseResult & { saved: string | null })[];
  /** Peak RSS growth over the baseline (taken once the workers are warm), MB. */
  peakRssGrowthMb: number;
  /** Peak RSS of the whole process (all workers), MB. */
  peakRssMb: number;
  slowest: { ms: number; index: number; mutator: string } | null;
}

function emptyCounts(): Record<CaseClass, number> {
  return { ok: 0, expected: 0, mixed: 0, failure: 0 };
}

/** Save a failing input (and a JSON description beside it); returns the .rdb path. */
export function saveFailure(dir: string, seed: number, r: CaseResult, bytes: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const base = `${r.seedFile.replace(/\.rdb$/, '')}-s${seed}-i${r.index}-${r.mutator}`;
  const path = join(dir, `${base}.rdb`);
  writeFileSync(path, bytes);
  writeFileSync(join(dir, `${base}.json`), JSON.stringify({ seed, ...r }, null, 2) + '\n');
  return path;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  index: number | null;
  startedAt: number;
  timer: NodeJS.Timeout | null;
  dead: boolean;
}

/** Run a seeded fuzz campaign over worker threads; resolves with the statistics. */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzStats> {
  const seedFiles = (opts.seedFiles ?? defaultSeedFiles()).map((f) => (f.startsWith('synthetic:') ? f : resolve(f)));
  if (!seedFiles.length) throw new Error('fuzz: no seed dumps');
  const nWorkers = Math.max(1, opts.workers ?? availableParallelism());
  const timeoutMs = opts.timeoutMs ?? 5000;
  const rssLimit = (opts.rssLimitMb ?? 300) * 1024 * 1024;
  const saveDir = opts.saveDir === undefined ? join(repoRoot, 'fuzz-failures') : opts.saveDir;
  const only = opts.only ?? [];
  for (const m of only) if (!mutators[m]) throw new Error(`fuzz: unknown mutator ${m} (known: ${MUTATORS.join(', ')})`);
  const init: WorkerInit = { seedFiles, seed: opts.seed, only, aggregate: opts.aggregate ?? true, selfTest: opts.selfTest ?? [] };
  // The main thread rebuilds failing cases from their index, to save them.
  let mainSeeds: Anatomy[] | null = null;
  const seedsHere = () => (mainSeeds ??= seedFiles.map(loadSeed));

  const stats: FuzzStats = {
    seed: opts.seed, cases: 0, ms: 0, workers: nWorkers, aggregator: false, seedFiles: seedFiles.map((f) => basename(f)),
    outcomes: emptyCounts(), perMutator: {}, failures: [], peakRssGrowthMb: 0, peakRssMb: 0, slowest: null,
  };
  const first = opts.startIndex ?? 0;
  const last = first + opts.cases;
  let next = first;
  const t0 = performance.now();
  const deadline = opts.seconds !== undefined ? t0 + opts.seconds * 1000 : Infinity;
  let baseline = process.memoryUsage.rss();
  let baselineSet = false;
  const warmup = 200 * nWorkers;

  return await new Promise<FuzzStats>((resolveRun, rejectRun) => {
    const slots: Slot[] = [];
    let finished = false;
    let progressAt = performance.now();

    const record = (r: CaseResult) => {
      stats.cases++;
      if (stats.cases === warmup) {
        // The heaps and malloc arenas of fresh workers settle over the first few hundred cases;
        // growth is measured from there (a leak or a huge allocation still shows up).
        baseline = Math.max(baseline, process.memoryUsage.rss());
      }
      stats.outcomes[r.cls]++;
      (stats.perMutator[r.mutator] ??= emptyCounts())[r.cls]++;
      if (!stats.slowest || r.ms > stats.slowest.ms) stats.slowest = { ms: r.ms, index: r.index, mutator: r.mutator };
      if (r.cls === 'failure') {
        let saved: string | null = null;
        if (saveDir) {
          try {
            const c = makeCase(seedsHere(), opts.seed, r.index, only);
            saved = saveFailure(saveDir, opts.seed, { ...r, seedFile: c.seedFile, mutator: c.mutator, desc: c.desc, trailer: c.trailer, chunk: c.chunk }, c.bytes);
          } catch (e) {
            saved = `(not saved: ${(e as Error).message})`;
          }
        }
        stats.failures.push({ ...r, saved });
      }
      opts.onResult?.(r);
      if (opts.onProgress && performance.now() - progressAt > 5000) {
        progressAt = performance.now();
        stats.ms = performance.now() - t0;
        opts.onProgress(stats);
      }
    };

    const lost = (slot: Slot, why: string) => {
      if (slot.index === null) return;
      const index = slot.index;
      slot.index = null;
      const c = (() => {
        try {
          return makeCase(seedsHere(), opts.seed, index, only);
        } catch {
          return null;
        }
      })();
      record({
        index, seedFile: c?.seedFile ?? '?', mutator: c?.mutator ?? '?', desc: c?.desc ?? '', trailer: c?.trailer ?? 'kept',
        chunk: c?.chunk ?? 0, length: c?.bytes.length ?? 0, cls: 'failure', failure: why, check: null, analyze: null,
        ms: performance.now() - slot.startedAt,
      });
    };

    const finishIfDone = () => {
      if (finished) return;
      if (slots.some((s) => s.index !== null)) return;
      if (next < last && performance.now() < deadline) return;
      finished = true;
      clearInterval(monitor);
      stats.ms = performance.now() - t0;
      Promise.all(slots.map((s) => s.worker.terminate())).then(() => resolveRun(stats), () => resolveRun(stats));
    };

    const dispatch = (slot: Slot) => {
      if (finished || slot.dead || !slot.ready) return;
      if (next >= last || performance.now() >= deadline) return finishIfDone();
      const index = next++;
      slot.index = index;
      slot.startedAt = performance.now();
      slot.worker.postMessage({ t: 'case', index } satisfies ToWorker);
      slot.timer = setTimeout(() => {
        kill(slot, `timeout: no result within ${timeoutMs} ms`);
      }, timeoutMs);
    };

    const kill = (slot: Slot, why: string) => {
      if (slot.dead) return;
      slot.dead = true;
      if (slot.timer) clearTimeout(slot.timer);
      lost(slot, why);
      void slot.worker.terminate();
      const i = slots.indexOf(slot);
      if (!finished) slots[i] = spawn();
      finishIfDone();
    };

    const spawn = (): Slot => {
      const worker = startWorker(init);
      const slot: Slot = { worker, ready: false, index: null, startedAt: 0, timer: null, dead: false };
      worker.on('message', (m: FromWorker) => {
        if (slot.dead) return;
        if (m.t === 'ready') {
          slot.ready = true;
          stats.aggregator = m.aggregator;
          if (!baselineSet && slots.every((s) => s.ready)) {
            baselineSet = true;
            baseline = process.memoryUsage.rss();
          }
          return dispatch(slot);
        }
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = null;
        slot.index = null;
        record(m.r);
        dispatch(slot);
      });
      worker.on('error', (e) => {
        if (!slot.ready && slot.index === null && !slot.dead) {
          // The worker could not even start: a harness problem, not a finding.
          finished = true;
          clearInterval(monitor);
          for (const s of slots) void s.worker.terminate();
          rejectRun(e);
          return;
        }
        kill(slot, `worker crashed: ${e.name}: ${e.message}`);
      });
      worker.on('exit', (code) => {
        if (!slot.dead && !finished) kill(slot, `worker exited with code ${code}`);
      });
      return slot;
    };

    const monitor = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (!baselineSet) return;
      const growth = rss - baseline;
      stats.peakRssGrowthMb = Math.max(stats.peakRssGrowthMb, growth / 1048576);
      stats.peakRssMb = Math.max(stats.peakRssMb, rss / 1048576);
      if (growth > rssLimit) {
        for (const s of slots) if (s.index !== null) kill(s, `memory: process RSS grew by ${Math.round(growth / 1048576)} MB (limit ${rssLimit / 1048576} MB)`);
        // Let the restarted workers define a new baseline.
        baselineSet = false;
        setTimeout(() => {
          baseline = process.memoryUsage.rss();
          baselineSet = true;
        }, 2000);
      }
    }, 20);

    for (let i = 0; i < nWorkers; i++) slots.push(spawn());
  });
}

/** Run one saved input through both modes in a worker (with the time limit). */
export async function replayInput(bytes: Uint8Array, chunk: number, file: string, opts: { timeoutMs?: number; aggregate?: boolean } = {}): Promise<CaseResult> {
  const worker = startWorker({ seedFiles: [], seed: 0, only: [], aggregate: opts.aggregate ?? true, selfTest: [] });
  const timeoutMs = opts.timeoutMs ?? 5000;
  try {
    return await new Promise<CaseResult>((resolveRun, rejectRun) => {
      let timer: NodeJS.Timeout | null = null;
      const base = { index: 0, seedFile: file, mutator: 'replay', desc: '', trailer: 'kept' as const, chunk, length: bytes.length, check: null, analyze: null };
      worker.on('message', (m: FromWorker) => {
        if (m.t === 'ready') {
          worker.postMessage({ t: 'bytes', index: 0, bytes, chunk, file } satisfies ToWorker);
          timer = setTimeout(() => resolveRun({ ...base, cls: 'failure', failure: `timeout: no result within ${timeoutMs} ms`, ms: timeoutMs }), timeoutMs);
          return;
        }
        if (timer) clearTimeout(timer);
        resolveRun(m.r);
      });
      worker.on('error', (e) => {
        if (timer) clearTimeout(timer);
        if (timer === null) rejectRun(e);
        else resolveRun({ ...base, cls: 'failure', failure: `worker crashed: ${e.name}: ${e.message}`, ms: 0 });
      });
    });
  } finally {
    await worker.terminate();
  }
}
