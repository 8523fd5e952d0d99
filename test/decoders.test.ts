/**
 * Decoder unit tests through the parser: tiny RDB files made by test/helpers/rdb-writer.ts,
 * parsed with values on and the canonical collector; plus error cases with their offsets and
 * direct tests of the LZF, CRC-64 and text helpers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RdbParser } from '../src/format/parser.ts';
import { bufferSource } from '../src/input/source.ts';
import { CanonicalCollector, canonicalBytes, type CanonicalValue } from '../src/dump/canonical.ts';
import { decodeUtf8 } from '../src/core/keyname.ts';
import { lzfDecompress } from '../src/format/lzf.ts';
import { Crc64 } from '../src/input/crc64.ts';
import { isCanonicalInt, isValidUtf8 } from '../src/core/text.ts';
import { RdbError, type FileInfo, type KeyRecord, type ValueVisitor } from '../src/core/types.ts';
import {
  buildRdb, intset, listpack, lzfCompress, moduleId, rdbLen, rdbValue, RdbWriter, streamIdBytes, ziplist,
  type KeyDesc, type KeyMeta, type RdbDesc, type Value, type WriterOptions,
} from './helpers/rdb-writer.ts';

// ---- helpers ----------------------------------------------------------------------------

interface Key extends Omit<KeyRecord, 'key'> {
  key: Buffer;
  value: CanonicalValue;
  fieldExpire: Record<string, number> | null;
  /** Raw visitor events: ['int', n] / ['str', text] / ['blob', kind, bytes, count, width] / ['score', n]. */
  events: unknown[][];
}

/** Collects canonical values and the raw element events. */
class Probe extends CanonicalCollector {
  events: unknown[][] = [];
  override begin(rec: KeyRecord): void {
    super.begin(rec);
    this.events = [];
  }
  override int(v: number): void {
    super.int(v);
    this.events.push(['int', v]);
  }
  override str(b: Uint8Array, s: number, e: number): void {
    super.str(b, s, e);
    this.events.push(['str', Buffer.from(b.subarray(s, e)).toString('latin1')]);
  }
  override score(v: number): void {
    super.score(v);
    this.events.push(['score', v]);
  }
  override blob(kind?: string, bytes?: number, count?: number, width?: number): boolean {
    this.events.push(['blob', kind, bytes, count, width]);
    return true;
  }
}

function parse(rdb: Uint8Array, chunk?: number): { info: FileInfo; keys: Key[] } {
  const probe = new Probe();
  const keys: Key[] = [];
  const info = new RdbParser(bufferSource(rdb, chunk), {
    file: 't.rdb',
    values: true,
    visitor: probe,
    onKey: (r) => {
      const { value, fieldExpire } = probe.take();
      keys.push({ ...r, key: Buffer.from(r.key.subarray(0, r.keyLength)), value, fieldExpire, events: probe.events });
    },
  }).parse();
  return { info, keys };
}

/** A one-key file (db 0) and its parsed key. */
function one(value: Value, opts: WriterOptions & KeyMeta & { key?: KeyDesc['key'] } = {}): Key & { info: FileInfo } {
  const { info, keys } = parse(buildRdb({ ...opts, keys: [{ key: opts.key ?? 'k', value, ...opts }] }));
  assert.equal(keys.length, 1);
  return { ...keys[0], info };
}

/** Assert that parsing throws an RdbError at `offset` whose text matches `re`. */
function fails(rdb: Uint8Array, offset: number, re: RegExp): RdbError {
  let err: unknown;
  try {
    parse(rdb);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof RdbError, `expected an RdbError, got ${String(err)}`);
  assert.match(err.expected, re);
  assert.equal(err.offset, offset, `offset of: ${err.message}`);
  return err;
}

const kinds = (k: Key) => k.events.filter((e) => e[0] !== 'blob' && e[0] !== 'score').map((e) => e[0]);
const u8 = (...b: number[]) => Uint8Array.from(b);
/** As the last part of `cat`: EOF and the CRC-64 of everything before it. */
const EOF_CRC = u8(0xff);
const tail = () => EOF_CRC;
function cat(...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  if (parts.at(-1) !== EOF_CRC) return Uint8Array.from(body);
  const crc = new Crc64();
  crc.update(body, 0, body.length);
  const t = Buffer.alloc(8);
  t.writeUInt32LE(crc.lo, 0);
  t.writeUInt32LE(crc.hi, 4);
  return Uint8Array.from(Buffer.concat([body, t]));
}
const T2030 = Date.UTC(2030, 0, 1);

// ---- ziplists ---------------------------------------------------------------------------

describe('ziplist entries', () => {
  test('4-bit immediates, int8/16/24/32/64 and all string forms', () => {
    const ints: [number | bigint, 4 | 8 | 16 | 24 | 32 | 64][] = [
      [0, 4], [1, 4], [12, 4], [13, 8], [-1, 8], [127, 8], [-128, 8],
      [128, 16], [-129, 16], [32767, 16], [-32768, 16],
      [32768, 24], [-32769, 24], [8388607, 24], [-8388608, 24], [-1, 24],
      [8388608, 32], [-8388609, 32], [2147483647, 32], [-2147483648, 32],
      [2147483648, 64], [-2147483649, 64], [2 ** 53 - 1, 64], [-(2 ** 53 - 1), 64], [5, 64],
    ];
    const strs = ['', 'a'.repeat(63), 'b'.repeat(64), 'c'.repeat(16383), 'd'.repeat(16384)];
    const items = [...ints.map(([int, enc]) => ({ int, enc })), ...strs.map((s) => ({ str: s })), 'tail'];
    const blob = ziplist(items);
    // The writer chose exactly the asked encodings: check two entry headers in the blob.
    assert.deepEqual([...blob.subarray(10, 12)], [0, 0xf1]); // prevlen 0, immediate 0
    assert.deepEqual([...blob.subarray(16, 19)], [2, 0xfe, 13]); // 13 as int8, after three immediates
    const k = one({ type: 'ziplist', of: 'list', items }, { version: 6 });
    assert.equal(k.type, 'list');
    assert.equal(k.encoding, 'ziplist');
    assert.equal(k.length, items.length);
    assert.deepEqual(k.value, [...ints.map(([v]) => String(v)), ...strs, 'tail']);
    assert.deepEqual(kinds(k), [...ints.map(() => 'int'), ...strs.map(() => 'str'), 'str']);
    assert.deepEqual(k.events[0], ['blob', 'ziplist', blob.length, items.length, 0]);
    assert.equal(k.largestElement, 16384);
  });

  test('5-byte prevlens, 65535 count and zset/hash ziplists', () => {
    const items = ['x'.repeat(300), 1, 'y'.repeat(253), 2];
    const k = one({ type: 'ziplist', of: 'list', items, count: 65535 }, { version: 6 });
    assert.deepEqual(k.value, ['x'.repeat(300), '1', 'y'.repeat(253), '2']);
    const big = one({ type: 'ziplist', of: 'list', items: [1, 2] }, { version: 6 });
    assert.deepEqual(big.value, ['1', '2']);
    const all5 = parse(buildRdb({ version: 6, keys: [{ key: 'k', value: { type: 'raw', rdbType: 10, payload: rdbValue({ type: 'string', value: ziplist(['a', 'b'], { bigPrevlen: true }) }) } }] }));
    assert.deepEqual(all5.keys[0].value, ['a', 'b']);
    const z = one({ type: 'ziplist', of: 'zset', items: ['a', 1, 'b', '2.5', 'c', '-inf', 'd', { str: '7' }] }, { version: 6 });
    assert.deepEqual(z.value, [['c', '-inf'], ['a', 1], ['b', 2.5], ['d', 7]]);
    const h = one({ type: 'ziplist', of: 'hash', items: ['f', 1, 'g', 'v'] }, { version: 6 });
    assert.deepEqual(h.value, { f: '1', g: 'v' });
  });
});

