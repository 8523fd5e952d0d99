/**
 * `rdbscope diff`: unit tests on synthetic reports, then two nightly snapshots from a real
 * redis-server through the CLI (day 2 = day 1 + keys without TTL in one namespace + a longer
 * queue): the diff names exactly those changes, honours --fail-on, and reads report.json too.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aggregator } from '../src/analyze/aggregate.ts';
import { RecordFiller, makeFileInfo, type RecordSpec } from './helpers/record.ts';
import { evaluateBudgets, parseBudgets } from '../src/analyze/budget.ts';
import { diffReports, diffFigures, diffIsEmpty, keyIdentity } from '../src/analyze/diff.ts';
import type { DiffReport } from '../src/analyze/diff-schema.ts';
import { diffToMarkdown, diffToText } from '../src/report/diff.ts';
import { diffToHtml } from '../src/report/html.ts';
import { redactReport } from '../src/analyze/redact.ts';
import type { Report } from '../src/analyze/schema.ts';
import { hasRedis, startRedis, type RespArg } from './helpers/redis.ts';
import { ensureBuilt, runCli, showRun } from './helpers/run-cli.ts';

const CTIME = 1_700_000_000;

function analyse(specs: RecordSpec[], opts = {}, name = 'a.rdb', ctimeS = CTIME): Report {
  const agg = new Aggregator({ nowMs: CTIME * 1000, top: 10, queueThreshold: 100, ...opts });
  const f = new RecordFiller();
  const info = makeFileInfo({ ctimeS });
  agg.beginFile(name, info);
  for (const s of specs) agg.add(f.fill(s));
  agg.addFile(info, name, null);
  return agg.toReport();
}

function day1(): RecordSpec[] {
  const s: RecordSpec[] = [];
  for (let i = 0; i < 50; i++) s.push({ key: `cache:product:${i}`, memoryBytes: 500 + i, expireAtMs: (CTIME + 86400) * 1000 });
  for (let i = 0; i < 20; i++) s.push({ key: `session:${(0x1000000 + i).toString(16)}abcdef12`, memoryBytes: 120, expireAtMs: (CTIME + 3600) * 1000 });
  for (let i = 0; i < 5; i++) s.push({ key: `user:${i}:profile`, type: 'hash', length: 5, memoryBytes: 300, db: 1 });
  s.push({ key: 'jobs:queue', type: 'list', length: 500, memoryBytes: 9000 });
  return s;
}

describe('diffReports', () => {
  test('identical reports: no changes at all', () => {
    const a = analyse(day1());
    const d = diffReports(a, analyse(day1(), {}, 'b.rdb', CTIME + 86400));
    assert.ok(diffIsEmpty(d), diffToText(d));
    assert.deepEqual([d.namespaces, d.databases, d.types, d.queues, d.newBigKeys], [[], [], [], [], []]);
    assert.equal(d.counts.namespacesUnchanged, d.counts.namespaces);
    assert.match(diffToText(d), /No changes\./);
  });

  test('names exactly what changed', () => {
    const a = analyse(day1());
    const more = day1();
    for (let i = 0; i < 30; i++) more.push({ key: `session:${(0x2000000 + i).toString(16)}abcdef12`, memoryBytes: 80 });
    more.find((s) => s.key === 'jobs:queue')!.length = 800;
    more.find((s) => s.key === 'jobs:queue')!.memoryBytes = 15000;
    more.push({ key: 'big:new', memoryBytes: 100000 });
    const b = analyse(more);
    const d = diffReports(a, b, { oldSource: 'day1', newSource: 'day2' });
    assert.deepEqual(
      d.namespaces.map((n) => [n.pattern, n.status, n.keysDelta, n.bytesDelta, n.noTtlKeysDelta, n.noTtlBytesDelta]),
      [
        ['big:new', 'appeared', 1, 100000, 1, 100000],
        ['jobs:queue', 'changed', 0, 6000, 0, 6000],
        ['session:*', 'changed', 30, 2400, 30, 2400],
      ],
    );
    const s = d.namespaces.find((n) => n.pattern === 'session:*')!;
    assert.equal(s.oldKeys, 20);
    assert.equal(s.newKeys, 50);
    assert.equal(s.growth, 1);
    assert.deepEqual(d.databases.map((x) => [x.db, x.keysDelta]), [[0, 31]], 'db 1 did not change');
    assert.deepEqual(d.types.map((t) => [t.type, t.keysDelta, t.bytesDelta]), [['string', 31, 102400], ['list', 0, 6000]]);
    assert.deepEqual(d.queues.map((q) => [q.db, q.key, q.type, q.status, q.oldLength, q.newLength, q.lengthDelta]), [[0, 'jobs:queue', 'list', 'grew', 500, 800, 300]]);
    assert.deepEqual(d.newBigKeys.map((k) => [k.key, k.rank, k.oldBytes]), [['big:new', 1, null]]);
    assert.equal(d.totals.noTtlKeysDelta, 31);
    assert.equal(d.totals.keysDelta, 31);
    assert.equal(d.counts.namespacesAppeared, 1);
    // Budgets.
    const f = diffFigures(d);
    assert.equal(f.noTtlKeysAfter - f.noTtlKeysBefore, 31);
    assert.equal(evaluateBudgets(b, parseBudgets(['no-ttl-growth>30']), f).breaches.length, 1);
    assert.equal(evaluateBudgets(b, parseBudgets(['no-ttl-growth>31']), f).breaches.length, 0);
    assert.equal(evaluateBudgets(b, parseBudgets(['growth>20%']), f).breaches.length, 1);
    // Renderings name the changes.
    const text = diffToText(d);
    for (const w of ['session:*', 'jobs:queue', '500 → 800', 'big:new']) assert.ok(text.includes(w), w);
    assert.ok(!text.includes('cache:product'), 'unchanged namespaces are not listed');
    const md = diffToMarkdown(d);
    assert.match(md, /\| `session:\*` \| changed \|/);
    assert.ok(!md.includes('cache:product'));
  });

  test('a level collapsed on one side is compared collapsed on both', () => {
    const few: RecordSpec[] = [];
    for (let i = 0; i < 4; i++) few.push({ key: `tenant:t${'abcdefgh'[i]}x:data`, memoryBytes: 100 });
    const many = [...few];
    for (let i = 4; i < 8; i++) many.push({ key: `tenant:t${'abcdefgh'[i]}x:data`, memoryBytes: 100 });
    const o = { maxChildren: 5 };
    const d = diffReports(analyse(few, o), analyse(many, o));
    // Day 1 has tenant:tax:data … literally; day 2 collapsed tenant:* — one changed row, not 4 vanished + 1 appeared.
    assert.deepEqual(d.namespaces.map((n) => [n.pattern, n.status, n.oldKeys, n.newKeys]), [['tenant:*:data', 'changed', 4, 8]]);
  });

  test('vanished namespaces, shrinking queues are not growth, mixed redaction matches keys by hash', () => {
    const a = analyse(day1());
    const b = analyse(day1().filter((s) => !String(s.key).startsWith('user:')).map((s) => (s.key === 'jobs:queue' ? { ...s, length: 200, memoryBytes: 4000 } : s)));
    const d = diffReports(a, b);
    assert.deepEqual(d.namespaces.map((n) => [n.pattern, n.status, n.keysDelta]), [['jobs:queue', 'changed', 0], ['user:*:profile', 'vanished', -5]]);
    assert.deepEqual(d.databases.map((x) => [x.db, x.status]), [[0, 'changed'], [1, 'vanished']], 'db 0 shrank with the queue');
    assert.deepEqual(d.queues, []);
    // One side redacted: both are compared redacted, queues matched by their hash.
    const grown = analyse(day1().map((s) => (s.key === 'jobs:queue' ? { ...s, length: 900 } : s)));
    const r = diffReports(redactReport(a), grown);
    assert.equal(r.redacted, true);
    assert.equal(r.queues.length, 1);
    assert.match(r.queues[0].key, /^jobs:queue#[0-9a-f]{8}$/);
    assert.equal(r.queues[0].oldLength, 500);
    assert.equal(keyIdentity(r.queues[0], true), keyIdentity(redactReport(grown).queues[0], true));
  });

  test('the HTML page of a diff is self-contained and embeds inert JSON', () => {
    const hostile = day1();
    hostile.push({ key: '</script><script>alert(1)</script>', memoryBytes: 1e6 });
    const d = diffReports(analyse(day1()), analyse(hostile));
    const html = diffToHtml(d);
    assert.ok(!html.includes('<script>alert(1)'), 'no raw markup from key names');
    assert.equal(html.match(/<\/script>/g)?.length, 2, 'only the two script elements close');
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    assert.ok(!/\b(src|href)=["']?(https?:)?\/\//i.test(html), 'no external references');
    const json = /<script type="application\/json" id="rdbscope-data">(.*?)<\/script>/s.exec(html)![1];
    const back = JSON.parse(json) as { kind: string; diff: DiffReport };
    assert.equal(back.kind, 'diff');
    assert.equal(back.diff.newBigKeys[0].key, '</script><script>alert(1)</script>');
  });
});

// ---------------------------------------------------------------------------------------------
// Two nightly snapshots from a real server

const N_NEW = 500;
const Q1 = 11000;
const Q2 = 14000;

describe('diff of two snapshots from redis-server', { skip: !hasRedis() && 'redis-server not on PATH' }, () => {
  let dir = '';
  let d1 = '';
  let d2 = '';

  before(async () => {
    const built = ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'rdbscope-diff-'));
    const r = await startRedis();
    try {
      const cmds: RespArg[][] = [];
      for (let i = 0; i < 150; i++) cmds.push(['SET', `cache:product:${i}`, 'p'.repeat(300 + i), 'EX', 86400 * 3]);
      for (let i = 0; i < 40; i++) cmds.push(['SET', `session:${(0x10000000 + i * 7919).toString(16)}${'ab'.repeat(12)}`, 's'.repeat(100), 'EX', 86400]);
      for (let i = 0; i < 30; i++) cmds.push(['HSET', `user:${1000 + i}:profile`, 'name', `user${i}`, 'email', `u${i}@example.com`]);
      cmds.push(['SET', 'config:flags', '{"beta":true}']);
      cmds.push(['ZADD', 'leaderboard:weekly', ...Array.from({ length: 50 }, (_, i) => [i, `player${i}`]).flat()]);
      for (let i = 0; i < Q1; i += 1000) cmds.push(['RPUSH', 'jobs:queue', ...Array.from({ length: 1000 }, (_, j) => `job-${i + j}`)]);
      cmds.push(['SELECT', 2]);
      for (let i = 0; i < 10; i++) cmds.push(['SET', `other:${i}`, 'o'.repeat(40)]);
      cmds.push(['SELECT', 0]);
      await r.pipeline(cmds);
      d1 = join(dir, 'day1.rdb');
      copyFileSync(await r.save(), d1);
      // Day 2: N keys without TTL in session:* (a missing EXPIRE), and the queue grows.
      const more: RespArg[][] = [];
      for (let i = 0; i < N_NEW; i++) more.push(['SET', `session:${(0x20000000 + i * 104729).toString(16)}${'cd'.repeat(12)}`, 'x']);
      for (let i = Q1; i < Q2; i += 1000) more.push(['RPUSH', 'jobs:queue', ...Array.from({ length: 1000 }, (_, j) => `job-${i + j}`)]);
      await r.pipeline(more);
      d2 = join(dir, 'day2.rdb');
      copyFileSync(await r.save(), d2);
    } finally {
      await r.stop();
    }
    await built;
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function assertExactChanges(d: DiffReport): void {
    assert.deepEqual(
      d.namespaces.map((n) => [n.pattern, n.status, n.keysDelta, n.noTtlKeysDelta]).sort(),
      [
        ['jobs:queue', 'changed', 0, 0],
        ['session:*', 'changed', N_NEW, N_NEW],
      ],
      'exactly the namespace with the new keys and the queue’s namespace',
    );
    const q = d.namespaces.find((n) => n.pattern === 'jobs:queue')!;
    assert.ok(q.bytesDelta > 0, 'the queue grew in bytes');
    const s = d.namespaces.find((n) => n.pattern === 'session:*')!;
    assert.equal(s.oldKeys, 40);
    assert.equal(s.newKeys, 40 + N_NEW);
    assert.equal(s.oldNoTtlKeys, 0);
    assert.ok(s.noTtlBytesDelta > 0);
    // Redacted: `jobs:queue#<hash>` (the pattern of a key without identifiers is the key).
    assert.deepEqual(d.queues.map((x) => [x.db, d.redacted ? x.key.replace(/#[0-9a-f]{8}$/, '') : x.key, x.type, x.status, x.oldLength, x.newLength]), [[0, 'jobs:queue', 'list', 'grew', Q1, Q2]]);
    assert.deepEqual(d.databases.map((x) => [x.db, x.keysDelta, x.noTtlKeysDelta]), [[0, N_NEW, N_NEW]], 'db 2 unchanged');
    assert.deepEqual(d.types.map((t) => [t.type, t.keysDelta]).sort(), [['list', 0], ['string', N_NEW]]);
    assert.deepEqual(d.newBigKeys, [], 'the new keys are small: none enters the big-key list');
    assert.equal(d.totals.keysDelta, N_NEW);
    assert.equal(d.totals.noTtlKeysDelta, N_NEW);
    assert.equal(d.totals.ttlKeysDelta, 0);
    assert.equal(d.counts.namespacesChanged, 2);
  }

  test('--json on the two .rdb files names exactly those changes', async () => {
    const r = await runCli(['-q', 'diff', d1, d2, '--json']);
    assert.equal(r.code, 0, showRun(r));
    const d = JSON.parse(r.out) as DiffReport;
    assert.equal(d.schema, 'rdbscope.diff');
    assert.equal(d.old.source, d1);
    assertExactChanges(d);
    for (const n of d.namespaces) for (const k of ['pattern', 'keysDelta', 'bytesDelta', 'noTtlKeysDelta']) assert.ok(k in n, k);
  });

  test('text and Markdown name them too; --fail-on exits 3 only when exceeded', async () => {
    const [text, md, fail, pass, growth] = await Promise.all([
      runCli(['-q', 'diff', d1, d2]),
      runCli(['-q', 'diff', d1, d2, '--md']),
      runCli(['-q', 'diff', d1, d2, '--fail-on', `no-ttl-growth>${N_NEW - 1}`]),
      runCli(['-q', 'diff', d1, d2, '--fail-on', `no-ttl-growth>${N_NEW}`, '--fail-on', 'growth>90%']),
      runCli(['-q', 'diff', d1, d2, '--json', '--fail-on', 'growth>1%']),
    ]);
    assert.equal(text.code, 0, showRun(text));
    assert.match(text.out, /session:\*\s+changed\s+40 → 540\s+\+500/);
    assert.match(text.out, /jobs:queue\s+list\s+grew\s+11,000 → 14,000\s+\+3,000/);
    assert.ok(!/cache:product|user:\*|leaderboard|other:|config:flags/.test(text.out), text.out);
    assert.equal(md.code, 0, showRun(md));
    assert.match(md.out, /\| `session:\*` \| changed \| 40 → 540 \| \+500 \|/);
    assert.ok(!/cache:product|leaderboard/.test(md.out));
    assert.equal(fail.code, 3, showRun(fail));
    assert.match(fail.stderr, /budget exceeded: no-ttl-growth>499: 500 more keys without TTL/);
    assert.equal(pass.code, 0, showRun(pass));
    assert.equal(growth.code, 3, showRun(growth));
    assertExactChanges(JSON.parse(growth.out) as DiffReport); // the output is still written
  });

  test('report.json inputs (and a mix) give the same diff; --html and --redact', async () => {
    const a1 = await runCli(['-q', 'analyze', d1, '--out', join(dir, 'r1'), '--format', 'json']);
    const a2 = await runCli(['-q', 'analyze', d2, '--out', join(dir, 'r2'), '--format', 'json', '--redact']);
    assert.equal(a1.code, 0, showRun(a1));
    assert.equal(a2.code, 0, showRun(a2));
    const j1 = join(dir, 'r1', 'report.json');
    const j2 = join(dir, 'r2', 'report.json');
    const plain = await runCli(['-q', 'diff', j1, d2, '--json']);
    assert.equal(plain.code, 0, showRun(plain));
    assertExactChanges(JSON.parse(plain.out) as DiffReport);

    const html = join(dir, 'diff.html');
    const red = await runCli(['-q', 'diff', d1, j2, '--json', '--html', html]);
    assert.equal(red.code, 0, showRun(red));
    const d = JSON.parse(red.out) as DiffReport;
    assert.equal(d.redacted, true, 'one redacted side makes the diff redacted');
    // Redacted keys still match across the sides, and carry the token report.json has.
    assert.deepEqual(d.queues.map((q) => [q.oldLength, q.newLength]), [[Q1, Q2]]);
    const r2 = JSON.parse(readFileSync(j2, 'utf8')) as Report;
    assert.equal(d.queues[0].key, r2.queues[0].key);
    assert.match(d.queues[0].key, /^jobs:queue#[0-9a-f]{8}$/);
    const page = readFileSync(html, 'utf8');
    assert.ok(!/session:[0-9a-f]{8}/.test(page) && !/session:[0-9a-f]{8}/.test(red.out), 'no session id in a redacted diff');

    const again = await runCli(['-q', 'diff', d1, j2, '--html', html]);
    assert.equal(again.code, 1, 'refuses to overwrite --html without --force');
    assert.match(again.stderr, /refusing to overwrite/);
    const both = await runCli(['-q', 'diff', j1, j2, '--redact', '--json']);
    assert.equal(both.code, 0, showRun(both));
    assertExactChanges(JSON.parse(both.out) as DiffReport);
  });

  test('bad inputs exit 2, conflicting options exit 1', async () => {
    const bogus = join(dir, 'bogus.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bogus, '{"schema":"something else"}');
    const [bad, missing, conflict] = await Promise.all([
      runCli(['-q', 'diff', bogus, d2]),
      runCli(['-q', 'diff', join(dir, 'nope.rdb'), d2]),
      runCli(['-q', 'diff', join(dir, 'r1', 'report.json'), d2, '--max-children', '7']),
    ]);
    assert.equal(bad.code, 2, showRun(bad));
    assert.match(bad.stderr, /not an rdbscope report/);
    assert.equal(missing.code, 2, showRun(missing));
    assert.equal(conflict.code, 1, showRun(conflict));
    assert.match(conflict.stderr, /--max-children/);
  });
});
