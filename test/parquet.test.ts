/**
 * keys.parquet / namespaces.parquet read back by a real engine (DuckDB): two shards (two real
 * dumps) analysed with labels, then DuckDB's read_parquet([...]) over both must give exactly
 * each report.json's totals, per-type and per-namespace figures and no-TTL counts, and the
 * figures of the report `rdbscope merge` makes of the two.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Report } from '../src/analyze/schema.ts';
import { ensureBuilt, fixture, runCli, showRun } from './helpers/run-cli.ts';

const SHARDS = [
  { file: fixture('shop-7.0.rdb'), labels: ['--label', 'cluster=eu1', '--label', 'shard=0'] },
  { file: fixture('incident-7.0.rdb'), labels: ['--labels', 'cluster=eu1,shard=1'] },
];

let dir: string;
let db: DuckDBConnection;
let reports: Report[];
let merged: Report;
/** The per-key column that report.json's byte figures sum (memory_usage or real_bytes), found from the data. */
let figure: string;

const keysOf = (i: number) => `'${join(dir, `s${i}`, 'keys.parquet')}'`;
const nsOf = (i: number) => `'${join(dir, `s${i}`, 'namespaces.parquet')}'`;
const bothKeys = () => `read_parquet([${keysOf(0)}, ${keysOf(1)}])`;
const bothNs = () => `read_parquet([${nsOf(0)}, ${nsOf(1)}])`;

/** Rows of `sql` with BigInts as numbers (every figure here is far below 2^53). */
async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const r = await db.runAndReadAll(sql);
  const names = r.columnNames();
  return r.getRows().map((row) => Object.fromEntries(row.map((v, i) => [names[i], typeof v === 'bigint' ? Number(v) : v])));
}

before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'rdbscope-parquet-'));
  for (const [i, s] of SHARDS.entries()) {
    const r = await runCli(['analyze', s.file, '--out', join(dir, `s${i}`), '--keys-format', 'parquet', ...s.labels, '-q']);
    assert.equal(r.code, 0, showRun(r));
  }
  // The fan-out's last step: merge every report.json beneath the directory.
  const m = await runCli(['merge', dir, '--out', join(dir, 'merged.json')]);
  assert.equal(m.code, 0, showRun(m));
  reports = SHARDS.map((_, i) => JSON.parse(readFileSync(join(dir, `s${i}`, 'report.json'), 'utf8')) as Report);
  merged = JSON.parse(readFileSync(join(dir, 'merged.json'), 'utf8')) as Report;
  db = await (await DuckDBInstance.create(':memory:')).connect();
  const [sums] = await rows(`select sum(memory_usage) m, sum(real_bytes) r from read_parquet(${keysOf(0)})`);
  figure = sums.r === reports[0].summary.bytes ? 'real_bytes' : 'memory_usage';
  assert.equal(sums[figure === 'real_bytes' ? 'r' : 'm'], reports[0].summary.bytes, 'report.json sums one of the per-key columns');
});