// ---- listpacks --------------------------------------------------------------------------

describe('listpack entries', () => {
  test('7-bit, 13-bit, int16/24/32/64 and 6/12/32-bit strings with multi-byte backlens', () => {
    const ints: [number | bigint, 7 | 13 | 16 | 24 | 32 | 64][] = [
      [0, 7], [127, 7], [128, 13], [4095, 13], [-1, 13], [-4096, 13],
      [4096, 16], [-4097, 16], [32767, 16], [-32768, 16],
      [32768, 24], [8388607, 24], [-8388608, 24],
      [8388608, 32], [2147483647, 32], [-2147483648, 32],
      [2147483648, 64], [2 ** 53 - 1, 64], [-(2 ** 53 - 1), 64],
    ];
    // Sizes: 63+1 (1-byte backlen), 126+2 (2-byte), 4095+2, 4096+5, 20000+5 (3-byte backlen).
    const strs: [string, 6 | 12 | 32][] = [['', 6], ['a'.repeat(63), 6], ['b'.repeat(64), 12], ['c'.repeat(126), 12], ['d'.repeat(4095), 12], ['e'.repeat(4096), 32], ['f'.repeat(20000), 32]];
    const items = [...ints.map(([int, enc]) => ({ int, enc })), ...strs.map(([str, enc]) => ({ str, enc }))];
    const blob = listpack(items);
    assert.deepEqual([...blob.subarray(6, 8)], [0, 1]); // 7-bit 0 + backlen
    assert.deepEqual([...blob.subarray(10, 13)], [0xc0, 128, 2]); // 13-bit 128 + backlen
    const k = one({ type: 'quicklist2', nodes: [items] }, { version: 11 });
    assert.equal(k.type, 'list');
    assert.equal(k.encoding, 'quicklist', 'one node over 8 KiB is a quicklist');
    assert.deepEqual(k.value, [...ints.map(([v]) => String(v)), ...strs.map(([s]) => s)]);
    assert.deepEqual(kinds(k), [...ints.map(() => 'int'), ...strs.map(() => 'str')]);
    assert.deepEqual(k.events[0], ['blob', 'listpack', blob.length, items.length, 0]);
  });

  test('4-byte backlen (a 2 MiB entry)', () => {
    const s = 'g'.repeat(2097152);
    const k = one({ type: 'listpack', of: 'set', items: [s, 1] });
    assert.equal(k.length, 2);
    assert.equal((k.value as string[])[0].length, s.length);
  });

  test('set/hash/zset listpacks, small single-node lists are listpacks on 7.2+', () => {
    assert.deepEqual(one({ type: 'listpack', of: 'set', items: ['a', 5, -3] }).value, ['a', '5', '-3']);
    assert.deepEqual(one({ type: 'listpack', of: 'hash', items: ['a', 5, 'b', 'x'] }).value, { a: '5', b: 'x' });
    const z = one({ type: 'listpack', of: 'zset', items: ['a', 3, 'b', 0.5, 'c', Infinity, 'd', -Infinity, 'e', '1e3'] });
    assert.deepEqual(z.value, [['d', '-inf'], ['b', 0.5], ['a', 3], ['e', 1000], ['c', 'inf']]);
    assert.equal(one({ type: 'quicklist2', nodes: [[1, 2]] }, { version: 11 }).encoding, 'listpack');
    assert.equal(one({ type: 'quicklist2', nodes: [[1, 2]] }, { version: 10 }).encoding, 'quicklist');
    const ql = one({ type: 'quicklist2', nodes: [[1, 'a'], { plain: 'P'.repeat(100) }, ['z']] }, { version: 11 });
    assert.deepEqual(ql.value, ['1', 'a', 'P'.repeat(100), 'z']);
    assert.equal(ql.encoding, 'quicklist');
    assert.deepEqual(ql.events.filter((e) => e[0] === 'blob').map((e) => e[1]), ['listpack', 'plain', 'listpack']);
    const v1 = one({ type: 'quicklist', nodes: [[1, 'a'], ['b', 300]] }, { version: 9 });
    assert.deepEqual(v1.value, ['1', 'a', 'b', '300']);
    assert.equal(v1.encoding, 'quicklist');
  });
});

// ---- integers beyond 2^53 ---------------------------------------------------------------

test('int64 values beyond 2^53 keep their exact decimal text', () => {
  const big = [2n ** 53n, 2n ** 53n + 1n, 9223372036854775807n, -9223372036854775808n, -(2n ** 53n) - 1n];
  const text = big.map(String);
  assert.deepEqual(one({ type: 'listpack', of: 'set', items: big }).value, text);
  assert.deepEqual(one({ type: 'ziplist', of: 'list', items: big }, { version: 6 }).value, text);
  const sorted = [...big].sort((a, b) => (a < b ? -1 : 1));
  const is = one({ type: 'intset', items: sorted });
  assert.deepEqual(is.value, sorted.map(String));
  assert.deepEqual(is.events[0], ['blob', 'intset', 8 + 8 * 5, 5, 8]);
  assert.ok(kinds(is).includes('str') && kinds(is).every((k) => k === 'str'), 'unsafe integers come as text');
  // Widths 2 and 4 too.
  assert.deepEqual(one({ type: 'intset', items: [-32768, 0, 32767] }).events[0], ['blob', 'intset', 14, 3, 2]);
  assert.deepEqual(one({ type: 'intset', items: [-70000, 70000] }).value, ['-70000', '70000']);
});

// ---- lengths ----------------------------------------------------------------------------

test('every LEN in the 2-, 5- and 9-byte (0x81) forms decodes the same', () => {
  const desc: RdbDesc = {
    version: 11,
    aux: { 'redis-ver': '7.2.4' },
    dbs: [{ db: 3, keys: [
      { key: 'l', value: { type: 'list', items: ['a', 'b'] } },
      { key: 'h', value: { type: 'hash', items: [['f', 'v']] } },
      { key: 's', value: { type: 'listpack', of: 'set', items: ['x', 1] } },
      { key: 'q', value: { type: 'quicklist2', nodes: [[1], { plain: 'p' }] } },
      { key: 'x', value: { type: 'stream', entries: [{ id: '1700000000000-5', fields: [['f', 'v']] }], groups: [{ name: 'g', lastId: '1700000000000-5', pel: [{ id: '1700000000000-5', deliveryMs: 9, count: 2 }], consumers: [{ name: 'c', seenMs: 1, pel: ['1700000000000-5'] }] }] } },
    ] }],
  };
  const base = parse(buildRdb(desc));
  let prevSize = buildRdb(desc).length;
  for (const lenForm of [2, 5, 9] as const) {
    const rdb = buildRdb({ ...desc, lenForm });
    assert.ok(rdb.length > prevSize);
    prevSize = rdb.length;
    const got = parse(rdb);
    assert.deepEqual(got.keys.map((k) => [k.db, k.key, k.value]), base.keys.map((k) => [k.db, k.key, k.value]));
    assert.equal(got.info.checksum, 'ok');
  }
  // SELECTDB 3 in the 9-byte form: fe 81 00 00 00 00 00 00 00 03.
  const rdb9 = Buffer.from(buildRdb({ ...desc, lenForm: 9 }));
  assert.ok(rdb9.includes(Buffer.from([0xfe, 0x81, 0, 0, 0, 0, 0, 0, 0, 3])));
  assert.deepEqual([...rdbLen(300)], [0x41, 0x2c]);
  assert.deepEqual([...rdbLen(5, 9)], [0x81, 0, 0, 0, 0, 0, 0, 0, 5]);
  // A real 14-bit and 32-bit string length.
  assert.equal((one({ type: 'string', value: 'z'.repeat(16383) }).value as string).length, 16383);
  assert.equal((one({ type: 'string', value: 'z'.repeat(16384) }).value as string).length, 16384);
});

