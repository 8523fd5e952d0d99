/**
 * `mergeReports` / `rdbscope merge`: the keys of a real dump (fixtures/shop-7.0.rdb) split
 * into two halves; the merge of the halves' reports is the report of the whole.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aggregator, type AnalyzeOptions } from '../src/analyze/aggregate.ts';
import { mergeReports } from '../src/analyze/merge.ts';
import { fileSource } from '../src/input/source.ts';
import { scan } from '../src/scan.ts';
import type { FileInfo, KeyRecord } from '../src/core/types.ts';
import { reportToJson } from '../src/report/json.ts';
import type { KeyEntry, Report } from '../src/analyze/schema.ts';
import { ensureBuilt, fixture, runCli, showRun } from './helpers/run-cli.ts';

const SHOP = fixture('shop-7.0.rdb');
const OPTS: AnalyzeOptions = { nowMs: 1_800_000_000_000, top: 25, queueThreshold: 100, maxChildren: 50, depth: 0 };

/** Every key of the dump, with the memory model, through `onKey`; the FileInfo it ends with. */
function readKeys(onKey: (rec: KeyRecord, i: number) => void): FileInfo {
  const src = fileSource(SHOP);
  let i = 0;
  try {
    const info = scan(src, { file: SHOP, onKey: (rec) => onKey(rec, i++) }).info;
    // used-mem describes the instance that saved the whole file; a half has none of its own
    // (two halves would each claim it), so it is left out on every side.
    return { ...info, aux: Object.fromEntries(Object.entries(info.aux).filter(([k]) => k !== 'used-mem')) };
  } finally {
    src.close();
  }
}

/** What scan()'s default memory model is for this 7.0 dump (analyze names it the same way). */
const MODEL = { server: 'Redis 7.0', allocator: 'jemalloc' };

const roundTrip = (r: Report): Report => JSON.parse(JSON.stringify(r)) as Report;

/** The halves (even / odd keys in file order), A-then-B as two files, and the single-file whole. */
function build(opts: AnalyzeOptions = OPTS): { a: Report; b: Report; twoFiles: Report; whole: Report; keys: number } {
  const a = new Aggregator(opts);
  const b = new Aggregator(opts);
  const twoFiles = new Aggregator(opts);
  const whole = new Aggregator(opts);
  let keys = 0;
  // Pass 1: the even keys (half A), and every key for the single-file whole.
  const info = readKeys((rec, i) => {
    keys++;
    whole.add(rec);
    if (i % 2 === 0) {
      a.add(rec);
      twoFiles.add(rec);
    }
  });
  whole.addFile(info, 'shop.rdb', null, MODEL);
  a.addFile(info, 'half-a.rdb', null, MODEL);
  twoFiles.addFile(info, 'half-a.rdb', null, MODEL);
  // Pass 2: the odd keys (half B).
  readKeys((rec, i) => {
    if (i % 2 === 1) {
      b.add(rec);
      twoFiles.add(rec);
    }
  });
  b.addFile(info, 'half-b.rdb', null, MODEL);
  twoFiles.addFile(info, 'half-b.rdb', null, MODEL);
  return { a: a.toReport(), b: b.toReport(), twoFiles: twoFiles.toReport(), whole: whole.toReport(), keys };
}

/**
 * The only legitimate differences between the merge of two halves and the one-file report of
 * the whole: the per-file sections (two halves vs one file: `files`, `summary.files`) and the
 * file a listed key was read from (`file`, `fileIndex` on every key entry). Everything else
 * (sums, per-db/per-type figures, TTL histogram, namespaces and tree, top lists and their
 * order, queue and big-element stats, findings) must be identical.
 */
function withoutFileOrigin(r: Report): unknown {
  const c = roundTrip(r) as unknown as Record<string, unknown> & { summary: Record<string, unknown> };
  delete c.files;
  delete c.summary.files;
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('fileIndex' in o && 'file' in o && 'keyB64' in o) {
        delete o.file;
        delete o.fileIndex;
      }
      Object.values(o).forEach(visit);
    }
  };
  visit(c);
  return c;
}

describe('merge of two halves of a dataset', () => {
  const { a, b, twoFiles, whole, keys } = build();

  test('the halves are real halves of a varied dataset', () => {
    assert.ok(keys > 300, `${keys} keys`);
    assert.equal(a.summary.keys + b.summary.keys, keys);
    assert.ok(Math.abs(a.summary.keys - b.summary.keys) <= 1);
    assert.ok(whole.namespaces.length > 10 && whole.queues.length > 0 && whole.databases.length > 1);
  });

  test('mergeReports([A, B]) deep-equals analysing A then B (nothing ignored)', () => {
    const merged = mergeReports([roundTrip(a), roundTrip(b)]);
    assert.deepEqual(roundTrip(merged), roundTrip(twoFiles));
  });

  test('mergeReports([A, B]) equals the one-file report of the whole but for the file sections', () => {
    const merged = mergeReports([roundTrip(a), roundTrip(b)]);
    assert.deepEqual(withoutFileOrigin(merged), withoutFileOrigin(whole));
    // And what differs is only that: the two sections add up to the whole's one.
    assert.deepEqual(merged.files.map((f) => f.name), ['half-a.rdb', 'half-b.rdb']);
    assert.equal(merged.files[0].keys + merged.files[1].keys, whole.files[0].keys);
    assert.equal(merged.files[0].bytes + merged.files[1].bytes, whole.files[0].bytes);
    const origin = (k: KeyEntry): string => k.file;
    assert.deepEqual(new Set(merged.bigKeys.map(origin)), new Set(['half-a.rdb', 'half-b.rdb']));
  });

  test('order does not matter for the figures (B then A)', () => {
    const ba = mergeReports([roundTrip(b), roundTrip(a)]);
    assert.deepEqual(withoutFileOrigin(ba), withoutFileOrigin(whole));
  });

  test('exact too when levels collapse in the whole but not in a half (max-children 14)', () => {
    const c = build({ ...OPTS, maxChildren: 14 });
    // The root (20 first segments) and then `*` collapse in the whole; neither half reaches 15.
    assert.deepEqual(c.whole.namespaceInfo.collapsed, ['', '*']);
    assert.deepEqual([c.a.namespaceInfo.collapsed, c.b.namespaceInfo.collapsed], [[], []]);
    const merged = mergeReports([roundTrip(c.a), roundTrip(c.b)]);
    assert.deepEqual(roundTrip(merged), roundTrip(c.twoFiles));
    assert.deepEqual(withoutFileOrigin(merged), withoutFileOrigin(c.whole));
  });
});

