/**
 * `rdbscope trend` over nightly snapshots of a real redis-server.
 *
 * The server cannot wait for days, so each night's dump is copied and its save time (the aux
 * field `ctime`, a 32-bit integer Redis writes) rewritten to a day after the previous one, with
 * the CRC-64 trailer recomputed: the files are then exactly what a server saving on those days
 * would have written, keys and all. Files are named in the reverse of their time order, and the
 * first nights are given as report.json (from `analyze`) instead of RDB files, in one directory.
 *
 * Nights: `leak:order:N` gains LEAK_KEYS keys without TTL a night; the list `jobs:mail` gains
 * QUEUE_ELEMS elements; `cache:page:N` (no TTL) jumps once from 200 to 3000 keys on night 4 and
 * stays flat (values rewritten, sizes jittered); sessions with TTL, user hashes and `tmp:N`
 * keys vary at random (seeded); one key is named like markup. The truth for the projection: the
 * test keeps writing nights past the last snapshot, saves on night FUTURE and takes that
 * night's instance estimate as maxmemory, so the instance reaches it FUTURE - LAST days after
 * the last snapshot.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Crc64 } from '../src/input/crc64.ts';
import { buildTrend, fitLine, lastLevelShift, steadyGrowth, TREND_DEFAULTS, type TrendInput } from '../src/analyze/trend.ts';
import { parseTrendBudget } from '../src/analyze/trend-budget.ts';
import type { TrendReport } from '../src/analyze/trend-schema.ts';
import type { Report } from '../src/analyze/schema.ts';
import { formatBytes, formatCount } from '../src/core/units.ts';
import { perDay } from '../src/report/page/trend-view.ts';
import { findExecutable, startRedis, type RespArg } from './helpers/redis.ts';
import { Sfc32 } from './helpers/sfc32.ts';
import { spawnSync } from 'node:child_process';
import { ensureBuilt, repoRoot, runCli, showRun } from './helpers/run-cli.ts';

const REDIS = [findExecutable('redis-server'), '/usr/bin/redis-server', `${process.env.HOME}/.cache/rdbscope-servers/redis-8.0.6/src/redis-server`].find((p): p is string => p !== null && existsSync(p));
import { CHROMIUM, launchChromium, openRecorded } from './helpers/browser.ts';
const HOSTILE = '<img src=x onerror=alert(1)>:x';
const DAY = 86400;
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const NIGHTS = 12;
const LAST = NIGHTS - 1;
const FUTURE = LAST + 10;
const LEAK_KEYS = 300;
const QUEUE_ELEMS = 400;
const JUMP_NIGHT = 4;
const AS_REPORTS = 4; // the first nights are given as report.json

// ---------------------------------------------------------------------------------------------
// Unit: the rules on plain series

describe('trend rules', () => {
  const o = TREND_DEFAULTS;
  test('steady growth: a nightly leak is, a one-off jump then flat is not, noise is not', () => {
    const leak = Array.from({ length: 12 }, (_, i) => 100 + 30 * i);
    assert.equal(steadyGrowth(leak, 1, 11, o).steady, true);
    assert.equal(steadyGrowth(leak, 1, 11, o).grewIn, 10);
    const plateau = Array.from({ length: 12 }, (_, i) => (i < 4 ? 200 : 3000) + (i % 2));
    const p = steadyGrowth(plateau, 1, 11, o);
    assert.equal(p.steady, false, JSON.stringify(p));
    // Growth in 6 of 10 intervals is under the default 7.
    const six = [0, 1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6];
    assert.equal(steadyGrowth(six, 1, 11, o).grewIn, 5);
    assert.equal(steadyGrowth(six, 1, 11, o).steady, false);
    // A jump carrying most of the growth, small rises around it: still not a leak.
    const jumpy = [0, 1, 2, 3, 4, 1000, 1001, 1002, 1003, 1004, 1005, 1006];
    assert.equal(steadyGrowth(jumpy, 1, 11, o).steady, false);
    // Too few intervals: no verdict.
    assert.equal(steadyGrowth([1, 2, 3, 4], 0, 3, o).steady, false);
  });

  test('least squares and the level shift', () => {
    const f = fitLine([0, 1, 2, 3], [10, 12, 14, 16]);
    assert.equal(f.slope, 2);
    assert.equal(f.intercept, 10);
    assert.equal(f.rse, 0);
    assert.equal(lastLevelShift([100, 102, 104, 106, 1000, 1002, 1004, 1006, 1008]), 4);
    assert.equal(lastLevelShift([100, 102, 104, 106, 108, 110]), -1);
  });

  test('budgets: leak, days-to-…, analyze budgets; bad ones are refused', () => {
    assert.deepEqual(parseTrendBudget('leak'), { text: 'leak', kind: 'leak' });
    assert.deepEqual(parseTrendBudget('days-to-maxmemory<14'), { text: 'days-to-maxmemory<14', kind: 'days', line: 'maxmemory', op: '<', limit: 14 });
    assert.equal(parseTrendBudget('no-ttl-bytes>1gb').kind, 'report');
    assert.throws(() => parseTrendBudget('days-to-maxmemory>14'), /days-to-maxmemory<N/);
    assert.throws(() => parseTrendBudget('growth>10%'), /two snapshots/);
  });

  test('snapshots are ordered by save time, not by input order; the same snapshot twice counts once', () => {
    const rep = (keys: number): Report =>
      ({
        options: { separators: ':', maxChildren: 100, depth: 0 },
        summary: { keys, bytes: keys * 10, noTtlKeys: keys, noTtlBytes: keys * 10, producers: [], files: 1, estimatedUsedMemory: keys * 10 + 1000, usedMemAtSave: null },
        namespaceTree: { pattern: '', children: [], keys, bytes: keys * 10, noTtlKeys: keys, noTtlBytes: keys * 10 },
        databases: [],
        types: [],
        queues: [],
        queueStats: { longest: null, mostPending: null },
      }) as unknown as Report;
    const inputs: TrendInput[] = [3, 1, 2, 0, 2].map((d) => ({ source: `n${d}`, report: rep(100 + d), savedAtMs: d * 86_400_000, timeSource: 'ctime' }));
    const { trend, last } = buildTrend(inputs);
    assert.deepEqual(trend.snapshots.map((s) => s.source), ['n0', 'n1', 'n2', 'n3']);
    assert.equal(last.summary.keys, 103);
    assert.equal(trend.warnings.length, 1);
    assert.match(trend.warnings[0], /n2: the same snapshot as n2/);
  });
});

/** A report with top-level namespaces only: pattern → [keys, bytes, no-TTL keys, no-TTL bytes]. */
function synthetic(ns: Record<string, [number, number, number, number]>, extra = 0, queueLength: number | null = null): Report {
  const children = Object.entries(ns).map(([pattern, [keys, bytes, noTtlKeys, noTtlBytes]]) => ({ label: pattern, pattern, collapsed: false, keys, bytes, noTtlKeys, noTtlBytes, ownKeys: keys, children: [] }));
  const sum = (i: number): number => Object.values(ns).reduce((a, v) => a + v[i], 0);
  return {
    options: { separators: ':', maxChildren: 100, depth: 0 },
    summary: { keys: sum(0), bytes: sum(1), noTtlKeys: sum(2), noTtlBytes: sum(3), producers: [], files: 1, estimatedUsedMemory: sum(1) + extra, usedMemAtSave: null },
    namespaceTree: { label: '', pattern: '', collapsed: false, keys: sum(0), bytes: sum(1), noTtlKeys: sum(2), noTtlBytes: sum(3), ownKeys: 0, children },
    databases: [],
    types: [],
    queues: queueLength === null ? [] : [{ db: 0, key: 'jobs:q', keyB64: null, type: 'list', length: queueLength, pending: null, bytes: queueLength * 10 }],
    queueStats: { longest: null, mostPending: null },
  } as unknown as Report;
}