// ---- strings ----------------------------------------------------------------------------

test('integer-encoded strings and encodings by length', () => {
  for (const [v, width] of [[-128, 8], [127, 8], [-32768, 16], [32767, 16], [-2147483648, 32], [2147483647, 32], [0, 32]] as const) {
    const k = one({ type: 'string', value: { int: v, width } });
    assert.equal(k.value, String(v));
    assert.equal(k.encoding, 'int');
  }
  assert.equal(one({ type: 'string', value: '9223372036854775807' }).encoding, 'int');
  assert.equal(one({ type: 'string', value: '9223372036854775808' }).encoding, 'embstr');
  assert.equal(one({ type: 'string', value: '007' }).encoding, 'embstr');
  assert.equal(one({ type: 'string', value: 'e'.repeat(44) }).encoding, 'embstr');
  assert.equal(one({ type: 'string', value: 'e'.repeat(45) }).encoding, 'raw');
  assert.equal(one({ type: 'string', value: '' }).value, '');
});

// ---- scores -----------------------------------------------------------------------------

describe('zset scores', () => {
  test('binary ±inf and extremes (ZSET_2)', () => {
    const k = one({ type: 'zset', items: [['a', Infinity], ['b', -Infinity], ['c', 0], ['d', -1.5e-300], ['e', Number.MAX_VALUE]] });
    assert.equal(k.encoding, 'skiplist');
    assert.deepEqual(k.value, [['b', '-inf'], ['d', -1.5e-300], ['c', 0], ['e', Number.MAX_VALUE], ['a', 'inf']]);
  });

  test('text scores (old ZSET type 3): 254/255 markers and decimal text', () => {
    const k = one({ type: 'zset', text: true, items: [['a', Infinity], ['b', -Infinity], ['c', '3.25'], ['d', '-1e10'], ['e', 'inf'], ['f', 7]] }, { version: 6 });
    assert.deepEqual(k.value, [['b', '-inf'], ['d', -1e10], ['c', 3.25], ['f', 7], ['a', 'inf'], ['e', 'inf']]);
  });

  test('NaN in an old text zset: the 253 marker is accepted as a NaN score; NaN text is a corrupt score', () => {
    // Decision: the 253 marker is the format's own spelling of NaN, so the parser hands NaN over
    // and goes on (Redis itself refuses to load such a zset); text that is not a number is an error.
    const k = one({ type: 'zset', text: true, items: [['a', NaN], ['b', 1]] }, { version: 6 });
    assert.equal(k.length, 2);
    assert.ok(k.events.some((e) => e[0] === 'score' && Number.isNaN(e[1])));
    const w = new RdbWriter({ version: 6 }).selectDb(0).u8(3).str('k').len(1).str('m');
    const at = w.size + 1;
    fails(cat(w.u8(3).bytes(Buffer.from('nan')).buffered(), tail()), at, /decimal zset score/);
  });
});

// ---- LZF --------------------------------------------------------------------------------

/** Walk an LZF stream and classify its operations. */
function lzfOps(z: Uint8Array): { literals: number; short: number; long: number; overlapping: number; maxBack: number } {
  const r = { literals: 0, short: 0, long: 0, overlapping: 0, maxBack: 0 };
  for (let i = 0; i < z.length; ) {
    const c = z[i++];
    if (c < 32) {
      r.literals++;
      i += c + 1;
      continue;
    }
    let len = c >> 5;
    if (len === 7) {
      len += z[i++];
      r.long++;
    } else r.short++;
    const back = ((c & 31) << 8) + z[i++] + 1;
    if (back < len + 2) r.overlapping++;
    r.maxBack = Math.max(r.maxBack, back);
  }
  return r;
}

