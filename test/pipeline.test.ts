/**
 * The pieces that split a job across threads: the record ring between the parse worker and
 * the consumer, the word-wise key copier, and the four-run CRC-64.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { CONTROL_BYTES, RingReader, RingWriter, abortRing, RingAborted } from '../src/run/record-ring.ts';
import { RECORD_FIELDS } from '../src/run/record-layout.ts';
import { BatchReader, BatchWriter, type RecordBatch } from '../src/api/batch.ts';
import { newKeyRecord } from '../src/format/parser.ts';
import { KeyCopier, keyBuffer } from '../src/core/keycopy.ts';
import { Crc64 } from '../src/input/crc64.ts';
import { DupSet } from '../src/format/dupset.ts';
import { keysCsvRow } from '../src/report/csv.ts';
import type { KeyRecord, VectorSetSummary } from '../src/core/types.ts';
import { buildRdb, type KeyDesc } from './helpers/rdb-writer.ts';
import { ensureBuilt, runCli, showRun } from './helpers/run-cli.ts';
import { Sfc32 } from './helpers/sfc32.ts';

const random = (seed: number) => {
  const g = new Sfc32(seed, 0x9e3779b9, 0x243f6a88, 0xb7e15162, 12);
  return () => g.u32() / 4294967296;
};

/** A record with every field set from `i` (optional ones only on some). */
function sample(i: number, key: Uint8Array): KeyRecord {
  const r = newKeyRecord();
  r.key = keyBuffer(key.length);
  r.key.set(key);
  r.keyLength = key.length;
  r.db = i % 17;
  r.type = (['string', 'list', 'set', 'zset', 'hash', 'stream', 'module'] as const)[i % 7]!;
  r.encoding = ['embstr', 'quicklist', 'listpack', 'skiplist', 'hashtable', 'stream', ''][i % 7]!;
  r.rdbType = i % 26;
  r.expireAtMs = i % 3 === 0 ? -1 : 1_700_000_000_000 + i;
  r.idleS = i % 5 === 0 ? i : -1;
  r.lfuFreq = i % 4 === 0 ? i % 256 : -1;
  r.length = i * 3;
  r.largestElement = i % 6 === 0 ? -1 : i;
  r.offset = 9 + i * 100;
  r.valueFileBytes = i + 1;
  r.memoryBytes = 56 + i * 8;
  r.realBytes = 40 + i * 8 - (i % 3) * 16;
  r.module = r.type === 'module' ? `mod${i % 3}-type` : '';
  r.streamGroups = r.type === 'stream' ? i % 4 : 0;
  r.streamMaxPending = r.type === 'stream' ? i : 0;
  r.fieldsWithTtl = r.type === 'hash' ? i % 9 : 0;
  if (r.type === 'stream' && r.streamGroups > 0) {
    r.streamOldestPendingMs = i % 8 === 5 ? -1 : 1_700_000_000_000 - i * 1000;
    r.streamPel = { groups: Array.from({ length: r.streamGroups }, (_, g) => ({ name: `g${g}-${i}`, pending: g * i, oldestDeliveryMs: g === 0 ? -1 : 1_700_000_000_000 - g })) };
  }
  if (r.type === 'zset' && i % 5 !== 0) {
    r.zsetScoreMin = i % 2 ? -i * 0.5 : 1_700_000_000 + i;
    r.zsetScoreMax = r.zsetScoreMin + i;
  }
  // Absent on most records, as on the parser's until its first module value; then null or an object.
  if (r.type === 'module' && i % 3 !== 0) {
    r.vectorset = i % 2 ? null : ({ count: i, dim: i % 300, layerNodes: Float64Array.of(i, 1.5) } as unknown as VectorSetSummary);
  }
  return r;
}

/** The record's fields by value (an optional field set to undefined counts as absent). */
function plain(r: KeyRecord): Record<string, unknown> {
  const o: Record<string, unknown> = { ...r, key: Buffer.from(r.key.subarray(0, r.keyLength)).toString('hex') };
  if (o['vectorset'] === undefined) delete o['vectorset'];
  return o;
}

