/**
 * Layouts newer than Redis 7.4 (docs/rdb-format-recent.md): stream type 26 with idempotent
 * producers, KEY_META (Redis 8.6), SLOT_IMPORT (Valkey 9), Redis Enterprise's opcode 107; and
 * what Redis loads although a saving server would not write it: read with a warning, shown by
 * every command, while real corruption still exits 2.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RdbParser } from '../src/format/parser.ts';
import { bufferSource } from '../src/input/source.ts';
import { CanonicalCollector } from '../src/dump/canonical.ts';
import { RdbError, type FileInfo, type StreamIdmpMeta } from '../src/core/types.ts';
import { buildRdb, RdbWriter, ziplist, type KeyDesc, type StreamValue } from './helpers/rdb-writer.ts';
import { ensureBuilt, runCli } from './helpers/run-cli.ts';

interface Parsed {
  info: FileInfo;
  keys: { key: string; type: string; length: number; rdbType: number; value: unknown; idmp: unknown }[];
}

/** Check-level parse (every blob walked, values materialized), as `check` and `dump` do. */
function parse(rdb: Uint8Array, validate = true): Parsed {
  const col = new CanonicalCollector();
  const keys: Parsed['keys'] = [];
  const info = new RdbParser(bufferSource(rdb), {
    file: 't.rdb',
    values: validate,
    visitor: validate ? col : undefined,
    onKey: (r) => {
      const v = validate ? col.take().value : null;
      keys.push({ key: Buffer.from(r.key.subarray(0, r.keyLength)).toString(), type: r.type, length: r.length, rdbType: r.rdbType, value: v, idmp: validate ? col.takeIdmp() : null });
    },
  }).parse();
  return { info, keys };
}

const entries = (n: number, from = 1): StreamValue['entries'] =>
  Array.from({ length: n }, (_, i) => ({ id: [1700000000000 + from + i, 0] as const, fields: [['f', `v${from + i}`]] }));

test('stream type 26: IDMP producers and ids decoded, counted per file, given to visitors and dump', () => {
  const stream: StreamValue = {
    type: 'stream',
    version: 4,
    entries: entries(3),
    groups: [{ name: 'g', lastId: [1700000000001, 0], entriesRead: 1, pel: [{ id: [1700000000001, 0], deliveryMs: 5, count: 1 }], consumers: [{ name: 'c', seenMs: 5, pel: [[1700000000001, 0]] }] }],
    idmp: {
      duration: 300,
      maxEntries: 50,
      producers: [
        { pid: 'producer-a', ids: [{ iid: 'id-1', id: [1700000000001, 0] }, { iid: 'id-2', id: [1700000000002, 0] }] },
        { pid: 'producer-b', ids: [{ iid: 'x'.repeat(100), id: [1700000000003, 0] }] },
      ],
      iidsAdded: 9,
      iidsDuplicates: 2,
    },
  };
  const rdb = buildRdb({ version: 13, aux: { 'redis-ver': '8.6.3' }, keys: [{ key: 's', value: stream }, { key: 'empty-idmp', value: { type: 'stream', version: 4, entries: entries(1) } }] });
  const seen: { pids: string[]; iidBytes: number[]; meta: StreamIdmpMeta[] } = { pids: [], iidBytes: [], meta: [] };
  const col = new CanonicalCollector();
  const visitor = Object.assign(col, {
    streamIdmpProducer(b: Uint8Array, s: number, e: number, ids: number) {
      seen.pids.push(`${Buffer.from(b.subarray(s, e)).toString()}:${ids}`);
      CanonicalCollector.prototype.streamIdmpProducer.call(col, b, s, e, ids);
    },
    streamIdmpEntry(_b: Uint8Array, s: number, e: number) {
      seen.iidBytes.push(e - s);
    },
    streamIdmp(m: StreamIdmpMeta) {
      seen.meta.push(m);
      CanonicalCollector.prototype.streamIdmp.call(col, m);
    },
  });
  const info = new RdbParser(bufferSource(rdb), { values: true, visitor }).parse();
  assert.deepEqual(seen.pids, ['producer-a:2', 'producer-b:1']);
  assert.deepEqual(seen.iidBytes, [4, 4, 100]);
  assert.deepEqual(seen.meta[0], { duration: 300, maxEntries: 50, producers: 2, ids: 3, iidsAdded: 9n, iidsDuplicates: 2n });
  assert.deepEqual(seen.meta[1], { duration: 100, maxEntries: 100, producers: 0, ids: 0, iidsAdded: 0n, iidsDuplicates: 0n });
  assert.deepEqual(info.streamIdmp, { streams: 1, producers: 2, ids: 3 });
  assert.deepEqual(info.warnings, []);
  assert.equal(info.checksum, 'ok');

  const { keys } = parse(rdb);
  assert.equal(keys[0].type, 'stream');
  assert.equal(keys[0].rdbType, 26);
  assert.equal(keys[0].length, 3);
  assert.equal((keys[0].value as { entries: unknown[] }).entries.length, 3);
  assert.deepEqual(keys[0].idmp, {
    duration: 300, max_entries: 50, ids: 3, iids_added: 9, iids_duplicates: 2,
    producers: [{ pid: 'producer-a', ids: 2 }, { pid: 'producer-b', ids: 1 }],
  });
  // Analysis reads the same file (no visitor wants the producers).
  assert.deepEqual(parse(rdb, false).info.streamIdmp, { streams: 1, producers: 2, ids: 3 });
});