describe('rdbscope merge', () => {
  const { a, b, twoFiles } = build();
  let dir = '';
  let ja = '';
  let jb = '';

  before(async () => {
    const built = ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'rdbscope-merge-'));
    ja = join(dir, 'a.json');
    jb = join(dir, 'b.json');
    writeFileSync(ja, reportToJson(a));
    writeFileSync(jb, reportToJson(b));
    await built;
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('to stdout: the exact merge', async () => {
    const r = await runCli(['merge', ja, jb]);
    assert.equal(r.code, 0, showRun(r));
    assert.deepEqual(JSON.parse(r.out), roundTrip(twoFiles));
  });

  test('into a directory: every format; a file by its extension; refuses to overwrite', async () => {
    const out = join(dir, 'all');
    const r = await runCli(['merge', ja, jb, '--out', out]);
    assert.equal(r.code, 0, showRun(r));
    assert.deepEqual(readdirSync(out).sort(), ['namespaces.csv', 'report.html', 'report.json', 'report.md']);
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')), roundTrip(twoFiles));
    assert.match(r.out, /2 files merged/);
    const again = await runCli(['merge', ja, jb, '--out', out]);
    assert.equal(again.code, 1, showRun(again));
    assert.match(again.stderr, /refusing to overwrite/);
    const md = join(dir, 'merged.md');
    const m = await runCli(['merge', ja, jb, '--out', md]);
    assert.equal(m.code, 0, showRun(m));
    assert.match(readFileSync(md, 'utf8'), /^# rdbscope report: 2 files/);
    const bad = await runCli(['merge', ja, jb, '--out', join(dir, 'x.json'), '--format', 'md']);
    assert.equal(bad.code, 1, showRun(bad));
  });

  test('--redact: no key names, tokens as analyze --redact makes them', async () => {
    const r = await runCli(['merge', ja, jb, '--redact']);
    assert.equal(r.code, 0, showRun(r));
    const m = JSON.parse(r.out) as Report;
    assert.equal(m.redacted, true);
    for (const k of m.bigKeys) assert.match(k.key, /#[0-9a-f]{8}$/);
    for (const k of twoFiles.bigKeys) if (/\d{2,}/.test(k.key)) assert.ok(!r.out.includes(JSON.stringify(k.key)), k.key);
    // A redacted input redacts the others too (keys are ranked together by their names).
    const red = join(dir, 'a-red.json');
    writeFileSync(red, reportToJson((await import('../src/analyze/redact.ts')).redactReport(a)));
    const mixed = await runCli(['merge', red, jb]);
    assert.equal(mixed.code, 0, showRun(mixed));
    const mm = JSON.parse(mixed.out) as Report;
    assert.equal(mm.redacted, true);
    for (const k of mm.bigKeys) assert.match(k.key, /#[0-9a-f]{8}$/);
  });

  test('an RDB input is analysed with the reports\' options; mismatched options exit 2', async () => {
    const r = await runCli(['-q', 'merge', ja, SHOP]);
    assert.equal(r.code, 0, showRun(r));
    const m = JSON.parse(r.out) as Report;
    assert.equal(m.summary.files, 2);
    assert.equal(m.options.maxChildren, 50);
    assert.equal(m.options.queueThreshold, 100);
    const other = join(dir, 'other.json');
    writeFileSync(other, reportToJson({ ...b, options: { ...b.options, separators: ':/' } }));
    const bad = await runCli(['merge', ja, other]);
    assert.equal(bad.code, 2, showRun(bad));
    assert.match(bad.stderr, /different separators/);
    const notReport = join(dir, 'not.json');
    writeFileSync(notReport, '{"hello": 1}');
    const nr = await runCli(['merge', ja, notReport]);
    assert.equal(nr.code, 2, showRun(nr));
    assert.match(nr.stderr, /not an rdbscope report/);
  });
});

test('mergeReports refuses files modelled for different servers or allocators unless allowed', () => {
  const { a, b } = build();
  const b16: Report = { ...b, files: b.files.map((f) => ({ ...f, memoryModel: { server: 'Redis 7.0', allocator: 'jemalloc16' } })) };
  assert.throws(() => mergeReports([a, b16]), /different memory models \(Redis 7\.0, jemalloc; Redis 7\.0, jemalloc16\)/);
  const m = mergeReports([a, b16], { allowMixedModels: true });
  assert.deepEqual(m.summary.memoryModels, ['Redis 7.0, jemalloc', 'Redis 7.0, jemalloc16']);
  assert.equal(m.findings[0].id, 'mixed-memory-models');
  assert.equal(m.findings[0].severity, 'critical');
  // The same model on both sides: no finding.
  assert.ok(!mergeReports([a, b]).findings.some((f) => f.id === 'mixed-memory-models'));
});