test('record ring: every field and key length survives, across wraps, in one thread', () => {
  // 1 KiB of data: records wrap every few keys; the reader drains before the writer could block.
  const sab = new SharedArrayBuffer(CONTROL_BYTES + 1024);
  const w = new RingWriter(sab);
  const r = new RingReader(sab);
  const rnd = random(5);
  const got = newKeyRecord();
  for (let i = 0; i < 3000; i++) {
    const key = new Uint8Array(Math.floor(rnd() * 300));
    for (let k = 0; k < key.length; k++) key[k] = Math.floor(rnd() * 256);
    const rec = sample(i, key);
    w.key(rec);
    (w as unknown as { publish(): void }).publish();
    assert.equal(r.next(got), 'key');
    (r as unknown as { publish(): void }).publish();
    assert.deepEqual(plain(got), plain(rec), `record ${i}`);
  }
  w.end({ info: { producer: 'redis' } as never, instance: null, error: null });
  assert.equal(r.next(got), 'end');
  assert.deepEqual(r.ended, { info: { producer: 'redis' }, instance: null, error: null });
});

test('record layout: samples vary every declared field, and batches carry them all as the ring does', () => {
  const recs = Array.from({ length: 300 }, (_, i) => sample(i, Buffer.from(`k${i}`)));
  for (const f of Object.keys(RECORD_FIELDS) as (keyof KeyRecord)[]) {
    const seen = new Set(recs.map((r) => JSON.stringify(f === 'key' ? plain(r).key : (r[f] ?? String(r[f])))));
    assert.ok(seen.size >= 3, `field ${f} takes ${seen.size} values in the samples`);
  }
  const batches: RecordBatch[] = [];
  const w = new BatchWriter((b) => void batches.push(structuredClone(b)));
  for (const r of recs) w.add(r);
  w.flush();
  const reader = new BatchReader();
  const got = newKeyRecord();
  let i = 0;
  for (const b of batches) {
    reader.load(b);
    while (reader.next(got)) {
      assert.deepEqual(plain(got), plain(recs[i]!), `record ${i}`);
      i++;
    }
  }
  assert.equal(i, recs.length);
});

test('record ring: a reader waiting on a finished or failed writer stops instead of hanging', () => {
  const sab = new SharedArrayBuffer(CONTROL_BYTES + 1024);
  const r = new RingReader(sab);
  abortRing(sab);
  assert.throws(() => r.next(newKeyRecord()), RingAborted);
});

test('key copier: word copies match byte copies at every alignment and length', () => {
  const src = new Uint8Array(200);
  for (let i = 0; i < src.length; i++) src[i] = (i * 37 + 11) & 255;
  const c = new KeyCopier();
  for (let s = 0; s < 8; s++) {
    for (let n = 0; n <= 70; n++) {
      for (const d of [0, 4, 8, 1]) {
        const dst = keyBuffer(n + d);
        c.copy(dst, d, src, s, n);
        assert.deepEqual([...dst.subarray(d, d + n)], [...src.subarray(s, s + n)], `s=${s} n=${n} d=${d}`);
      }
    }
  }
  // A source ending right at the key: no word may be read past it.
  const tight = src.subarray(0, 13);
  const dst = keyBuffer(13);
  c.copy(dst, 0, tight, 3, 10);
  assert.deepEqual([...dst.subarray(0, 10)], [...src.subarray(3, 13)]);
});

/** Bit-by-bit CRC-64/Jones, the definition. */
function crcReference(b: Uint8Array): bigint {
  const P = 0x95ac9329ac4bc9b5n;
  let c = 0n;
  for (const x of b) {
    c ^= BigInt(x);
    for (let i = 0; i < 8; i++) c = c & 1n ? (c >> 1n) ^ P : c >> 1n;
  }
  return c;
}

test('Crc64: the four-run split and its combination equal the definition at any length and split', () => {
  const rnd = random(9);
  const data = new Uint8Array(70_000);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rnd() * 256);
  for (const n of [0, 1, 7, 8, 9, 17, 4095, 4096, 4097, 4127, 5000, 65_535, 70_000]) {
    const c = new Crc64();
    c.update(data, 0, n);
    assert.equal(c.value, crcReference(data.subarray(0, n)), `length ${n}`);
    const odd = new Crc64();
    for (let i = 0; i < n; i += 13) odd.update(data, i, Math.min(n, i + 13));
    assert.equal(odd.value, c.value, `length ${n} in 13-byte pieces`);
  }
  const c = new Crc64();
  c.window.set(data.subarray(0, 9000));
  c.updateWindow(9000);
  c.update(data, 9000, 70_000);
  assert.equal(c.value, crcReference(data), 'window then update');
});