test('stream type 26: what Redis refuses fails, a repeated id of one producer warns', () => {
  const bad = (idmp: StreamValue['idmp']) => buildRdb({ version: 13, keys: [{ key: 's', value: { type: 'stream', version: 4, entries: entries(1), idmp } }] });
  assert.throws(() => parse(bad({ duration: 0 })), (e: unknown) => e instanceof RdbError && /IDMP duration of 1-86400 seconds, found 0/.test(e.expected));
  assert.throws(() => parse(bad({ duration: 86401 })), (e: unknown) => e instanceof RdbError && /found 86401/.test(e.expected));
  assert.throws(() => parse(bad({ maxEntries: 10001 })), (e: unknown) => e instanceof RdbError && /max entries of 1-10000, found 10001/.test(e.expected));
  const twice = { pid: 'p', ids: [{ iid: 'i', id: [1, 0] as const }] };
  assert.throws(() => parse(bad({ producers: [twice, twice] })), (e: unknown) => e instanceof RdbError && /producer id twice/.test(e.expected));
  const rep = parse(bad({ producers: [{ pid: 'p', ids: [{ iid: 'i', id: [1, 0] }, { iid: 'i', id: [2, 0] }] }] }));
  assert.equal(rep.info.warnings.length, 1);
  assert.match(rep.info.warnings[0], /key "s": 1 IDMP id repeated within one producer \(Redis keeps the first\)/);
  // Under the VALKEY magic, 26 is no type Valkey defines.
  const vk = new RdbWriter({ valkey: true }).selectDb(0).key('s', { type: 'stream', version: 4, entries: entries(1) }).end();
  assert.throws(() => parse(vk), (e: unknown) => e instanceof RdbError && e.expected === 'unsupported: value type 26 (VALKEY080)' && e.offset === 11);
});

test('KEY_META before the type byte: skipped by its class specs, counted per class name', () => {
  const meta: KeyDesc['keyMeta'] = [
    { name: 'KMT1', version: 3, flags: 1, ops: [{ uint: 7 }, { str: 'payload' }, { double: 1.5 }] },
    { name: 'ab_-', ops: [{ sint: -1 }, { float: 2 }] },
  ];
  const rdb = buildRdb({ version: 13, keys: [
    { key: 'a', value: { type: 'string', value: 'x' }, expireMs: 4102444800000, keyMeta: meta },
    { key: 'b', value: { type: 'listpack', of: 'set', items: ['m'] }, keyMeta: [meta[0]] },
    { key: 'c', value: { type: 'string', value: 'plain' } },
  ] });
  const { info, keys } = parse(rdb);
  assert.deepEqual(keys.map((k) => [k.key, k.value]), [['a', 'x'], ['b', ['m']], ['c', 'plain']]);
  assert.deepEqual(info.keyMeta, { KMT1: 2, 'ab_-': 1 });
  assert.equal(info.databases[0].expires, 1);
  assert.deepEqual(info.warnings, []);
  // A module opcode outside 0-5 inside the metadata is corrupt, as for module values.
  const broken = buildRdb({ version: 13, keys: [{ key: 'a', value: { type: 'string', value: 'x' }, keyMeta: [{ name: 'KMT1', ops: [] }] }] });
  const at = Buffer.from(broken).indexOf(0xf3) + 6; // opcode, count, 4-byte spec: the value's first opcode
  const copy = Uint8Array.from(broken);
  copy[at] = 9;
  assert.throws(
    () => new RdbParser(bufferSource(copy), { checksumMismatch: 'record' }).parse(),
    (e: unknown) => e instanceof RdbError && e.offset === at && /module opcode 0-5 in a key metadata class KMT1 value, found 9/.test(e.expected),
  );
});

