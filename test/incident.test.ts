/**
 * Issue 15 on fixtures/incident-7.0 (scripts/make-fixtures.ts, fillIncident): a busy shop as
 * an on-call engineer meets it, written by Debian's redis-server 7.0. The default report must
 * name the namespaces the generator meant, rank the split full-page cache as the top consumer,
 * rank findings by the bytes at stake, call the leaderboard a big collection and the stream's
 * unacknowledged entries a queue, and say in the terminal how many findings it did not print.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir, repoRoot } from './helpers/truth.ts';
import { ensureBuilt } from './helpers/run-cli.ts';
import type { Report } from '../src/analyze/schema.ts';
import { Aggregator } from '../src/analyze/aggregate.ts';
import { mergeReports } from '../src/analyze/merge.ts';
import { NAMESPACE_DEFAULTS } from '../src/analyze/namespace.ts';

const cli = join(repoRoot, 'bin', 'rdbscope.js');
const dump = join(fixturesDir, 'incident-7.0.rdb');

interface TruthKey {
  key: string;
  type: string;
  memory_usage: number;
  expire_at_ms: number | null;
  extra: { stream?: { groups_pel: { name: string; pel: unknown[] }[] } };
}
interface IncidentTruth {
  keys: TruthKey[];
  extra: { meant_namespaces: string[] };
}

const truth = JSON.parse(readFileSync(join(fixturesDir, 'incident-7.0.truth.json'), 'utf8')) as IncidentTruth;
const truthBytes = (pred: (k: TruthKey) => boolean): number => truth.keys.filter(pred).reduce((s, k) => s + k.memory_usage, 0);

function analyze(out: string, extra: string[] = []): { report: Report; stdout: string; md: string } {
  const r = spawnSync(process.execPath, [cli, 'analyze', dump, '--out', out, '--quiet', '--allocator', 'jemalloc16', ...extra], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, `analyze exited ${r.status}: ${r.stderr}`);
  return {
    report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report,
    stdout: r.stdout,
    md: readFileSync(join(out, 'report.md'), 'utf8'),
  };
}

describe('incident-7.0: a report an on-call engineer can act on', { timeout: 120_000 }, () => {
  let work = '';
  let plain: ReturnType<typeof analyze>;
  let pressured: ReturnType<typeof analyze>;

  before(async () => {
    await ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'rdbscope-incident-'));
    plain = analyze(join(work, 'plain'));
    pressured = analyze(join(work, 'pressured'), ['--maxmemory', '16mb', '--policy', 'volatile-lru']);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('the default namespaces are the ones the generator meant', () => {
    const meant = [...truth.extra.meant_namespaces].sort();
    assert.ok(meant.length >= 20, 'the generator recorded its namespaces');
    assert.deepEqual(plain.report.namespaces.map((n) => n.pattern).sort(), meant);
    // 300 attribute codes (`aby_211`) folded on evidence; the store views stayed.
    assert.deepEqual(plain.report.namespaceInfo.foldedIds, ['cache:eav']);
    assert.deepEqual(plain.report.namespaceInfo.collapsed, []);
  });

  test('the library and the CLI share the namespace defaults, so their reports merge', () => {
    const lib = new Aggregator().toReport();
    for (const k of ['separators', 'maxChildren', 'depth', 'maxNodes'] as const) {
      assert.equal(plain.report.options[k], NAMESPACE_DEFAULTS[k], k);
      assert.equal(lib.options[k], NAMESPACE_DEFAULTS[k], k);
    }
    assert.equal(mergeReports([lib, plain.report]).summary.keys, plain.report.summary.keys);
  });

  test('the top-ranked namespace is the biggest rolled-up one, though each of its parts is smaller than sessions', () => {
    const ranking = plain.report.namespaceRanking ?? [];
    const top = ranking[0];
    assert.equal(top.pattern, 'fpc:category:*');
    const fpc = truthBytes((k) => k.key.startsWith('fpc:category:'));
    assert.ok(Math.abs(top.bytes - fpc) / fpc < 0.01, `${top.bytes} vs MEMORY USAGE sum ${fpc}`);
    for (const g of ranking.slice(1)) assert.ok(g.bytes < top.bytes, g.pattern);
    assert.deepEqual(top.parts.map((p) => p.pattern.replace('fpc:category:*:store:', '')).sort(), ['de', 'default', 'en', 'fr']);
    // The trap of the flat list: every store view is smaller than session:*.
    const session = plain.report.namespaces.find((n) => n.pattern === 'session:*');
    assert.ok(session !== undefined);
    for (const p of top.parts) assert.ok(p.bytes < session.bytes, p.pattern);
    assert.ok(plain.report.namespaces[0].pattern !== 'fpc:category:*', 'the flat list alone does not show it');
    // Groups partition the keys like the flat list.
    assert.equal(ranking.reduce((s, g) => s + g.keys, 0), plain.report.summary.keys);
    // cache:eav is one row, its 56 keys without TTL stated once.
    const eav = ranking.find((g) => g.pattern === 'cache:eav:*');
    assert.equal(eav?.keys, 1200);
    assert.equal(eav?.noTtlKeys, truth.keys.filter((k) => k.key.startsWith('cache:eav:') && k.expire_at_ms === null).length);
    assert.equal(eav?.noTtlKeys, 56);
    const mixed = plain.report.findings.find((f) => f.id === 'namespace-mixed-ttl' && f.subject === 'cache:eav:*');
    assert.match(mixed?.message ?? '', /56 of 1,200 keys/);
  });

  test('terminal and report.md show the short ranked list', () => {
    const lines = plain.stdout.split('\n');
    const head = lines.findIndex((l) => l.startsWith('Top namespaces ('));
    assert.ok(head >= 0, plain.stdout);
    assert.match(lines[head + 1], /^ {2}fpc:category:\* /);
    assert.match(plain.stdout, /note: cache:eav: many identifier-like names/);
    assert.match(plain.md, /## Where the memory is/);
    assert.match(plain.md, /\| 1 \| `fpc:category:\*` \|/);
  });

  test('findings are ranked by bytes at stake; report.md lists them all; the terminal says how many more', () => {
    for (const r of [plain.report, pressured.report]) {
      for (let i = 1; i < r.findings.length; i++) {
        assert.ok(r.findings[i - 1].bytes >= r.findings[i].bytes, `${r.findings[i - 1].id} before ${r.findings[i].id}`);
      }
    }
    const f = pressured.report.findings;
    assert.ok(f.length > 5, `${f.length} findings`);
    // Under memory pressure the instance against maxmemory and the policy come first.
    const ids = f.map((x) => x.id);
    assert.equal(ids[0], 'maxmemory-usage');
    assert.ok(ids.indexOf('policy-volatile') < 5, ids.join(', '));
    // Printed: the first five, then the count of the rest.
    for (const x of f.slice(0, 5)) assert.ok(pressured.stdout.includes(`[${x.severity}] ${x.message}`), x.id);
    for (const x of f.slice(5)) assert.ok(!pressured.stdout.includes(x.message), x.id);
    assert.ok(pressured.stdout.includes(`… ${f.length - 5} more ${f.length - 5 === 1 ? 'finding' : 'findings'} in report.md`), pressured.stdout);
    for (const x of f) assert.ok(pressured.md.includes(x.message.slice(0, 40)), `report.md has ${x.id}`);
  });

  test('queues are queues: the leaderboard is a big collection, the stream backlog a queue', () => {
    const r = plain.report;
    const queueKeys = r.queues.map((q) => q.key).sort();
    assert.deepEqual(queueKeys, ['events:orders', 'queue:email:pending']);
    assert.deepEqual(r.bigCollections?.keys.map((k) => k.key), ['leaderboard:global']);
    const board = truth.keys.find((k) => k.key === 'leaderboard:global');
    assert.equal(r.bigCollections?.keys[0].length, 20000);
    assert.equal(board?.type, 'zset');
    const big = r.findings.find((f) => f.id === 'big-collections');
    assert.equal(big?.subject, 'leaderboard:global');
    const queues = r.findings.find((f) => f.id === 'queues');
    assert.ok(queues !== undefined && !queues.message.includes('leaderboard'), queues?.message);
    // The stream's unacknowledged entries are in the queue finding, not a separate line.
    const pel = truth.keys.find((k) => k.key === 'events:orders')?.extra.stream?.groups_pel[0].pel.length ?? 0;
    assert.equal(pel, 2500);
    assert.equal(r.queues.find((q) => q.key === 'events:orders')?.pending, pel);
    // Per group, with the age of its oldest delivery (the fixture's were delivered just before the save).
    const group = truth.keys.find((k) => k.key === 'events:orders')?.extra.stream?.groups_pel[0].name;
    assert.equal(group, 'fulfillment');
    assert.match(queues.message, /`events:orders` \(stream, 12,000 entries; group `fulfillment`: 2,500 pending, oldest delivered \d+ s before the snapshot; /);
    assert.ok(!r.findings.some((f) => f.id === 'stream-pending'));
    // Job-schedule zsets (Sidekiq dead/schedule/retry, Bull delayed) count as queues, under the threshold here.
    const q100 = analyze(join(work, 'q100'), ['--queue-threshold', '100']).report;
    for (const k of ['dead', 'schedule', 'bull:orders:delayed', 'bull:orders:wait']) assert.ok(q100.queues.some((q) => q.key === k), k);
    assert.ok(!q100.queues.some((q) => q.key === 'leaderboard:global'));
    assert.ok(q100.bigCollections?.keys.some((k) => k.key === 'leaderboard:global'));
  });
});