test('a queue listed only once over the threshold: its growth counts from its first listing, not from 0', () => {
  const inputs: TrendInput[] = Array.from({ length: 12 }, (_, d) => {
    const length = 8000 + 400 * d;
    return { source: `d${d}`, savedAtMs: d * 86_400_000, timeSource: 'ctime', report: synthetic({ a: [10, 1000, 0, 0] }, 0, length > 10_000 ? length : null) };
  });
  const { trend } = buildTrend(inputs);
  assert.deepEqual(trend.findings.map((f) => [f.id, f.subject, f.perDay, f.grewIn, f.intervals]), [['queue-growth', 'jobs:q', 400, 5, 5]]);
  assert.equal(trend.queues[0].slopePerDay.length, 400);
});

test('a namespace with TTLs growing 10% a night while the instance grows 1% outgrows it; the big flat one does not', () => {
  const inputs: TrendInput[] = Array.from({ length: 12 }, (_, d) => {
    const small = Math.round(1000 * 1.1 ** d);
    // The instance grows about 1% a night overall: the big namespace absorbs the rest.
    const big = 100_000 + 1000 * d;
    return { source: `d${d}`, savedAtMs: d * 86_400_000, timeSource: 'ctime', report: synthetic({ 'feed:item': [small, small * 100, 0, 0], archive: [1000, big * 100, 0, 0] }) };
  });
  const { trend } = buildTrend(inputs);
  assert.deepEqual(trend.findings.map((f) => [f.id, f.subject]), [['outgrows-instance', 'feed:item']]);
  assert.match(trend.findings[0].message, /feed:item grows by .* a day \(\d+\.\d% of its size a day, the instance \d+\.\d%\)/);
  // A file time instead of a save time is said.
  const mtime = buildTrend(inputs.map((x) => ({ ...x, timeSource: 'file-mtime' as const })));
  assert.equal(mtime.trend.warnings.length, 12);
  assert.match(mtime.trend.warnings[0], /no save time \(aux ctime\) in the file; ordered by the file's modification time/);
});

// ---------------------------------------------------------------------------------------------
// Real server

/** Rewrites the aux `ctime` of a dump to `seconds` and recomputes its CRC-64 trailer. */
function withCtime(dump: Buffer, seconds: number): Buffer {
  const b = Buffer.from(dump);
  const at = b.indexOf(Buffer.from([0xfa, 0x05, ...Buffer.from('ctime')]));
  assert.ok(at > 0, 'aux ctime in the dump');
  assert.equal(b[at + 7], 0xc2, 'ctime saved as a 32-bit integer');
  b.writeInt32LE(seconds, at + 8);
  const crc = new Crc64();
  crc.update(b, 0, b.length - 8);
  b.writeUInt32LE(crc.lo, b.length - 8);
  b.writeUInt32LE(crc.hi, b.length - 4);
  return b;
}

describe('trend over nightly snapshots of redis-server', { skip: REDIS === undefined && 'no redis-server (/usr/bin/redis-server or a release build)' }, () => {
  let dir = '';
  let trend: TrendReport;
  let md = '';
  let text = '';
  let maxmemory = 0;
  let jsonRun: Awaited<ReturnType<typeof runCli>>;
  let quietRun: Awaited<ReturnType<typeof runCli>>;
  let metricsRun: Awaited<ReturnType<typeof runCli>>;
  let leakPattern = '';

  before(async () => {
    const built = ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'rdbscope-trend-'));
    const snaps = join(dir, 'snaps');
    mkdirSync(snaps);
    const rng = new Sfc32(17, 4711, 0x9e3779b9, 12345, 20);
    const rand = (n: number): number => rng.u32() % n;
    const r = await startRedis([], { server: REDIS });
    const analyses: Promise<Awaited<ReturnType<typeof runCli>>>[] = [];
    try {
      await built;
      let leakNext = 0;
      let tmpIds: number[] = [];
      for (let night = 0; night <= FUTURE; night++) {
        const cmds: RespArg[][] = [];
        for (let i = 0; i < LEAK_KEYS; i++) cmds.push(['SET', `leak:order:${100000 + leakNext++}`, 'L'.repeat(400)]);
        cmds.push(['RPUSH', 'jobs:mail', ...Array.from({ length: QUEUE_ELEMS }, (_, j) => `mail-${night}-${j}-${'m'.repeat(120)}`)]);
        // The cache: filled on its jump night; afterwards some of its values are rewritten.
        if (night === 0 || night === JUMP_NIGHT) for (let i = 0; i < (night < JUMP_NIGHT ? 200 : 3000); i++) cmds.push(['SET', `cache:page:${i}`, 'c'.repeat(300)]);
        for (let i = 0; i < 100; i++) cmds.push(['SET', `cache:page:${rand(200)}`, 'c'.repeat(300 + rand(3))]);
        // Noise: sessions with TTL, user hashes rewritten, tmp keys without TTL coming and going.
        cmds.push(['DEL', ...Array.from({ length: 400 }, (_, i) => `session:${i}`)]);
        const sessions = 300 + rand(40);
        for (let i = 0; i < sessions; i++) cmds.push(['SET', `session:${i}`, 's'.repeat(100), 'EX', 3 * DAY]);
        for (let i = 0; i < 200; i++) cmds.push(['HSET', `user:${i}`, 'name', `user${i}`, 'bio', 'b'.repeat(20 + rand(10))]);
        if (tmpIds.length) cmds.push(['DEL', ...tmpIds.map((i) => `tmp:${i}`)]);
        tmpIds = Array.from({ length: 100 + rand(20) }, (_, i) => i);
        for (const i of tmpIds) cmds.push(['SET', `tmp:${i}`, 't'.repeat(50)]);
        cmds.push(['SET', HOSTILE, 'h']);
        await r.pipeline(cmds);
        if (night > LAST && night !== FUTURE) continue;
        const dump = withCtime(readFileSync(await r.save()), T0 + night * DAY);
        // Named against time order: nothing may sort by name.
        const name = `snap-${String(FUTURE - night).padStart(2, '0')}`;
        if (night === FUTURE) {
          const p = join(dir, 'future.rdb');
          writeFileSync(p, dump);
          analyses.push(runCli(['-q', 'analyze', p, '--out', join(dir, 'future'), '--format', 'json', '--queue-threshold', '100']));
        } else if (night < AS_REPORTS) {
          const p = join(dir, `${name}.rdb`);
          writeFileSync(p, dump);
          analyses.push(runCli(['-q', 'analyze', p, '--out', join(snaps, name), '--format', 'json', '--queue-threshold', '100']));
        } else writeFileSync(join(snaps, `${name}.rdb`), dump);
      }
    } finally {
      await r.stop();
    }
    for (const a of await Promise.all(analyses)) assert.equal(a.code, 0, showRun(a));
    const future = JSON.parse(readFileSync(join(dir, 'future', 'report.json'), 'utf8')) as Report;
    maxmemory = future.summary.estimatedUsedMemory!;
    const common = ['-q', 'trend', snaps, '--queue-threshold', '100', '--maxmemory', String(maxmemory)];
    let mdRun: Awaited<ReturnType<typeof runCli>>;
    [jsonRun, quietRun, mdRun, metricsRun] = await Promise.all([
      runCli([...common, '--json', '--out', join(dir, 'trend.json'), '--html', join(dir, 'trend.html'), '--fail-on', 'days-to-maxmemory<14', '--fail-on', 'leak']),
      runCli([...common, '--fail-on', 'days-to-maxmemory<5']),
      runCli([...common, '--md']),
      runCli([...common, '--openmetrics']),
    ]);
    trend = JSON.parse(readFileSync(join(dir, 'trend.json'), 'utf8')) as TrendReport;
    text = quietRun.out;
    md = mdRun.out;
    assert.equal(mdRun.code, 0, showRun(mdRun));
    leakPattern = trend.findings.find((f) => f.id === 'no-ttl-leak')?.subject ?? '';
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('snapshots in save-time order (not name order), from RDB files and report.json alike', () => {
    assert.equal(trend.schema, 'rdbscope.trend');
    assert.equal(trend.snapshots.length, NIGHTS);
    assert.deepEqual(trend.snapshots.map((s) => s.savedAtMs), Array.from({ length: NIGHTS }, (_, i) => (T0 + i * DAY) * 1000));
    assert.ok(trend.snapshots.every((s) => s.timeSource === 'ctime'));
    assert.equal(trend.snapshots.filter((s) => s.source.endsWith('report.json')).length, AS_REPORTS);
    assert.ok(trend.snapshots[0].source.includes(`snap-${FUTURE}`), trend.snapshots[0].source);
    assert.deepEqual(trend.warnings, []);
  });

  test('names exactly the leaking namespace and the growing queue, with their slopes', () => {
    const subjects = trend.findings.map((f) => `${f.id} ${f.subject}`).sort();
    assert.deepEqual(subjects, ['no-ttl-leak leak:order:*', 'queue-growth jobs:mail'], JSON.stringify(trend.findings, null, 1));
    const leak = trend.findings.find((f) => f.id === 'no-ttl-leak')!;
    const ns = trend.namespaces.find((n) => n.pattern === leak.subject)!;
    assert.ok(Math.abs(ns.slopePerDay.noTtlKeys! - LEAK_KEYS) <= 0.05 * LEAK_KEYS, `leak ${ns.slopePerDay.noTtlKeys} keys/day`);
    assert.equal(leak.grewIn, 10);
    assert.equal(leak.snapshots.length, 10);
    const q = trend.findings.find((f) => f.id === 'queue-growth')!;
    assert.equal(q.series, 'length');
    assert.ok(Math.abs(q.perDay - QUEUE_ELEMS) <= 0.05 * QUEUE_ELEMS, `queue ${q.perDay} elements/day`);
    // The plateau is there, jumped, and is not a finding.
    const cache = trend.namespaces.find((n) => n.pattern === 'cache:page:*') ?? trend.namespaces.find((n) => n.pattern === 'cache');
    assert.ok(cache, trend.namespaces.map((n) => n.pattern).join(' '));
    assert.equal(cache.series.noTtlKeys[JUMP_NIGHT - 1], 200);
    assert.equal(cache.series.noTtlKeys[LAST], 3000);
  });

  test('days to maxmemory within one day of the generated truth; --fail-on exits 3', () => {
    const p = trend.projection!;
    assert.equal(p.basis, 'estimatedUsedMemory');
    assert.equal(p.levelShift?.snapshot, JUMP_NIGHT, JSON.stringify(p));
    const truth = FUTURE - LAST;
    assert.ok(p.limit.days !== null && Math.abs(p.limit.days - truth) <= 1, `projected ${p.limit.days} days, truth ${truth}`);
    assert.ok(p.limit.daysLow! <= p.limit.days! && p.limit.days! <= p.limit.daysHigh!);
    assert.ok(p.alert.days! < p.limit.days!);
    assert.equal(jsonRun.code, 3, showRun(jsonRun));
    assert.match(jsonRun.stderr, /budget exceeded: days-to-maxmemory<14: /);
    assert.match(jsonRun.stderr, /budget exceeded: leak: 2 found \[/);
    assert.equal(quietRun.code, 0, showRun(quietRun));
  });

  test('--openmetrics: the newest snapshot\'s metrics plus the trend\'s gauges, equal to the JSON; promtool accepts it', (t) => {
    assert.equal(metricsRun.code, 0, showRun(metricsRun));
    const m = metricsRun.out;
    const value = (re: RegExp): number => Number(re.exec(m)?.[1]);
    const newest = trend.snapshots[LAST];
    assert.equal(value(/^rdbscope_keys (\S+)$/m), newest.keys);
    assert.equal(value(/^rdbscope_key_bytes (\S+)$/m), newest.bytes);
    assert.equal(value(/^rdbscope_trend_snapshots (\S+)$/m), NIGHTS);
    assert.equal(value(/^rdbscope_trend_seconds_to_maxmemory (\S+)$/m), trend.projection!.limit.days! * 86400);
    assert.equal(value(/^rdbscope_trend_seconds_to_alert (\S+)$/m), trend.projection!.alert.days! * 86400);
    assert.equal(value(/^rdbscope_trend_findings (\S+)$/m), 2);
    const leak = trend.findings.find((f) => f.id === 'no-ttl-leak')!;
    assert.equal(value(new RegExp(`^rdbscope_trend_finding_per_day\\{finding="no-ttl-leak",subject="${leak.subject.replace(/[*]/g, '\\*')}",series="${leak.series}"\\} (\\S+)$`, 'm')), leak.perDay);
    assert.ok(m.endsWith('# EOF\n'));
    const r = spawnSync('promtool', ['check', 'metrics'], { input: m, encoding: 'utf8' });
    if (r.error) return t.skip('promtool not installed (Debian package prometheus; .ci/run installs it)');
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  test('text and Markdown name the findings and the projection', () => {
    assert.match(text, /Findings:\n {2}\[warn\] /);
    assert.ok(text.includes(`${leakPattern} gains`), text);
    assert.ok(text.includes('Queue jobs:mail (db 0, list) gains'), text);
    assert.match(text, /maxmemory .*: in \d+(\.\d+)? days \(/);
    assert.ok(md.includes('## Findings') && md.includes('## Fastest growers'), md);
  });

  test('without a save time in the file, the file time orders the snapshots, with a warning', async () => {
    const copies: string[] = [];
    for (let night = 0; night < AS_REPORTS; night++) {
      const src = join(dir, 'snaps', `snap-${String(FUTURE - night).padStart(2, '0')}`, 'report.json');
      const r = JSON.parse(readFileSync(src, 'utf8')) as Report;
      r.summary.savedAtMaxMs = null;
      r.summary.savedAtMinMs = null;
      const p = join(dir, `old-${night}.json`);
      writeFileSync(p, JSON.stringify(r));
      utimesSync(p, T0 + night * DAY, T0 + night * DAY);
      copies.push(p);
    }
    const run = await runCli(['-q', 'trend', ...[...copies].reverse(), '--json']);
    assert.equal(run.code, 0, showRun(run));
    const t = JSON.parse(run.out) as TrendReport;
    assert.deepEqual(t.snapshots.map((x) => [x.source, x.savedAtMs, x.timeSource]), copies.map((c, i) => [c, (T0 + i * DAY) * 1000, 'file-mtime']));
    assert.equal(run.stderr.match(/no save time \(aux ctime\) in the file; ordered by the file's modification time/g)?.length, AS_REPORTS, run.stderr);
    // An analyze budget is checked on the newest snapshot; an INCOMPLETE report is left out.
    const newest = JSON.parse(readFileSync(copies.at(-1)!, 'utf8')) as Report;
    writeFileSync(copies[0], JSON.stringify({ incomplete: 'INCOMPLETE: stopped at offset 1 of 2', ...JSON.parse(readFileSync(copies[0], 'utf8')) }));
    const budget = await runCli(['-q', 'trend', ...copies, '--fail-on', `total-keys>${newest.summary.keys - 1}`, '--json']);
    assert.equal(budget.code, 3, showRun(budget));
    assert.match(budget.stderr, new RegExp(`budget exceeded: total-keys>${newest.summary.keys - 1}: ${formatCount(newest.summary.keys)} keys .*\\(newest snapshot\\)`));
    assert.match(budget.stderr, /old-0\.json: left out of the trend \(an INCOMPLETE report\)/);
    assert.equal((JSON.parse(budget.out) as TrendReport).snapshots.length, AS_REPORTS - 1);
  });

  describe('trend.html in headless Chromium', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} not installed` }, () => {
    test('no console error, no request but the file, figures equal the JSON, the hostile key is text', async () => {
      const { chromium } = await import('playwright-core');
      const ctx = await launchChromium(chromium);
      try {
        const { p, errors, requests, dialogs, url } = await openRecorded(ctx, join(dir, 'trend.html'));

        assert.equal(await p.textContent('#trend-snapshots'), formatCount(trend.snapshots.length));
        const last = trend.instance.series.estimatedUsedMemory[LAST]!;
        assert.equal(await p.textContent('#trend-memory'), formatBytes(last));
        assert.equal(await p.textContent('#trend-memory-note'), perDay(trend.instance.slopePerDay.estimatedUsedMemory, true));
        assert.equal(await p.textContent('#days-limit'), `${trend.projection!.limit.days} days`);
        assert.equal(await p.textContent('#days-alert'), `${trend.projection!.alert.days} days`);
        assert.deepEqual(await p.locator('#findings li').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-subject'))), trend.findings.map((f) => f.subject));
        const growers = await p.locator('#growers tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 2).map((c) => c.textContent)));
        assert.deepEqual(growers, trend.growers.map((g) => [g.pattern, perDay(g.bytesPerDay, true)]));
        // Every chart draws the JSON's series.
        const instance = await p.locator('#instance-chart g.series').getAttribute('data-values');
        assert.deepEqual(JSON.parse(instance!), trend.instance.series.estimatedUsedMemory);
        const charts = await p.locator('#namespaces figure').evaluateAll((fs) => fs.map((f) => ({ pattern: f.getAttribute('data-pattern'), caption: f.querySelector('.pat')?.textContent, bytes: f.querySelector('g.series')?.getAttribute('data-values') })));
        assert.ok(charts.length >= 5, `${charts.length} charts`);
        for (const c of charts) {
          const ns = trend.namespaces.find((n) => n.pattern === c.pattern);
          assert.ok(ns, `chart of ${c.pattern}`);
          assert.deepEqual(JSON.parse(c.bytes!), ns.series.bytes);
          assert.equal(c.caption, ns.pattern);
        }
        assert.ok(charts.some((c) => c.pattern === leakPattern));
        const hostile = charts.find((c) => c.pattern?.startsWith('<img'));
        assert.ok(hostile, 'the hostile namespace is charted');
        assert.equal(hostile.caption, hostile.pattern);
        assert.equal(await p.locator('img').count(), 0);
        const queue = await p.locator('#queues figure[data-key="jobs:mail"] g.series').getAttribute('data-values');
        assert.deepEqual(JSON.parse(queue!), trend.queues.find((q) => q.key === 'jobs:mail')!.series.length);
        mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
        await p.screenshot({ path: join(repoRoot, 'test-artifacts', 'trend.png'), fullPage: true });
        assert.deepEqual(dialogs, []);
        assert.deepEqual(errors, []);
        assert.deepEqual(requests, [url]);
      } finally {
        await ctx.close();
      }
    });
  });
});