test('Redis Enterprise opcode 107 (RAM LRU) before a key: read and counted', () => {
  const rdb = buildRdb({ version: 11, keys: [
    { key: 'a', value: { type: 'string', value: 'x' }, ramLru: [5] },
    { key: 'b', value: { type: 'string', value: 'y' }, expireMs: 4102444800000, ramLru: [300, 70000] },
  ] });
  const { info, keys } = parse(rdb);
  assert.deepEqual(keys.map((k) => k.value), ['x', 'y']);
  assert.equal(info.ramLru, 3);
  assert.equal(info.databases[0].expires, 1);
});

test('Valkey 9 SLOT_IMPORT: job name and slot ranges, what Valkey refuses fails', () => {
  const job = 'f'.repeat(40);
  const w = new RdbWriter({ valkey: true }).aux('valkey-ver', '9.1.2').slotImport(job, [[0, 99], [5000, 5000]]).selectDb(0);
  const { info, keys } = parse(w.key('k', { type: 'string', value: 'v' }).end());
  assert.equal(keys.length, 1);
  assert.deepEqual(info.slotImports, [{ job, ranges: [[0, 99], [5000, 5000]] }]);
  const bad = (name: string, ranges: [number, number][]) => new RdbWriter({ valkey: true }).slotImport(name, ranges).end();
  assert.throws(() => parse(bad('short', [])), (e: unknown) => e instanceof RdbError && /40-byte SLOT_IMPORT job name, found 5 bytes/.test(e.expected));
  assert.throws(() => parse(bad(job, [[10, 5]])), (e: unknown) => e instanceof RdbError && /slot range within 0-16383, found 10-5/.test(e.expected));
  assert.throws(() => parse(bad(job, [[0, 16384]])), (e: unknown) => e instanceof RdbError && /found 0-16384/.test(e.expected));
});

test('real dumps: Redis 8.6.3 with KEY_META and IDMP producers, Valkey 9.1.2 with SLOT_IMPORT', () => {
  // Written by redis-8.6.3 with its tests/modules/test_keymeta.c loaded (classes KMT1 v1 and
  // KMT2 v3; `withmeta` carries both, `lst` KMT1), and a stream s1 with XCFGSET IDMP-DURATION
  // 600 IDMP-MAXSIZE 3, five ids of prodA (one repeated), one of prodB, one IDMPAUTO of prodC.
  // XINFO STREAM s1 said: length 8, idmp-duration 600, idmp-maxsize 3, pids-tracked 3,
  // iids-tracked 5, iids-added 7, iids-duplicates 1.
  const r86 = parse(readFileSync(new URL('./data/keymeta-idmp-redis-8.6.3.rdb', import.meta.url)));
  assert.equal(r86.info.rdbVersion, 13);
  assert.equal(r86.info.checksum, 'ok');
  assert.deepEqual(r86.info.warnings, []);
  assert.deepEqual(r86.info.keyMeta, { KMT1: 2, KMT2: 1 });
  assert.deepEqual(r86.info.streamIdmp, { streams: 1, producers: 3, ids: 5 });
  const byKey = new Map(r86.keys.map((k) => [k.key, k]));
  assert.deepEqual([...byKey.keys()].sort(), ['lst', 'plain', 's1', 'withmeta']);
  assert.equal(byKey.get('withmeta')!.value, 'hello');
  assert.deepEqual(byKey.get('lst')!.value, ['a', 'b', 'c']);
  const s1 = byKey.get('s1')!;
  assert.equal(s1.rdbType, 26);
  assert.equal(s1.length, 8);
  assert.deepEqual(s1.idmp, {
    duration: 600, max_entries: 3, ids: 5, iids_added: 7, iids_duplicates: 1,
    producers: [{ pid: 'prodA', ids: 3 }, { pid: 'prodB', ids: 1 }, { pid: 'prodC', ids: 1 }],
  });
  // Written by the importing node of a valkey-9.1.2 cluster during CLUSTER MIGRATESLOTS
  // SLOTSRANGE 0 100; CLUSTER GETSLOTMIGRATIONS named the job 47291e70…2f.
  const v91 = parse(readFileSync(new URL('./data/slot-import-valkey-9.1.2.rdb', import.meta.url)));
  assert.equal(v91.info.rdbVersion, 80);
  assert.equal(v91.info.producerVersion, '9.1.2');
  assert.deepEqual(v91.info.slotImports, [{ job: '47291e7059d3f6dcd169f45b4a1a7b3afbcf9d2f', ranges: [[0, 100]] }]);
});