after(() => {
  db?.closeSync();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('keys.parquet: totals, no-TTL figures and per-type figures of each shard are report.json\'s', async () => {
  for (const [i, r] of reports.entries()) {
    const [t] = await rows(`select count(*) keys, sum(${figure}) bytes,
        count(*) filter (where expire_at is null) no_ttl_keys, coalesce(sum(${figure}) filter (where expire_at is null), 0) no_ttl_bytes,
        count(*) filter (where expire_at is not null) ttl_keys
      from read_parquet(${keysOf(i)})`);
    assert.deepEqual(t, { keys: r.summary.keys, bytes: r.summary.bytes, no_ttl_keys: r.summary.noTtlKeys, no_ttl_bytes: r.summary.noTtlBytes, ttl_keys: r.summary.ttlKeys });
    const types = await rows(`select type, count(*) keys, sum(${figure}) bytes from read_parquet(${keysOf(i)}) group by type order by type`);
    assert.deepEqual(
      types,
      r.types.filter((x) => x.keys > 0).map((x) => ({ type: x.type, keys: x.keys, bytes: x.bytes })).sort((a, b) => (a.type < b.type ? -1 : 1)),
    );
    const dbs = await rows(`select db, count(*) keys from read_parquet(${keysOf(i)}) group by db order by db`);
    assert.deepEqual(dbs, r.databases.map((d) => ({ db: d.db, keys: d.keys })));
    // The shard knows its place: in report.json and report.md.
    assert.deepEqual(r.labels, { cluster: 'eu1', shard: String(i) });
    assert.deepEqual(r.files[0].labels, r.labels);
    assert.match(readFileSync(join(dir, `s${i}`, 'report.md'), 'utf8'), new RegExp(`\\| Labels \\| cluster=eu1, shard=${i} \\|`));
  }
});

test('namespaces.parquet holds report.json\'s namespaces, and they add up to the keys', async () => {
  for (const [i, r] of reports.entries()) {
    const ns = await rows(`select pattern, keys, bytes, ttl_keys, no_ttl_keys, no_ttl_bytes from read_parquet(${nsOf(i)})`);
    assert.deepEqual(ns, r.namespaces.map((n) => ({ pattern: n.pattern, keys: n.keys, bytes: n.bytes, ttl_keys: n.ttlKeys, no_ttl_keys: n.noTtlKeys, no_ttl_bytes: n.noTtlBytes })));
    const [sum] = await rows(`select sum(keys) keys, sum(bytes) bytes, sum(no_ttl_keys) no_ttl_keys from read_parquet(${nsOf(i)})`);
    assert.deepEqual(sum, { keys: r.summary.keys, bytes: r.summary.bytes, no_ttl_keys: r.summary.noTtlKeys });
  }
});

test('read_parquet over both shards gives the merged report\'s figures, per shard by its labels', async () => {
  const [t] = await rows(`select count(*) keys, sum(${figure}) bytes, count(*) filter (where expire_at is null) no_ttl_keys,
      coalesce(sum(${figure}) filter (where expire_at is null), 0) no_ttl_bytes, count(distinct snapshot_id) snapshots
    from ${bothKeys()}`);
  assert.deepEqual(t, { keys: merged.summary.keys, bytes: merged.summary.bytes, no_ttl_keys: merged.summary.noTtlKeys, no_ttl_bytes: merged.summary.noTtlBytes, snapshots: 2 });
  // Each shard's rows, found by its labels, are the merged report's section for that file.
  const per = await rows(`select label_cluster, label_shard, source_file, count(*) keys, sum(${figure}) bytes from ${bothKeys()} group by all order by label_shard`);
  assert.deepEqual(
    per,
    merged.files.map((f) => ({ label_cluster: f.labels?.cluster, label_shard: f.labels?.shard, source_file: f.name.split('/').pop(), keys: f.keys, bytes: f.bytes })),
  );
  assert.deepEqual(merged.labels, { cluster: 'eu1' }, 'the merged report keeps the labels its files share');
  // Namespaces: the shards' rows grouped by pattern are the merged namespaces (no fold across these two).
  const ns = await rows(`select pattern, sum(keys) keys, sum(bytes) bytes, sum(no_ttl_keys) no_ttl_keys from ${bothNs()} group by pattern order by pattern`);
  const want = merged.namespaces.map((n) => ({ pattern: n.pattern, keys: n.keys, bytes: n.bytes, no_ttl_keys: n.noTtlKeys })).sort((a, b) => (a.pattern < b.pattern ? -1 : 1));
  assert.deepEqual(ns, want);
  // The snapshot identity columns are the report's.
  const ids = await rows(`select distinct source_file, server, server_version, epoch_ms(saved_at) saved_at from ${bothKeys()} order by source_file`);
  assert.deepEqual(
    ids,
    merged.files.map((f) => ({ source_file: f.name.split('/').pop() ?? '', server: f.producer, server_version: f.producerVersion, saved_at: f.savedAtMs })).sort((a, b) => (a.source_file < b.source_file ? -1 : 1)),
  );
});

test('keys --format parquet holds the same rows as keys.csv, binary keys included (key_b64)', async () => {
  // The matrix dump has keys that are not valid UTF-8.
  const file = fixture('release/matrix-valkey-9.1.2.rdb');
  const pq = join(dir, 'matrix.parquet');
  const r = await runCli(['keys', file, '--format', 'parquet', '--out', pq, '--label', 'env=test', '-q']);
  assert.equal(r.code, 0, showRun(r));
  const c = await runCli(['keys', file, '-q']);
  assert.equal(c.code, 0, showRun(c));
  const csv = Papa.parse<Record<string, string>>(c.out, { header: true, skipEmptyLines: true }).data;
  const fromCsv = csv
    .map((x) => [x.database, x.type, x.key_b64 || Buffer.from(x.key, 'utf8').toString('base64'), x.size_in_bytes, x.memory_usage, x.encoding, x.num_elements, x.len_largest_element, x.expire_at_ms].join('|'))
    .sort();
  const got = await rows(`select db, type, coalesce(to_base64(encode(key)), key_b64) b64, real_bytes, memory_usage, encoding, length, largest_element, epoch_ms(expire_at) exp, label_env, key is null as binary
    from read_parquet('${pq}')`);
  const fromParquet = got.map((x) => [x.db, x.type, x.b64, x.real_bytes, x.memory_usage, x.encoding, x.length, x.largest_element ?? '', x.exp ?? ''].join('|')).sort();
  assert.equal(fromParquet.length, csv.length);
  assert.deepEqual(fromParquet, fromCsv);
  assert.ok(got.some((x) => x.binary === true), 'the matrix dump has a key that is not UTF-8');
  assert.ok(got.every((x) => x.label_env === 'test'));
});

test('Parquet output takes one input per run, and a file for keys', async () => {
  const two = await runCli(['analyze', SHARDS[0].file, SHARDS[1].file, '--keys-format', 'parquet', '--out', join(dir, 'two'), '-q']);
  assert.equal(two.code, 1, showRun(two)); // a usage error
  assert.match(two.stderr, /one input file per run/);
  const stdout = await runCli(['keys', SHARDS[0].file, '--format', 'parquet', '-q']);
  assert.equal(stdout.code, 1, showRun(stdout));
  assert.match(stdout.stderr, /--out FILE/);
  const bad = await runCli(['analyze', SHARDS[0].file, '--label', 'no-equals', '--out', join(dir, 'bad'), '-q']);
  assert.equal(bad.code, 1, showRun(bad));
  assert.match(bad.stderr, /--label: expected name=value/);
});
