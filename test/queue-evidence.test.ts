/**
 * Issue 15 item 4 on dumps of real servers (scripts/make-queue-fixture.ts): a zset is a queue
 * when its scores are due times, even under a name no job library uses, and a big collection
 * when they are not; a stream's pending entries are told per consumer group with the age of
 * the oldest delivery, measured from the snapshot's save time. Truth: what the server said
 * (ZADD scores, XPENDING counts and idle times, LASTSAVE).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileSource } from '../src/input/source.ts';
import { scan } from '../src/scan.ts';
import { scoresAreTimestamps } from '../src/analyze/queue-kind.ts';
import { formatAge } from '../src/analyze/pending-text.ts';
import type { Report } from '../src/analyze/schema.ts';
import { ensureBuilt, runCli, showRun } from './helpers/run-cli.ts';

interface QueueTruth {
  server: string;
  saved_at_s: number;
  zsets: { key: string; members: number; min: number; max: number; schedule: boolean }[];
  stream: { key: string; length: number; groups: { name: string; pending: number; oldest_delivery_ms: number | null }[] };
}

const release = path.join(import.meta.dirname, '..', 'fixtures', 'release');
/** XPENDING idle times are read a few ms after the delivery time was set. */
const DELIVERY_SLACK_MS = 50;
/** Groups as the file stores them: in name order (the server keeps them in a radix tree). */
const byName = <T extends { name: string }>(l: T[]): T[] => [...l].sort((a, b) => (a.name < b.name ? -1 : 1));

test('scoresAreTimestamps: both ends within 2001–2100, in seconds or in milliseconds', () => {
  assert.ok(scoresAreTimestamps(1_767_225_600, 1_768_302_149.5));
  assert.ok(scoresAreTimestamps(1_767_225_600_000, 1_767_243_540_000));
  assert.ok(scoresAreTimestamps(978_307_200, 4_102_444_800));
  assert.ok(!scoresAreTimestamps(978_307_199, 1_767_225_600), 'before 2001');
  assert.ok(!scoresAreTimestamps(1_767_225_600, 4_102_444_801), 'after 2100');
  assert.ok(!scoresAreTimestamps(1_767_225_600, 1_767_225_600_000), 'seconds and milliseconds mixed');
  assert.ok(!scoresAreTimestamps(0, 5083), 'points');
  assert.ok(!scoresAreTimestamps(NaN, NaN), 'unknown');
  assert.equal(formatAge(259_200_000), '3.0 d');
  assert.equal(formatAge(7_200_000), '2.0 h');
  assert.equal(formatAge(90_000), '2 min');
  assert.equal(formatAge(45_000), '45 s');
});