/** A stream whose saved length (5) disagrees with its 2 live entries, as old servers could write. */
function staleStream(): Uint8Array {
  return buildRdb({ version: 9, aux: { 'redis-ver': '5.0.3', ctime: '1700000000' }, keys: [
    { key: 'events', value: { type: 'stream', version: 1, entries: entries(2), length: 5 } },
    { key: 'other', value: { type: 'string', value: 'x'.repeat(50) } },
  ] });
}

test('a stream whose saved length disagrees with its entries loads with the saved length and a warning', () => {
  for (const validate of [true, false]) {
    const { info, keys } = parse(staleStream(), validate);
    assert.equal(keys.length, 2);
    assert.equal(keys[0].length, 5, 'XLEN is the saved length, as Redis reports it');
    assert.equal(info.warnings.length, 1);
    assert.match(info.warnings[0], /^offset \d+, key "events": stream length 5 but 2 live entries \(Redis loads it and reports XLEN 5\)$/);
    assert.equal(info.checksum, 'ok');
  }
  // Only deep sanitization checks consumers against the group PEL and the node counts: warnings.
  const odd = buildRdb({ keys: [{ key: 's', value: { type: 'stream', entries: entries(2), groups: [
    { name: 'g', lastId: '0-0', pel: [{ id: [1700000000001, 0], deliveryMs: 1, count: 1 }], consumers: [] },
  ] } }] });
  assert.match(parse(odd).info.warnings.join('\n'), /key "s": consumers of a group own 0 of its 1 pending entries \(Redis loads it; only sanitize-dump-payload yes rejects it\)/);
  // Entry ids out of order inside a node: only deep sanitization looks.
  const unordered = buildRdb({ keys: [{ key: 's', value: { type: 'stream', entries: [
    { id: [1700000000010, 0], fields: [['f', 'a']] }, { id: [1700000000005, 0], fields: [['f', 'b']] },
  ] } }] });
  const u = parse(unordered);
  assert.equal(u.keys[0].length, 2);
  assert.deepEqual(u.info.warnings, [`offset 14, key "s": stream entry id 1700000000005-0 not above the previous 1700000000010-0 (Redis loads it; only sanitize-dump-payload yes rejects it)`]);
  assert.deepEqual(parse(unordered, false).info.warnings, [], 'analysis does not walk the entries');
  // A non-zero length without any node is what Redis refuses.
  const none = buildRdb({ keys: [{ key: 's', value: { type: 'stream', entries: [], length: 3 } }] });
  assert.throws(() => parse(none), (e: unknown) => e instanceof RdbError && /stream length inconsistent with rax entries/.test(e.expected));
});

test('warnings are bounded per file', () => {
  const keys: KeyDesc[] = Array.from({ length: 150 }, (_, i) => ({ key: `e${i}`, value: { type: 'list', items: [] } }));
  const { info } = parse(buildRdb({ keys }));
  assert.equal(info.warnings.length, 101);
  assert.equal(info.warnings[100], '… and 50 more warnings');
});

test('CLI: the stale-length stream is analysed fully, its warning in check, info, dump, analyze and every report', async (t) => {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-recent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'stale.rdb');
  writeFileSync(file, staleStream());
  const warning = /key "events": stream length 5 but 2 live entries/;

  const check = await runCli(['check', file]);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.out, /: ok: RDB 9, 2 keys, .* \(1 warning below\)/);
  assert.match(check.out, new RegExp(`stale\\.rdb: warning: offset \\d+, ${warning.source}`));

  const info = await runCli(['info', file]);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.out, /warnings:\n {2}offset \d+, key "events": stream length 5/);
  const infoJson = JSON.parse((await runCli(['info', '--json', file])).out);
  assert.match(infoJson.warnings[0], warning);
  assert.deepEqual(infoJson.keyMeta, {});

  const dump = await runCli(['dump', file]);
  assert.equal(dump.code, 0, dump.stderr);
  const lines = dump.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines[0].length, 5);
  assert.equal(lines[0].value.entries.length, 2);

  const out = join(dir, 'report');
  const an = await runCli(['analyze', '-q', '--out', out, file]);
  assert.equal(an.code, 0, an.stderr);
  assert.match(an.out, new RegExp(`\\[file warning\\] offset \\d+, ${warning.source}`));
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(report.summary.keys, 2);
  assert.match(report.files[0].warnings[0], warning);
  assert.deepEqual(report.files[0].keyMeta, {});
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /## File warnings\n\n- offset \d+, key "events": stream length 5/);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /stream length 5 but 2 live entries/);
  assert.match(html, /File warnings/);

  // Redacted: the key is not named in the warning.
  const red = join(dir, 'red');
  const anr = await runCli(['analyze', '-q', '--redact', '--out', red, file]);
  assert.equal(anr.code, 0, anr.stderr);
  assert.match(anr.out, /\[file warning\] offset \d+, key <redacted>: stream length 5/);
  const redReport = JSON.parse(readFileSync(join(red, 'report.json'), 'utf8'));
  assert.match(redReport.files[0].warnings[0], /^offset \d+, key <redacted>: stream length 5/);
  assert.doesNotMatch(readFileSync(join(red, 'report.md'), 'utf8'), /key "events"/);
});