describe('LZF', () => {
  test('the writer compressor makes literal runs, short/long and overlapping back-references', () => {
    const rnd = (n: number, seed: number) => {
      let s = seed;
      return Uint8Array.from({ length: n }, () => {
        s = (s + 0x6d2b79f5) | 0;
        let t = Math.imul(s ^ (s >>> 15), s | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return (t ^ (t >>> 14)) & 255;
      });
    };
    const far = rnd(8000, 1);
    const samples = [
      new Uint8Array(0), u8(1), u8(1, 2), Buffer.from('a'.repeat(1000)), Buffer.from('abcdefgh'.repeat(50) + 'xyz'),
      rnd(5000, 7), cat(far, rnd(100, 2), far.subarray(0, 300)), Buffer.from('hello hello hello world'),
    ];
    let ops = { literals: 0, short: 0, long: 0, overlapping: 0, maxBack: 0 };
    for (const s of samples) {
      const z = lzfCompress(s);
      const out = new Uint8Array(s.length);
      assert.equal(lzfDecompress(z, 0, z.length, out, s.length), null);
      assert.deepEqual(out, Uint8Array.from(s));
      const o = lzfOps(z);
      ops = { literals: ops.literals + o.literals, short: ops.short + o.short, long: ops.long + o.long, overlapping: ops.overlapping + o.overlapping, maxBack: Math.max(ops.maxBack, o.maxBack) };
    }
    assert.ok(ops.literals > 0 && ops.short > 0 && ops.long > 0 && ops.overlapping > 0, JSON.stringify(ops));
    assert.ok(ops.maxBack > 8000, `a back-reference from far back: ${ops.maxBack}`);
    // 'a' × 1000: one literal, then run-length copies of 264 bytes at distance 1.
    const z = lzfCompress(Buffer.from('a'.repeat(1000)));
    assert.deepEqual([...z.subarray(0, 5)], [0, 97, 0xe0, 255, 0]);
  });

  test('lzfDecompress validates every step', () => {
    const out = new Uint8Array(64);
    assert.equal(lzfDecompress(u8(2, 65, 66, 67, 0x40, 2), 0, 6, out, 7), null);
    assert.equal(Buffer.from(out.subarray(0, 7)).toString(), 'ABCABCA'); // overlapping copy
    assert.equal(lzfDecompress(u8(0, 65, 0xe0, 3, 0), 0, 5, out, 13), null); // long form: 7+3+2 = 12 copies
    assert.equal(Buffer.from(out.subarray(0, 13)).toString(), 'A'.repeat(13));
    assert.match(lzfDecompress(u8(5, 65), 0, 2, out, 6)!.what, /literal run of 6 bytes past/);
    assert.match(lzfDecompress(u8(0, 65, 0x20), 0, 3, out, 4)!.what, /offset past/);
    assert.match(lzfDecompress(u8(0, 65, 0xe0), 0, 3, out, 40)!.what, /length past/);
    assert.deepEqual(lzfDecompress(u8(0, 65, 0x20, 1), 0, 4, out, 4), { at: 3, what: 'LZF back-reference 2 bytes before the start of the output' });
    assert.match(lzfDecompress(u8(1, 65, 66), 0, 3, out, 1)!.what, /longer than the declared 1/);
    assert.match(lzfDecompress(u8(0, 65, 0x20, 0), 0, 4, out, 3)!.what, /longer than the declared 3/);
    assert.match(lzfDecompress(u8(0, 65), 0, 2, out, 2)!.what, /output of 1 bytes, the header declared 2/);
    // Windowed input: offsets are positions in `src`.
    assert.deepEqual(lzfDecompress(u8(9, 9, 0, 65, 0x20, 5), 2, 6, out, 4), { at: 5, what: 'LZF back-reference 6 bytes before the start of the output' });
  });

  test('LZF strings as keys, values, aux values and blobs', () => {
    const long = 'key-'.repeat(20);
    const rdb = buildRdb({
      version: 11,
      aux: { 'redis-ver': { lzf: '7.2.4' }, note: { lzf: 'n'.repeat(100) } },
      keys: [
        { key: { lzf: long }, value: { type: 'string', value: { lzf: 'v'.repeat(500) } } },
        { key: 'lp', value: { type: 'listpack', of: 'hash', items: ['field', 'x'.repeat(200), 'n', 42], lzf: true } },
        { key: 'ql', value: { type: 'quicklist2', nodes: [['a'.repeat(50), 'b'], { plain: { lzf: 'P'.repeat(300) } }], lzf: true } },
        { key: 'is', value: { type: 'intset', items: Array.from({ length: 100 }, (_, i) => i), lzf: true } },
        { key: 'zl', value: { type: 'ziplist', of: 'list', items: ['q'.repeat(100), 5], lzf: true } },
        { key: 'st', value: { type: 'stream', entries: [{ id: '1-1', fields: [['f', 'w'.repeat(100)]] }], lzf: true } },
      ],
    });
    const { info, keys } = parse(rdb);
    assert.equal(info.producerVersion, '7.2.4');
    assert.equal(info.aux.note, 'n'.repeat(100));
    assert.equal(keys[0].key.toString(), long);
    assert.equal(keys[0].value, 'v'.repeat(500));
    assert.equal(keys[0].encoding, 'raw');
    assert.deepEqual(keys[1].value, { field: 'x'.repeat(200), n: '42' });
    assert.deepEqual(keys[2].value, ['a'.repeat(50), 'b', 'P'.repeat(300)]);
    assert.equal(keys[3].length, 100);
    assert.deepEqual(keys[4].value, ['q'.repeat(100), '5']);
    assert.deepEqual((keys[5].value as { entries: unknown }).entries, [['1-1', { f: 'w'.repeat(100) }]]);
    // The whole file again with the writer compressing everything it can.
    const packed = buildRdb({ version: 11, compress: true, keys: [{ key: 'k'.repeat(40), value: { type: 'hash', items: [['a'.repeat(30), 'b'.repeat(30)]] } }] });
    assert.ok(Buffer.from(packed).includes(0xc3));
    assert.deepEqual(parse(packed).keys[0].value, { ['a'.repeat(30)]: 'b'.repeat(30) });
  });
});

// ---- collections, keys ------------------------------------------------------------------

test('empty collections are reported with a warning', () => {
  const empties: Value[] = [
    { type: 'list', items: [] }, { type: 'set', items: [] }, { type: 'zset', items: [] }, { type: 'hash', items: [] },
    { type: 'intset', items: [] }, { type: 'listpack', of: 'hash', items: [] }, { type: 'ziplist', of: 'list', items: [] },
    { type: 'quicklist2', nodes: [] }, { type: 'quicklist', nodes: [] }, { type: 'zipmap', items: [] },
  ];
  const { info, keys } = parse(buildRdb({ version: 11, keys: empties.map((value, i) => ({ key: `e${i}`, value })) }));
  assert.equal(keys.length, empties.length);
  assert.ok(keys.every((k) => k.length === 0));
  assert.equal(info.warnings.length, empties.length);
  for (const [i, w] of info.warnings.entries()) assert.match(w, new RegExp(`^offset ${keys[i].offset}, key "e${i}": empty ${keys[i].type}`));
  // An empty string or stream is no oddity.
  const ok = parse(buildRdb({ keys: [{ key: 's', value: { type: 'string', value: '' } }, { key: 'x', value: { type: 'stream', entries: [] } }] }));
  assert.deepEqual(ok.info.warnings, []);
});

test('the empty key, binary keys and values, long keys after short ones', () => {
  const bin = u8(0, 0xff, 0xc3, 0x28, 10);
  const { keys } = parse(buildRdb({ keys: [
    { key: '', value: { type: 'string', value: 'empty-key' } },
    { key: bin, value: { type: 'string', value: bin } },
    { key: 'L'.repeat(1000), value: { type: 'listpack', of: 'hash', items: [bin, 'v', 'f', bin] } },
    { key: 'z', value: { type: 'set', items: [bin, 'é'] } },
  ] }));
  assert.equal(keys[0].key.length, 0);
  assert.equal(keys[0].keyLength, 0);
  assert.equal(keys[0].value, 'empty-key');
  assert.deepEqual([...keys[1].key], [...bin]);
  assert.deepEqual(keys[1].value, { b64: Buffer.from(bin).toString('base64') });
  assert.equal(keys[2].key.toString(), 'L'.repeat(1000));
  assert.deepEqual(keys[2].value, { [`b64:${Buffer.from(bin).toString('base64')}`]: 'v', f: { b64: Buffer.from(bin).toString('base64') } });
  assert.deepEqual(keys[3].value, [{ b64: Buffer.from(bin).toString('base64') }, 'é']);
  assert.equal(keys[3].key.toString(), 'z');
});

test('prefix opcodes, RESIZEDB, several databases', () => {
  const { info, keys } = parse(buildRdb({
    version: 9,
    dbs: [
      { db: 0, keys: [{ key: 'a', value: { type: 'string', value: '1' }, expireMs: T2030, idle: 300, freq: 7 }] },
      { db: 15, resize: [10, 4], keys: [{ key: 'b', value: { type: 'string', value: '2' } }, { key: 'c', value: { type: 'string', value: '3' }, expireMs: 5 }] },
    ],
  }));
  assert.deepEqual(keys.map((k) => [k.db, k.expireAtMs, k.idleS, k.lfuFreq]), [[0, T2030, 300, 7], [15, -1, -1, -1], [15, 5, -1, -1]]);
  assert.deepEqual(info.databases, { 0: { keys: 1, expires: 1, resizeKeys: 1, resizeExpires: 1 }, 15: { keys: 2, expires: 1, resizeKeys: 10, resizeExpires: 4 } });
  assert.equal(keys[0].offset, 9 + 2 + 3, 'key offset is its first prefix opcode');
});

// ---- old files, checksums ---------------------------------------------------------------

describe('RDB versions and checksums', () => {
  for (const version of [1, 2, 3, 4, 5, 6]) {
    test(`RDB ${version}: EXPIRETIME seconds, ${version < 5 ? 'no checksum' : 'CRC-64'}`, () => {
      const keys: KeyDesc[] = [
        { key: 's', value: { type: 'string', value: 'v' }, expireS: 1893456000 },
        { key: 'l', value: { type: 'list', items: ['a', 'b'] } },
        { key: 'z', value: { type: 'zset', text: true, items: [['m', 1.5], ['n', Infinity]] } },
        { key: 'h', value: { type: 'hash', items: [['f', 'v']] } },
      ];
      if (version >= 2) {
        keys.push({ key: 'zm', value: { type: 'zipmap', items: [['f', 'v'], ['g'.repeat(300), 'w']], free: 3 } });
        keys.push({ key: 'is', value: { type: 'intset', items: [1, 2, 3] } });
        keys.push({ key: 'zl', value: { type: 'ziplist', of: 'list', items: ['x', { int: 300, enc: 16 }] } });
      }
      if (version >= 3) keys.push({ key: 'ms', value: { type: 'string', value: 'w' }, expireMs: T2030 });
      if (version >= 4) keys.push({ key: 'hz', value: { type: 'ziplist', of: 'hash', items: ['f', 'v'] } });
      const rdb = buildRdb({ version, keys });
      const { info, keys: got } = parse(rdb);
      assert.equal(info.rdbVersion, version);
      assert.equal(info.checksum, version < 5 ? 'absent' : 'ok');
      assert.equal(info.bytes, rdb.length);
      assert.equal(got[0].expireAtMs, 1893456000 * 1000);
      assert.deepEqual(got.map((k) => k.key.toString()), keys.map((k) => String(k.key)));
      assert.deepEqual(got[2].value, [['m', 1.5], ['n', 'inf']]);
      if (version >= 2) assert.deepEqual(got[4].value, { f: 'v', ['g'.repeat(300)]: 'w' });
      if (version >= 3) assert.equal(got[7].expireAtMs, T2030);
    });
  }

  test('a zero checksum means disabled', () => {
    const { info } = parse(buildRdb({ version: 11, checksum: 'zero', keys: [{ key: 'k', value: { type: 'string', value: 'v' } }] }));
    assert.equal(info.checksum, 'disabled');
    assert.equal(info.storedChecksum, '0000000000000000');
    assert.match(info.computedChecksum, /^[0-9a-f]{16}$/);
  });

  test('a matching checksum is ok, and trailing bytes after it are ignored', () => {
    const rdb = buildRdb({ version: 11, keys: [{ key: 'k', value: { type: 'string', value: 'v' } }] });
    const { info } = parse(cat(rdb, Buffer.from('*1\r\n$4\r\nPING\r\n')));
    assert.equal(info.checksum, 'ok');
    assert.equal(info.bytes, rdb.length);
  });
});

// ---- hashes with field TTLs, Valkey ------------------------------------------------------

test('Redis 7.4 hashes with field TTLs (types 22-25)', () => {
  const items: [string, string, number][] = [['a', '1', 0], ['b', '2', T2030], ['c', '3', T2030 + 5]];
  const meta = one({ type: 'hashmeta', items }, { version: 12 });
  assert.deepEqual(meta.value, { a: '1', b: '2', c: '3' });
  assert.deepEqual(meta.fieldExpire, { b: T2030, c: T2030 + 5 });
  assert.equal(meta.fieldsWithTtl, 2);
  assert.deepEqual(one({ type: 'hashmeta', items, preGa: true }, { version: 12 }).fieldExpire, { b: T2030, c: T2030 + 5 });
  const ex = one({ type: 'hashex', items }, { version: 12 });
  assert.equal(ex.encoding, 'listpackex');
  assert.deepEqual(ex.value, { a: '1', b: '2', c: '3' });
  assert.deepEqual(ex.fieldExpire, { b: T2030, c: T2030 + 5 });
  assert.deepEqual(one({ type: 'hashex', items, preGa: true }, { version: 12 }).fieldExpire, { b: T2030, c: T2030 + 5 });
});

test('Valkey VALKEY080 with HASH_2 (type 22) and slot-info', () => {
  const rdb = buildRdb({
    valkey: true,
    aux: { 'valkey-ver': '9.0.0', 'slot-info': '7,1,1' },
    keys: [{ key: 'h', value: { type: 'hash2', items: [['f1', 'v1', -1], ['f2', 'v2', T2030]] }, expireMs: T2030 + 1 }],
  });
  assert.equal(Buffer.from(rdb.subarray(0, 9)).toString(), 'VALKEY080');
  const { info, keys } = parse(rdb);
  assert.equal(info.producer, 'valkey');
  assert.equal(info.rdbVersion, 80);
  assert.equal(info.producerVersion, '9.0.0');
  assert.equal(info.checksum, 'ok');
  assert.deepEqual(info.slots, [{ slot: 7, keys: 1, expires: 1 }]);
  assert.equal(keys[0].type, 'hash');
  assert.equal(keys[0].rdbType, 22);
  assert.deepEqual(keys[0].value, { f1: 'v1', f2: 'v2' });
  assert.deepEqual(keys[0].fieldExpire, { f2: T2030 });
  assert.equal(keys[0].expireAtMs, T2030 + 1);
  // Redis' pre-GA hash listpack type 23 does not exist in Valkey 9.
  const w = new RdbWriter({ valkey: true }).selectDb(0);
  const at = w.size;
  fails(cat(w.key('h', { type: 'hashex', items: [['f', 'v', 0]], preGa: true }).end()), at, /Valkey 80 defines, found 23/);
});

// ---- streams ----------------------------------------------------------------------------

test('streams v1/v2/v3: nodes, same-fields and deleted entries, groups, PEL and consumers', () => {
  for (const version of [1, 2, 3] as const) {
    const k = one({
      type: 'stream', version, nodeEntries: 2,
      entries: [
        { id: '1-1', fields: [['a', '1'], ['b', 'x']] },
        { id: '1-2', fields: [['a', '2'], ['b', 'y']], deleted: true },
        { id: '2-0', fields: [['c', 'z']] },
        { id: '5-3', fields: [['c', 'q'], ['d', 12345678901234]] },
        { id: [2n ** 53n + 7n, 2n ** 60n], fields: [['e', '']] },
      ],
      groups: [
        { name: 'g1', lastId: '5-3', entriesRead: 3, pel: [{ id: '1-1', deliveryMs: 5, count: 1 }, { id: '2-0', deliveryMs: 6, count: 3 }, { id: '5-3', deliveryMs: 7, count: 2 }],
          consumers: [{ name: 'c1', seenMs: 1, activeMs: 2, pel: ['1-1', '5-3'] }, { name: 'c2', seenMs: 2, pel: ['2-0'] }, { name: 'idle', seenMs: 3 }] },
        { name: 'g2', lastId: '0-0' },
      ],
    }, { version: version === 1 ? 9 : version === 2 ? 10 : 11 });
    assert.equal(k.type, 'stream');
    assert.equal(k.rdbType, [15, 19, 21][version - 1]);
    assert.equal(k.length, 4);
    assert.equal(k.streamGroups, 2);
    assert.equal(k.streamMaxPending, 3);
    assert.deepEqual(k.value, {
      entries: [['1-1', { a: '1', b: 'x' }], ['2-0', { c: 'z' }], ['5-3', { c: 'q', d: '12345678901234' }], [`${2n ** 53n + 7n}-${2n ** 60n}`, { e: '' }]],
      last_id: `${2n ** 53n + 7n}-${2n ** 60n}`,
      groups: [
        { name: 'g1', last_delivered_id: '5-3', pending: 3, consumers: [{ name: 'c1', pending: 2 }, { name: 'c2', pending: 1 }, { name: 'idle', pending: 0 }] },
        { name: 'g2', last_delivered_id: '0-0', pending: 0, consumers: [] },
      ],
    });
  }
});

test('a stream entry id delta that is a string entry is corrupt (not a SyntaxError)', () => {
  // Regression: the text of a listpack string entry went straight to BigInt().
  const w = new RdbWriter({ version: 9 }).selectDb(0).u8(15).str('s').len(1).str({ raw: streamIdBytes('1-1') });
  const blobAt = w.size + 1;
  // count 1, deleted 0, one master field 'f', 0; then flags SAMEFIELDS, ms delta 'x' (a string), seq delta, value, back-count.
  w.str(listpack([1, 0, 1, 'f', 0, 2, { str: 'x' }, 0, 'v', 4])).len(1).len(1).len(1).len(0);
  fails(w.end(), blobAt + 22, /a stream entry id \(ms delta\) as an integer entry/);
});

// ---- modules, functions, slot info -------------------------------------------------------

test('module values are skipped byte-exactly and named; MODULE_AUX, FUNCTION2, SLOT_INFO', () => {
  const json = moduleId('ReJSON-RL', 3);
  const bloom = moduleId('MBbloom--', 1023);
  assert.equal(json >> 10n & 63n, 11n, 'last name character L at bits 10-15');
  const value: Value = { type: 'module', id: json, ops: [{ uint: 5 }, { sint: -1 }, { float: 1.5 }, { double: -2.25 }, { str: 'x'.repeat(70) }, { str: { lzf: 'y'.repeat(200) } }, { uint: 2n ** 64n - 1n }] };
  const rdb = buildRdb({
    version: 12,
    aux: { 'redis-ver': '7.4.1' },
    moduleAux: [{ id: bloom, when: 1, ops: [{ str: 'before' }] }, { id: json, when: 2, ops: [{ uint: 1 }, { double: 3 }] }],
    functions: ['#!lua name=mylib\nredis.register_function("f", function() return 1 end)', '#!lua name=other engine=x\nreturn 2'],
    dbs: [{ db: 0, keys: [
      { key: 'doc', value },
      { key: 'after', value: { type: 'string', value: 'still here' } },
      { key: 'doc2', value: { type: 'module', id: json, ops: [] } },
    ] }],
  });
  const { info, keys } = parse(rdb);
  assert.deepEqual(keys.map((k) => [k.key.toString(), k.type, k.module]), [['doc', 'module', 'ReJSON-RL'], ['after', 'string', ''], ['doc2', 'module', 'ReJSON-RL']]);
  assert.equal(keys[0].valueFileBytes, rdbValue(value).length);
  assert.equal(keys[1].value, 'still here');
  assert.deepEqual(info.modules, { 'MBbloom--': 0, 'ReJSON-RL': 2 });
  assert.deepEqual(info.functions, ['mylib', 'other']);
  assert.equal(info.checksum, 'ok');
  // SLOT_INFO records.
  const w = new RdbWriter({ version: 12 }).selectDb(0).slotInfo(42, 2, 1).key('a', { type: 'string', value: '1' }).slotInfo(16383, 1, 0);
  assert.deepEqual(parse(w.end()).info.slots, [{ slot: 42, keys: 2, expires: 1 }, { slot: 16383, keys: 1, expires: 0 }]);
  // FUNCTION_PRE_GA (7.0 release candidates): name, engine, description flag + text, body.
  const pre = new RdbWriter({ version: 10 }).u8(0xf6).str('fname').str('LUA').len(1).str('desc').str('return 1').end();
  assert.deepEqual(parse(pre).info.functions, ['fname']);
});

test('corrupt module framing', () => {
  const w = new RdbWriter({ version: 9 }).selectDb(0).u8(7).str('m').len(moduleId('ReJSON-RL', 3)).len(2).len(9);
  const at = w.size;
  fails(w.len(6).end(), at, /module opcode 0-5 in a ReJSON-RL value, found 6/);
  const aux = new RdbWriter({ version: 9 }).u8(0xf7).len(moduleId('MBbloom--', 1));
  const at2 = aux.size;
  fails(aux.len(3).len(1).len(0).end(), at2, /MODULE_AUX marker 2, found 3/);
  const six = new RdbWriter({ version: 8 }).selectDb(0);
  const at3 = six.size;
  fails(six.u8(6).str('m').end(), at3, /type 6 .* cannot be skipped/);
});

// ---- robustness: chunking, truncation, corruption ---------------------------------------

function richFile(): Uint8Array {
  return buildRdb({
    version: 11, aux: { 'redis-ver': '7.2.4', 'redis-bits': '64', ctime: '1700000000' }, compress: true,
    functions: ['#!lua name=lib\nreturn 1'],
    dbs: [{ db: 0, keys: [
      { key: 'str', value: { type: 'string', value: 'hello world '.repeat(10) }, expireMs: T2030 },
      { key: 'int', value: { type: 'string', value: '-42' } },
      { key: 'lp', value: { type: 'listpack', of: 'zset', items: ['a', 1, 'b', 2.5, 'c', -Infinity] } },
      { key: 'ql', value: { type: 'quicklist2', nodes: [['a'.repeat(40), 1, 2n ** 62n], { plain: 'p'.repeat(30) }] } },
      { key: 'is', value: { type: 'intset', items: [1, 5, 100000] } },
      { key: 'h', value: { type: 'hash', items: [['f', 'v'], ['g', 'w'.repeat(30)]] } },
      { key: 'z', value: { type: 'zset', items: [['m', 1.25], ['n', Infinity]] } },
      { key: 'x', value: { type: 'stream', entries: [{ id: '1-1', fields: [['f', 'v']] }, { id: '1-2', fields: [['f', 'w']] }], groups: [{ name: 'g', lastId: '1-2', pel: [{ id: '1-1', deliveryMs: 1, count: 1 }], consumers: [{ name: 'c', seenMs: 1, pel: ['1-1'] }] }] } },
    ] }],
  });
}

test('any chunking of the input gives the same result', () => {
  const rdb = richFile();
  const whole = JSON.stringify(parse(rdb), (_, v) => (typeof v === 'bigint' ? String(v) : v));
  for (const chunk of [1, 2, 3, 7, 64, 1000]) {
    assert.equal(JSON.stringify(parse(rdb, chunk), (_, v) => (typeof v === 'bigint' ? String(v) : v)), whole, `chunk ${chunk}`);
  }
});

test('every truncation fails with an RdbError at the end of the input', () => {
  const rdb = richFile();
  for (let n = 0; n < rdb.length; n++) {
    for (const chunk of [undefined, 5]) {
      try {
        parse(rdb.subarray(0, n), chunk);
        assert.fail(`a ${n}-byte prefix parsed`);
      } catch (e) {
        assert.ok(e instanceof RdbError, `prefix ${n}: ${String(e)}`);
        assert.equal(e.offset, n, `prefix ${n}: ${e.message}`);
      }
    }
  }
});

test('single-byte corruption never escapes as anything but an RdbError', () => {
  const rdb = richFile();
  const noop: ValueVisitor = new CanonicalCollector();
  let failures = 0;
  for (let i = 9; i < rdb.length - 8; i++) {
    for (const mask of [0x01, 0x40, 0x80, 0xff]) {
      const bad = Uint8Array.from(rdb);
      bad[i] ^= mask;
      try {
        new RdbParser(bufferSource(bad), { values: true, visitor: i % 2 ? noop : undefined, checksumMismatch: 'record' }).parse();
      } catch (e) {
        if (!(e instanceof RdbError)) assert.fail(`byte ${i} ^ ${mask}: ${(e as Error).stack}`);
        failures++;
      }
    }
  }
  assert.ok(failures > 0);
});

// ---- errors with offsets -----------------------------------------------------------------

describe('errors', () => {

  test('header: empty input, short, wrong magic, bad digits; version 99 is read with a warning', () => {
    fails(new Uint8Array(0), 0, /empty file/);
    fails(Buffer.from('REDIS'), 5, /unexpected end of file \(5 of 9 bytes\)/);
    fails(Buffer.from('RADIS0011\xff'), 0, /REDIS or VALKEY magic, found "RADIS0011"/);
    fails(Buffer.from('REDIS00x1\xff'), 5, /4-digit RDB version/);
    fails(Buffer.from('REDIS0000\xff'), 5, /at least 1/);
    const newer = parse(buildRdb({ version: 99, keys: [{ key: 'k', value: { type: 'string', value: 'v' } }] }));
    assert.equal(newer.keys.length, 1);
    assert.equal(newer.info.rdbVersion, 99);
    assert.match(newer.info.warnings[0], /^offset 0: REDIS RDB version 99 is newer than the newest this tool knows \(13\)/);
    const valkey = parse(buildRdb({ valkey: true, version: 81 }));
    assert.match(valkey.info.warnings[0], /VALKEY RDB version 81 is newer .*\(80\)/);
  });

  test('unknown type 30, unknown opcodes, a length where a string-encoding byte sits', () => {
    const w = new RdbWriter({ version: 12 }).selectDb(0).key('a', { type: 'string', value: '1' });
    const at = w.size;
    fails(cat(w.buffered(), u8(0xfc), new Uint8Array(8), u8(30, 1, 65, 0xff)), at + 9, /^unsupported: value type 30 \(RDB 12\)$/);
    fails(cat(w.buffered(), u8(0xf2, 1, 65, 0xff)), at, /^unsupported: value type 242 \(RDB 12\)$/);
    fails(cat(w.buffered(), u8(0xf3, 0, 0xff)), at + 2, /a value type after KEY_META, found opcode 255/);
    fails(cat(w.buffered(), u8(0xf3, 8)), at + 1, /at most 7 KEY_META classes, found 8/);
    fails(cat(new RdbWriter({ valkey: true }).buffered(), u8(0xf3, 0)), 10, /40-byte SLOT_IMPORT job name, found 0 bytes/);
    fails(cat(new RdbWriter({ valkey: true }).selectDb(0).buffered(), u8(26, 1, 65)), 11, /^unsupported: value type 26 \(VALKEY080\)$/);
    fails(cat(new RdbWriter({ version: 14 }).selectDb(0).buffered(), u8(27, 1, 65)), 11, /^unsupported: value type 27 \(RDB 14\)$/);
    fails(cat(w.buffered(), u8(0xfe, 0xc0, 1)), at + 1, /a database number: a length, found a string-encoding byte 0xc0/);
    fails(cat(w.buffered(), u8(0, 0xc4)), at + 1, /a key: a string encoding 0-3, found 4/);
    fails(cat(w.buffered(), u8(1, 1, 65, 0x82)), at + 3, /a list length: a valid length prefix, found 0x82/);
    // Prefix opcodes with no key before EOF: a warning, not an error.
    const { info } = parse(cat(w.buffered(), u8(0xf9, 3), tail()));
    assert.match(info.warnings[0], new RegExp(`^offset ${at}: key prefix opcodes without a key`));
  });

  test('a length pointing past the end, truncation mid-value', () => {
    const w = new RdbWriter({ version: 11 }).selectDb(0).u8(0).str('k');
    const at = w.size;
    const rdb = cat(w.buffered(), rdbLen(1000), Buffer.from('abc'), tail());
    const e = fails(rdb, rdb.length, /unexpected end of file \(\d+ of 1000 bytes\) reading a string value/);
    assert.match(e.expected, new RegExp(`at offset ${at + 2}$`));
    const full = buildRdb({ keys: [{ key: 'k', value: { type: 'listpack', of: 'set', items: ['a'.repeat(100), 'b'] } }] });
    fails(full.subarray(0, 60), 60, /unexpected end of file/);
  });

  test('checksum mismatch names the stored and computed checksums', () => {
    const rdb = buildRdb({ version: 11, checksum: 'bad', keys: [{ key: 'k', value: { type: 'string', value: 'v' } }] });
    const crc = new Crc64();
    crc.update(rdb, 0, rdb.length - 8);
    const stored = Buffer.from(rdb.subarray(rdb.length - 8)).reverse().toString('hex');
    const e = fails(rdb, rdb.length - 8, /checksum/);
    assert.ok(e.expected.includes(crc.hex()) && e.expected.includes(stored) && stored !== crc.hex(), e.expected);
    // Recorded instead of thrown when asked.
    const info = new RdbParser(bufferSource(rdb), { checksumMismatch: 'record' }).parse();
    assert.equal(info.checksum, 'mismatch');
    assert.equal(info.storedChecksum, stored);
    assert.equal(info.computedChecksum, crc.hex());
  });

  test('a 2^60 length fails fast, without allocating', () => {
    const huge = cat(u8(0x81), new Uint8Array([0x10, 0, 0, 0, 0, 0, 0, 0]));
    const w = new RdbWriter({ version: 11 }).selectDb(0);
    const at = w.size;
    for (const [type, what, skip] of [[0, /a string value: a length that fits 53 bits, found 1152921504606846976/, 3], [1, /a list length/, 3], [2, /a set size/, 3], [4, /a hash size/, 3], [18, /quicklist node count/, 3]] as const) {
      const rdb = cat(w.buffered(), u8(type, 1, 65), huge, tail());
      const t0 = performance.now();
      fails(rdb, at + skip, what);
      assert.ok(performance.now() - t0 < 200, 'prompt');
    }
    // As an LZF uncompressed length.
    fails(cat(w.buffered(), u8(0, 1, 65, 0xc3, 5), huge, tail()), at + 5, /LZF uncompressed length/);
    // 2^52 fits 53 bits: it fails where the input runs out (or the data stops making sense),
    // never by allocating what the length announces.
    const t0 = performance.now();
    const two52 = u8(0x81, 0, 0x10, 0, 0, 0, 0, 0, 0);
    const rdb = cat(w.buffered(), u8(0, 1, 65), two52, tail());
    fails(rdb, rdb.length, /unexpected end of file/);
    fails(cat(w.buffered(), u8(0, 1, 65, 0xc3, 4), two52, u8(0, 65, 0, 66), tail()), at + 3, /LZF data of 4 bytes cannot expand to the declared 4503599627370496/);
    fails(cat(w.buffered(), u8(1, 1, 65), two52, u8(1, 65), tail()), at + 3 + 9 + 2, /a list element: a string encoding 0-3, found 63/);
    assert.ok(performance.now() - t0 < 500, 'prompt');
  });

  test('LZF back-reference before the start', () => {
    const w = new RdbWriter({ version: 11 }).selectDb(0).u8(0).str('k');
    const at = w.size; // 0xc3, clen, ulen, then the data: literal 'a', back-reference of 3 from 6 back
    fails(w.str({ lzfRaw: u8(0, 97, 0x20, 5), ulen: 4 }).end(), at + 3 + 3, /a string value: LZF back-reference 6 bytes before the start/);
  });

  test('listpack whose header count disagrees (plain and LZF-compressed blob): loaded, a warning', () => {
    // Redis' default load checks a listpack's size and terminator, not its count.
    const w = new RdbWriter({ version: 11 }).selectDb(0).u8(20).str('k');
    const a = parse(w.str(listpack(['a', 'b', 'c'], 5)).end());
    assert.deepEqual(a.keys[0].value, ['a', 'b', 'c']);
    assert.equal(a.keys[0].length, 5, 'SCARD as Redis 8.6.3 reports it for this file: the header count');
    assert.deepEqual(a.info.warnings, ['offset 11, key "k": a listpack whose header declares 5 entries holds 3 (Redis loads it; only sanitize-dump-payload yes rejects it)']);
    const z = new RdbWriter({ version: 11 }).selectDb(0).u8(20).str('k');
    const b = parse(z.str({ lzf: listpack(['a'.repeat(30), 'a'.repeat(29) + 'b'], 1) }).end());
    assert.equal(b.keys[0].length, 1);
    assert.match(b.info.warnings[0], /header declares 1 entries holds 2/);
  });

  test('ziplist with a bad prevlen', () => {
    const zl = ziplist(['abc', 'de', 'f']);
    zl[10 + 5] = 9; // second entry's prevlen (the first entry is 1 + 1 + 3 bytes)
    const w = new RdbWriter({ version: 6 }).selectDb(0).u8(10).str('k');
    const at = w.size + 1;
    fails(w.str(zl).end(), at + 15, /ziplist prevlen 5, found 9/);
  });

  test('intset not sorted: Redis loads it (only deep sanitization checks the order), a warning', () => {
    for (const width of [2, 4, 8] as const) {
      const w = new RdbWriter({ version: 11 }).selectDb(0).u8(11).str('k');
      const { info, keys } = parse(w.str(intset([1, 5, 3], width)).end());
      assert.deepEqual(keys[0].value, ['1', '5', '3']);
      assert.deepEqual(info.warnings, ['offset 11, key "k": intset members not in strictly ascending order (Redis loads it; only sanitize-dump-payload yes rejects it)']);
    }
  });

  test('other blob defects: listpack size, bad backlen, odd pair count, empty quicklist node, bad container', () => {
    const w = new RdbWriter({ version: 11 }).selectDb(0);
    const at = w.size + 4; // type, key length, key, blob length: the blob's first byte
    const lp = listpack(['a', 'b']);
    const badSize = Uint8Array.from(lp);
    badSize[0]++;
    fails(cat(w.buffered(), u8(20, 1, 107), rdbLen(lp.length), badSize, tail()), at, /total-bytes/);
    const badBack = Uint8Array.from(lp);
    badBack[8] = 5;
    fails(cat(w.buffered(), u8(20, 1, 107), rdbLen(lp.length), badBack, tail()), at + 6 + 2, /back-length/);
    fails(cat(w.buffered(), u8(16, 1, 107), rdbValue({ type: 'string', value: listpack(['a', 'b', 'c']) }), tail()), at, /multiple of 2 entries, found 3/);
    // Redis skips an empty quicklist node on load: a warning, in check and analysis alike.
    const emptyNode = cat(w.buffered(), u8(18, 1, 107, 1, 2), rdbValue({ type: 'string', value: listpack([]) }), tail());
    assert.match(parse(emptyNode).info.warnings.join('\n'), /key "k": an empty quicklist node \(Redis skips it on load\)/);
    assert.match(new RdbParser(bufferSource(emptyNode), { file: 't.rdb' }).parse().warnings.join('\n'), /an empty quicklist node/);
    fails(cat(w.buffered(), u8(18, 1, 107, 1, 3), tail()), at, /quicklist container 1 \(plain\) or 2 \(packed\), found 3/);
    fails(cat(w.buffered(), u8(20, 1, 107), rdbValue({ type: 'string', value: u8(8, 0, 0, 0, 1, 0, 0xf5, 0xff) }), tail()), at + 6, /a listpack entry encoding, found 0xf5/);
  });
});

// ---- helpers in src/format ----------------------------------------------------------------

test('Crc64: check value, incremental updates, trailer byte order', () => {
  const crc = new Crc64();
  const data = Buffer.from('123456789');
  crc.update(data, 0, data.length);
  assert.equal(crc.hex(), 'e9c6d914c4b8d9ca');
  const long = Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(37));
  const whole = new Crc64();
  whole.update(long, 0, long.length);
  for (const step of [1, 3, 8, 13, 100]) {
    const c = new Crc64();
    for (let i = 0; i < long.length; i += step) c.update(long, i, Math.min(long.length, i + step));
    assert.equal(c.hex(), whole.hex(), `step ${step}`);
  }
  const empty = new Crc64();
  empty.update(long, 5, 5);
  assert.equal(empty.hex(), '0000000000000000');
});