test('keys and analyze through the worker split: a key larger than the ring, hostile keys, exact rows', async () => {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-pipe-'));
  const huge = 'h'.repeat(6 << 20) + ':end'; // the ring holds 2 MiB: it crosses in pieces
  const keys = [
    { key: 'a:1', value: { type: 'string', value: 'x' } },
    { key: huge, value: { type: 'string', value: 'big key' }, expireMs: 1_800_000_000_000 },
    ...Array.from({ length: 20_000 }, (_, i) => ({ key: `user:${i}:profile,"q"`, value: { type: 'string', value: 'v'.repeat(i % 50) } })),
    { key: 'z', value: { type: 'list', items: ['a', 'b'] } },
  ];
  const file = join(dir, 'big-key.rdb');
  writeFileSync(file, buildRdb({ version: 10, aux: { 'redis-ver': '7.0.15' }, keys: keys as KeyDesc[] }));
  const csv = join(dir, 'keys.csv');
  const r = await runCli(['keys', file, '--format', 'csv', '--out', csv, '--quiet']);
  assert.equal(r.code, 0, showRun(r));
  const rows = Papa.parse<Record<string, string>>(readFileSync(csv, 'utf8'), { header: true, skipEmptyLines: true }).data;
  assert.deepEqual(rows.map((x) => x.key), keys.map((k) => k.key));
  assert.equal(rows[1]!.expire_at_ms, '1800000000000');
  const a = await runCli(['analyze', file, '--out', join(dir, 'rep'), '--quiet', '--format', 'json']);
  assert.equal(a.code, 0, showRun(a));
  const rep = JSON.parse(readFileSync(join(dir, 'rep', 'report.json'), 'utf8'));
  assert.equal(rep.summary.keys, keys.length);
});

test('DupSet: exact membership across generations, growth and integers', () => {
  const d = new DupSet();
  const enc = (s: string) => Buffer.from(s);
  for (let round = 0; round < 3; round++) {
    d.clear();
    const seen = new Set<string>();
    const rnd = random(round + 1);
    for (let i = 0; i < 20_000; i++) {
      const s = String(Math.floor(rnd() * 15_000)) + (rnd() < 0.5 ? '' : 'x');
      const b = enc(`..${s}..`);
      assert.equal(d.add(b, 2, b.length - 2), seen.has(s), `round ${round}: ${s}`);
      seen.add(s);
    }
    assert.equal(d.size, seen.size);
  }
  d.clear();
  assert.equal(d.addInt(42), false);
  assert.equal(d.add(enc('42'), 0, 2), true, 'an integer and its text are the same member');
  assert.equal(d.add(enc(''), 0, 0), false);
  assert.equal(d.add(enc('x'), 0, 0), true, 'the empty member');
});

test('keys.csv rows: the key copy quotes and escapes exactly like the definition', () => {
  const rnd = random(11);
  const alphabet = [0x61, 0x3a, 44, 34, 10, 13, 0xc3, 0xa9, 0x80, 0xff, 0x3d, 0x30];
  const rec = newKeyRecord();
  for (let i = 0; i < 3000; i++) {
    const n = Math.floor(rnd() * 23);
    const key = new Uint8Array(n);
    for (let k = 0; k < n; k++) key[k] = alphabet[Math.floor(rnd() * alphabet.length)]!;
    rec.key = keyBuffer(64);
    rec.key.fill(44); // stale bytes past the key must not count
    rec.key.set(key);
    rec.keyLength = n;
    const row = Papa.parse<string[]>(keysCsvRow(rec), { header: false }).data[0]!;
    const back = row[9] ? Buffer.from(row[9], 'base64') : Buffer.from(row[2]!, 'utf8');
    assert.deepEqual([...back], [...key], `key ${Buffer.from(key).toString('hex')}`);
    const special = key.some((c) => c === 44 || c === 34 || c === 10 || c === 13);
    const first = keysCsvRow(rec).split(',')[2]!;
    if (!special && !row[9]) assert.equal(first.startsWith('"'), false, 'no quotes unless needed');
  }
});