test('CLI: info and dump show KEY_META classes, IDMP producers and SLOT_IMPORT of the real dumps', async () => {
  await ensureBuilt();
  const r86 = new URL('./data/keymeta-idmp-redis-8.6.3.rdb', import.meta.url).pathname;
  const info = JSON.parse((await runCli(['info', '--json', r86])).out);
  assert.deepEqual(info.keyMeta, { KMT1: 2, KMT2: 1 });
  assert.deepEqual(info.streamIdmp, { streams: 1, producers: 3, ids: 5 });
  const text = (await runCli(['info', r86])).out;
  assert.match(text, /key meta: {3}KMT1 \(2 keys\), KMT2 \(1 key\)/);
  assert.match(text, /stream idmp: 3 producers tracking 5 ids in 1 stream/);
  const dump = await runCli(['dump', r86]);
  assert.equal(dump.code, 0, dump.stderr);
  const s1 = dump.out.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((o) => o.key === 's1');
  assert.equal(s1.length, 8);
  assert.deepEqual(s1.stream_idmp.producers, [{ pid: 'prodA', ids: 3 }, { pid: 'prodB', ids: 1 }, { pid: 'prodC', ids: 1 }]);
  const check = await runCli(['check', r86]);
  assert.match(check.out, /: ok: RDB 13, 4 keys, 565 bytes, checksum ok\n$/);
  const v91 = new URL('./data/slot-import-valkey-9.1.2.rdb', import.meta.url).pathname;
  assert.match((await runCli(['info', v91])).out, /slot import: job 47291e7059d3f6dcd169f45b4a1a7b3afbcf9d2f, slots 0-100/);
});

test('CLI: a newer RDB version is checked with a warning; an unknown type in it stops with exit 2', async (t) => {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-recent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const newer = join(dir, 'v14.rdb');
  writeFileSync(newer, buildRdb({ version: 14, keys: [{ key: 'k', value: { type: 'string', value: 'v' } }] }));
  const ok = await runCli(['check', newer]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.out, /: ok: RDB 14, 1 keys, \d+ bytes, checksum ok \(1 warning below\)\n.*: warning: offset 0: REDIS RDB version 14 is newer than the newest this tool knows \(13\): read with the rules of 13\n$/);
  const unknown = join(dir, 'v14-type27.rdb');
  writeFileSync(unknown, new RdbWriter({ version: 14 }).selectDb(0).u8(27).str('k').u8(0).end());
  const bad = await runCli(['check', unknown]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, `${unknown}: offset 11: unsupported: value type 27 (RDB 14)\n`);
});

test('CLI: a bad checksum and a corrupt ziplist still exit 2', async (t) => {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-recent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const crc = join(dir, 'crc.rdb');
  writeFileSync(crc, buildRdb({ version: 9, checksum: 'bad', keys: [{ key: 'k', value: { type: 'string', value: 'v' } }] }));
  const zl = ziplist(['abc', 'de', 'f']);
  zl[15] = 9; // the second entry's prevlen: Redis' full ziplist check refuses it
  const w = new RdbWriter({ version: 9 }).selectDb(0).u8(10).str('k');
  const zlFile = join(dir, 'zl.rdb');
  writeFileSync(zlFile, w.str(zl).end());
  // `info` and `analyze` skip small blobs whose header is sound; `check` and `dump` walk them.
  const cases = [
    [crc, /checksum [0-9a-f]{16} \(CRC-64 of the bytes before it\), found/, ['check', 'info', 'dump', 'analyze']],
    [zlFile, /ziplist prevlen 5, found 9/, ['check', 'dump']],
  ] as const;
  for (const [file, re, cmds] of cases) {
    for (const cmd of cmds) {
      const r = await runCli(cmd === 'analyze' ? ['analyze', '-q', '--out', join(dir, 'r'), file] : [cmd, file]);
      assert.equal(r.code, 2, `${cmd} ${file}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  }
});