test('isCanonicalInt', () => {
  const yes = ['0', '1', '-1', '42', '9223372036854775807', '-9223372036854775808', '1234567890123456789'];
  const no = ['', '-', '-0', '00', '01', '+1', ' 1', '1 ', '1a', '9223372036854775808', '-9223372036854775809', '99999999999999999999', '123456789012345678901', '1.0', '0x1'];
  const b = (s: string) => Buffer.from(s);
  for (const s of yes) assert.equal(isCanonicalInt(b(s), 0, s.length), true, s);
  for (const s of no) assert.equal(isCanonicalInt(b(s), 0, s.length), false, s);
  assert.equal(isCanonicalInt(b('xx-12yy'), 2, 5), true, 'a window of a buffer');
});

test('isValidUtf8', () => {
  const yes = [u8(), Buffer.from('ascii'), Buffer.from('é€😀'), u8(0xef, 0xbf, 0xbf), u8(0xf4, 0x8f, 0xbf, 0xbf), u8(0xed, 0x9f, 0xbf)];
  const no = [
    u8(0x80), u8(0xc0, 0x80), u8(0xc1, 0xbf), u8(0xe0, 0x80, 0x80), u8(0xed, 0xa0, 0x80), u8(0xf0, 0x80, 0x80, 0x80),
    u8(0xf4, 0x90, 0x80, 0x80), u8(0xf5, 0x80, 0x80, 0x80), u8(0xe2, 0x82), u8(0xc3), u8(0xc3, 0x28), u8(0xff),
  ];
  for (const b of yes) assert.equal(isValidUtf8(b, 0, b.length), true, Buffer.from(b).toString('hex'));
  for (const b of no) assert.equal(isValidUtf8(b, 0, b.length), false, Buffer.from(b).toString('hex'));
  const w = u8(0xff, 0x61, 0xc3, 0xa9, 0xff);
  assert.equal(isValidUtf8(w, 1, 4), true);
  assert.equal(isValidUtf8(w, 1, 3), false, 'a sequence cut by the window end');
});