for (const name of ['queues-redis-7.0', 'queues-redis-8.0.6']) {
  const rdb = path.join(release, `${name}.rdb`);
  const load = (): QueueTruth => JSON.parse(readFileSync(path.join(release, `${name}.truth.json`), 'utf8')) as QueueTruth;

  test(`zset score range and stream PELs per group, as the server holds them (${name})`, { skip: !existsSync(rdb) && `${rdb} missing` }, () => {
    const t = load();
    const seen = new Map<string, { min: number; max: number; length: number }>();
    // Assigned in the callback: typed by a cast so that the narrowing to null does not stick.
    let stream = null as { groups: number; maxPending: number; oldest: number; pel: { name: string; pending: number; oldestDeliveryMs: number }[] } | null;
    const { info } = scan(fileSource(rdb), {
      onKey(rec) {
        const key = Buffer.from(rec.key.subarray(0, rec.keyLength)).toString();
        if (rec.type === 'zset') seen.set(key, { min: rec.zsetScoreMin, max: rec.zsetScoreMax, length: rec.length });
        if (rec.type === 'stream') {
          assert.equal(key, t.stream.key);
          stream = { groups: rec.streamGroups, maxPending: rec.streamMaxPending, oldest: rec.streamOldestPendingMs, pel: rec.streamPel!.groups.map((g) => ({ ...g })) };
        }
      },
    });
    assert.equal(Number(info.aux['ctime']), t.saved_at_s);
    assert.equal(seen.size, t.zsets.length);
    for (const z of t.zsets) {
      assert.deepEqual(seen.get(z.key), { min: z.min, max: z.max, length: z.members }, z.key);
      assert.equal(scoresAreTimestamps(z.min, z.max), z.schedule, z.key);
    }
    assert.ok(stream);
    const s = stream;
    assert.equal(s.groups, t.stream.groups.length);
    const want = byName(t.stream.groups);
    assert.deepEqual(s.pel.map((g) => [g.name, g.pending]), want.map((g) => [g.name, g.pending]));
    for (const [i, g] of want.entries()) {
      const got = s.pel[i]!.oldestDeliveryMs;
      if (g.oldest_delivery_ms === null) assert.equal(got, -1, g.name);
      else assert.ok(Math.abs(got - g.oldest_delivery_ms) <= DELIVERY_SLACK_MS, `${g.name}: oldest delivery ${got}, server ${g.oldest_delivery_ms}`);
    }
    assert.equal(s.maxPending, Math.max(...t.stream.groups.map((g) => g.pending)));
    assert.equal(s.oldest, Math.min(...s.pel.filter((g) => g.oldestDeliveryMs >= 0).map((g) => g.oldestDeliveryMs)));
  });

  test(`analyze: due-time zsets are queues, the others big collections; pending told per group with its age (${name})`, { skip: !existsSync(rdb) && `${rdb} missing`, timeout: 60_000 }, async (tc) => {
    await ensureBuilt();
    const t = load();
    const dir = mkdtempSync(path.join(tmpdir(), 'rdbscope-queues-'));
    tc.after(() => rmSync(dir, { recursive: true, force: true }));
    const run = await runCli(['analyze', rdb, '-o', dir, '--queue-threshold', '100']);
    assert.equal(run.code, 0, showRun(run));
    const r = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as Report;
    const schedules = t.zsets.filter((z) => z.schedule).map((z) => z.key);
    assert.deepEqual(r.queues.filter((q) => q.type === 'zset').map((q) => q.key).sort(), [...schedules].sort());
    assert.deepEqual(r.bigCollections!.keys.map((k) => k.key).sort(), t.zsets.filter((z) => !z.schedule).map((z) => z.key).sort());
    for (const q of r.queues.filter((x) => x.type === 'zset')) {
      const z = t.zsets.find((x) => x.key === q.key)!;
      assert.deepEqual([q.scoreMin, q.scoreMax], [z.min, z.max], q.key);
    }
    // The stream: per group, as XPENDING says, ages from the save time.
    const sq = r.queues.find((q) => q.type === 'stream')!;
    assert.equal(sq.key, t.stream.key);
    assert.deepEqual(sq.pendingGroups!.map((g) => [g.name, g.pending, g.oldestDeliveryMs === null]), byName(t.stream.groups).map((g) => [g.name, g.pending, g.oldest_delivery_ms === null]));
    const saved = t.saved_at_s * 1000;
    const ages = t.stream.groups.filter((g) => g.pending > 0).map((g) => `group \`${g.name}\`: ${g.pending} pending, oldest delivered ${formatAge(saved - g.oldest_delivery_ms!)} before the snapshot`);
    assert.deepEqual(ages, ['group `billing`: 500 pending, oldest delivered 3.0 d before the snapshot', 'group `shipping`: 20 pending, oldest delivered 2.0 h before the snapshot']);
    const finding = r.findings.find((f) => f.id === 'queues')!;
    assert.ok(finding.message.includes(ages.join('; ')), finding.message);
    assert.ok(!finding.message.includes('audit'), 'a group with nothing pending is not named');
    assert.ok(run.out.includes(ages[0]!), 'the terminal prints the queue finding with the ages');
    const md = readFileSync(path.join(dir, 'report.md'), 'utf8');
    assert.ok(md.includes(ages.join('; ')), 'report.md lists the groups');
    // The page shows the same phrase (its key and group names as text).
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    for (const g of t.stream.groups) assert.ok(html.includes(`{"name":"${g.name}","pending":${g.pending},"oldestDeliveryMs":`), `report.html carries group ${g.name}`);
  });
}