test('check-level validation: duplicates Redis refuses fail, those only deep sanitization finds warn', () => {
  // Listpacks and small plain hashes (loaded as listpacks) are checked only by deep sanitization.
  const warned: { value: Value; re: RegExp }[] = [
    { value: { type: 'listpack', of: 'set', items: ['a', 'b', 'a'] }, re: /key "k": 1 duplicate member in a listpack/ },
    { value: { type: 'listpack', of: 'hash', items: ['f', '1', 'f', '2'] }, re: /key "k": 1 duplicate field in a listpack/ },
    { value: { type: 'listpack', of: 'zset', items: ['m', 1, 'm', 2] }, re: /key "k": 1 duplicate member in a listpack/ },
    { value: { type: 'hash', items: [['f', 'a'], ['f', 'b']] }, re: /key "k": 1 duplicate field in a hash of 2/ },
  ];
  for (const { value, re } of warned) {
    const { info, keys } = parse(buildRdb({ keys: [{ key: 'k', value }] }));
    assert.equal(keys.length, 1);
    assert.equal(info.warnings.length, 1, JSON.stringify(value));
    assert.match(info.warnings[0], re);
  }
  const big: [string, string][] = Array.from({ length: 513 }, (_, i) => [`f${i}`, 'v']);
  big.push(['f0', 'again']);
  const cases: { value: Value; re: RegExp }[] = [
    { value: { type: 'set', items: ['x', '7', 'x'] }, re: /set without duplicate members/ },
    { value: { type: 'set', items: ['7', { int: 7 }] }, re: /set without duplicate members/ },
    { value: { type: 'hash', items: big }, re: /hash without duplicate fields/ },
    { value: { type: 'zset', items: [['m', 1], ['m', 2]] }, re: /zset without duplicate members/ },
    { value: { type: 'ziplist', of: 'hash', items: ['f', '1', 'f', '2'] }, re: /no duplicate fields/ },
  ];
  for (const { value, re } of cases) {
    const rdb = buildRdb({ keys: [{ key: 'k', value }] });
    let err: unknown;
    try {
      parse(rdb);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof RdbError, `${JSON.stringify(value)}: expected an RdbError, got ${String(err)}`);
    assert.match(err.expected, re);
    // Lists may repeat; and analysis (no validation) reads the same files without complaint.
    const n = new RdbParser(bufferSource(rdb), { file: 't.rdb' }).parse();
    assert.equal(n.checksum, 'ok');
  }
  assert.deepEqual(one({ type: 'listpack', of: 'set', items: ['a'] }).value, ['a']);
  assert.deepEqual(one({ type: 'list', items: ['a', 'a'] }).value, ['a', 'a']);
});

test('canonical values keep a leading byte-order mark (it is data, not a marker)', () => {
  const bom = Buffer.from('\ufeffkey', 'utf8');
  assert.equal(canonicalBytes(bom, 0, bom.length), '\ufeffkey');
  assert.equal(decodeUtf8(bom), '\ufeffkey');
  assert.deepEqual(canonicalBytes(u8(0xff, 0x41), 0, 2), { b64: '/0E=' });
});
