/**
 * Acceptance test of `rdbscope analyze` on an e-shop as the ops playbook describes it:
 * object cache hashes `cache:product:<id>` with TTLs, full-page cache strings
 * `fpc:category:<id>:store:<code>`, sessions `session:<32 hex>` (every fifth without TTL), an
 * abandoned `queue:email:pending` list of 12000 jobs, Sidekiq and Bull queues, an order event
 * stream with pending entries, keys without a namespace; db 0 and db 3.
 *
 * With redis-server on PATH the shop is built live (scripts/make-fixtures.ts `fillShop`, with
 * a seed of its own so the keys differ from the committed fixture), the truth is read from the
 * live server (TYPE, PTTL, LLEN/ZCARD/XLEN, XINFO GROUPS pending, and MEMORY USAGE SAMPLES 0
 * after DEBUG RELOAD, so the layout is what a loader holds) and the very dump the server
 * reloaded is analysed. Without redis-server the same checks run against the committed
 * fixtures/shop-7.0.rdb and its truth file (memory_usage_after_reload).
 *
 * The expected namespace of every key is written out below from how the keys were named,
 * not derived from the tool's collapsing rules.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasRedis, startRedis, type RedisHandle, type RespValue } from './helpers/redis.ts';
import { fixturesDir, repoRoot, truthKeyBytes, type Truth } from './helpers/truth.ts';
import { Filler, Rng, fillShop } from '../scripts/make-fixtures.ts';
import type { Report } from '../src/analyze/schema.ts';
import { ensureBuilt } from './helpers/run-cli.ts';
import Papa from 'papaparse';

const cli = join(repoRoot, 'bin', 'rdbscope.js');
const LIVE = hasRedis();
const SOURCE = LIVE ? 'live redis-server' : 'fixtures/shop-7.0.rdb';
/** A seed of the test's own: the live shop has other session ids, prices, pages than the fixture. */
const LIVE_SEED = 4242;

// ---------------------------------------------------------------------------------------
// dist/ (the CLI runs the compiled code)


// ---------------------------------------------------------------------------------------
// Truth

interface ShopKey {
  db: number;
  key: string;
  type: string;
  /** No TTL (PTTL -1). */
  noTtl: boolean;
  /** MEMORY USAGE key SAMPLES 0 of the loaded dump. */
  bytes: number;
  /** LLEN / ZCARD / XLEN (list, zset, stream), else null. */
  length: number | null;
  /** Streams: the largest pending count among the consumer groups. */
  pending: number | null;
}

function num(v: RespValue): number {
  if (typeof v !== 'number') throw new Error(`expected an integer reply, got ${JSON.stringify(v)}`);
  return v;
}

/** Build the shop on a fresh server, record the truth, return it with a copy of the dump. */
async function liveShop(dir: string): Promise<Shop> {
  const r: RedisHandle = await startRedis();
  try {
    const f = new Filler(r, new Rng(LIVE_SEED));
    await fillShop(f);
    await f.flush();
    assert.equal(num(await r.call('DBSIZE')) > 0, true);

    // DEBUG RELOAD saves the dataset and loads that file back: the dump on disk is exactly
    // what the server now holds, and MEMORY USAGE describes the layout a loader builds.
    assert.equal(await r.call('DEBUG', 'RELOAD'), 'OK');
    const [, dirReply] = (await r.call('CONFIG', 'GET', 'dir')) as Buffer[];
    const [, nameReply] = (await r.call('CONFIG', 'GET', 'dbfilename')) as Buffer[];
    const dump = join(dir, 'shop-live.rdb');
    copyFileSync(join(String(dirReply), String(nameReply)), dump);

    const out: ShopKey[] = [];
    for (const db of [...new Set(f.keys.map((k) => k.db))].sort((a, b) => a - b)) {
      const keys = f.keys.filter((k) => k.db === db);
      await r.call('SELECT', db);
      const base = await r.pipeline(keys.flatMap((k) => [['TYPE', k.key], ['PTTL', k.key], ['MEMORY', 'USAGE', k.key, 'SAMPLES', '0']]));
      const types = keys.map((_, i) => String(base[3 * i]));
      const lenCmd: Record<string, string> = { list: 'LLEN', zset: 'ZCARD', stream: 'XLEN' };
      const lens = await r.pipeline(keys.map((k, i) => (lenCmd[types[i]] ? [lenCmd[types[i]], k.key] : ['PING'])));
      const groups = await r.pipeline(keys.map((k, i) => (types[i] === 'stream' ? ['XINFO', 'GROUPS', k.key] : ['PING'])));
      keys.forEach((k, i) => {
        const pttl = num(base[3 * i + 1]);
        assert.ok(pttl === -1 || pttl > 0, `PTTL of ${k.key}: ${pttl}`);
        let pending: number | null = null;
        if (types[i] === 'stream') {
          pending = 0;
          for (const g of groups[i] as RespValue[][]) {
            for (let j = 0; j < g.length; j += 2) if (String(g[j]) === 'pending') pending = Math.max(pending, num(g[j + 1]));
          }
        }
        out.push({
          db,
          key: k.key.toString('utf8'),
          type: types[i],
          noTtl: pttl === -1,
          bytes: num(base[3 * i + 2]),
          length: lenCmd[types[i]] ? num(lens[i]) : null,
          pending,
        });
      });
    }
    const keyspace = String(await r.call('INFO', 'keyspace'));
    const onServer = [...keyspace.matchAll(/^db\d+:keys=(\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
    assert.equal(out.length, onServer, 'every key on the server was tracked');
    return { keys: out, dump, usedMemory: await freshLoadUsedMemory(dump) };
  } finally {
    await r.stop();
  }
}

/** used_memory of a fresh server that loaded `dump` at start-up, read first thing. */
async function freshLoadUsedMemory(dump: string): Promise<number> {
  const r = await startRedis([], { rdb: dump });
  try {
    return Number((await r.info('memory')).used_memory);
  } finally {
    await r.stop();
  }
}

interface Shop {
  keys: ShopKey[];
  dump: string;
  /** INFO used_memory of a fresh server that loaded the dump; null without a server to ask. */
  usedMemory: number | null;
}

/** The committed fixture's truth in the same shape. */
function fixtureShop(): Shop {
  const truth = JSON.parse(readFileSync(join(fixturesDir, 'shop-7.0.truth.json'), 'utf8')) as Truth;
  const keys = truth.keys.map((k): ShopKey => {
    const stream = (k.extra as { stream?: { groups_pel?: { pel: unknown[] }[] } } | undefined)?.stream;
    const after = k.extra?.memory_usage_after_reload;
    assert.equal(typeof after, 'number', `memory_usage_after_reload of ${k.key}`);
    return {
      db: k.db,
      key: truthKeyBytes(k).toString('utf8'),
      type: k.type,
      noTtl: k.expire_at_ms === null,
      bytes: after as number,
      length: ['list', 'zset', 'stream'].includes(k.type) ? k.length : null,
      pending: k.type === 'stream' ? Math.max(0, ...(stream?.groups_pel ?? []).map((g) => g.pel.length)) : null,
    };
  });
  // The truth's INFO memory is the filling server's (client buffers and all), not a fresh load's.
  return { keys, dump: join(fixturesDir, 'shop-7.0.rdb'), usedMemory: null };
}

// ---------------------------------------------------------------------------------------
// Expected namespaces, written from how fillShop names its keys

/** Keys that are their own namespace (singletons: queues, Sidekiq/Bull bookkeeping, no-namespace keys). */
const LITERAL = new Set([
  'queue:email:pending',
  'queue:default',
  'queues',
  'stat:processed',
  'stat:failed',
  'schedule',
  'retry',
  'bull:mail:wait',
  'bull:mail:active',
  'bull:mail:id',
  'bull:mail:completed',
  'bull:mail:delayed',
  'bull:mail:events',
  'events:orders',
  'leaderboard:bestsellers:week',
  'search:terms:popular',
  'tags:catalog',
  'counter',
  'config',
  'deadbeefcafe', // 12 hex letters without a digit: a word (documented rule 2), its own namespace
  'lock:cron:indexer_reindex_all_invalid',
  'cache:config:store:default',
]);

function expectedPattern(key: string): string {
  let m: RegExpExecArray | null;
  if (/^cache:product:\d+$/.test(key)) return 'cache:product:*';
  if ((m = /^fpc:category:\d+:store:(default|de|fr)$/.exec(key))) return `fpc:category:*:store:${m[1]}`;
  if (/^session:[0-9a-f]{32}$/.test(key)) return 'session:*';
  if (/^bull:mail:\d+$/.test(key)) return 'bull:mail:*';
  if (/^product:\d+:category_ids$/.test(key)) return 'product:*:category_ids';
  if (/^rate:ip:\d+\.\d+\.\d+\.\d+$/.test(key)) return 'rate:ip:*';
  if (key === '12345') return '<number>';
  if (LITERAL.has(key)) return key;
  throw new Error(`the shop has a key this test does not know: ${JSON.stringify(key)} (add its namespace here)`);
}

interface Group {
  keys: number;
  noTtlKeys: number;
  /** Σ MEMORY USAGE (the truth's). */
  bytes: number;
  dbs: Set<number>;
  /** Zsets over 128 members: skiplists, whose size the model estimates (random node levels). */
  skiplists: number;
}

function groupTruth(keys: ShopKey[]): Map<string, Group> {
  const out = new Map<string, Group>();
  for (const k of keys) {
    const p = expectedPattern(k.key);
    let g = out.get(p);
    if (!g) out.set(p, (g = { keys: 0, noTtlKeys: 0, bytes: 0, dbs: new Set(), skiplists: 0 }));
    g.keys++;
    if (k.noTtl) g.noTtlKeys++;
    g.bytes += k.bytes;
    if (k.type === 'zset' && (k.length ?? 0) > 128) g.skiplists++;
    g.dbs.add(k.db);
  }
  return out;
}

/**
 * The shop's zsets that hold no jobs (a ranking and a search index): big collections, not
 * queues. Its job zsets are Sidekiq's schedule/retry and Bull's completed/delayed.
 */
const NOT_QUEUES = new Set(['leaderboard:bestsellers:week', 'search:terms:popular']);

/** `db/key` of the keys a queue threshold must list: list/stream/job zset longer than it, or a stream with more pending. */
function expectedQueues(keys: ShopKey[], threshold: number): string[] {
  return keys
    .filter((k) => !NOT_QUEUES.has(k.key))
    .filter((k) => (k.length !== null && k.length > threshold) || (k.pending !== null && k.pending > threshold))
    .map((k) => `${k.db}/${k.key}`)
    .sort();
}

// ---------------------------------------------------------------------------------------

/** keys.csv rows: `db/key` → real bytes (size_in_bytes) and MEMORY USAGE (memory_usage). */
function keysCsv(out: string): Map<string, { real: number; usage: number }> {
  const rows = Papa.parse<Record<string, string>>(readFileSync(join(out, 'keys.csv'), 'utf8'), { header: true, skipEmptyLines: true }).data;
  return new Map(rows.map((r) => [`${r.database}/${r.key}`, { real: Number(r.size_in_bytes), usage: Number(r.memory_usage) }]));
}

function analyze(dump: string, out: string, extra: string[] = []): Report {
  const r = spawnSync(process.execPath, [cli, 'analyze', dump, '--out', out, '--quiet', '--allocator', 'jemalloc16', ...extra], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `analyze exited ${r.status}: ${r.stderr}`);
  return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
}

describe(`shop acceptance (${SOURCE})`, { timeout: 120_000 }, () => {
  let work = '';
  let shop: ShopKey[] = [];
  let usedMemory: number | null = null;
  let csv = new Map<string, { real: number; usage: number }>();
  let report: Report;
  let report30: Report;

  before(async () => {
    await ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'rdbscope-shop-'));
    const { keys, dump, usedMemory: used } = LIVE ? await liveShop(work) : fixtureShop();
    shop = keys;
    usedMemory = used;
    report = analyze(dump, join(work, 'report'));
    csv = keysCsv(join(work, 'report'));
    report30 = analyze(dump, join(work, 'report-30'), ['--queue-threshold', '30']);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the shop has what the playbook describes', () => {
    const count = (re: RegExp) => shop.filter((k) => re.test(k.key)).length;
    assert.equal(count(/^cache:product:/), 120);
    assert.ok(shop.filter((k) => k.key.startsWith('cache:product:')).every((k) => !k.noTtl && k.type === 'hash'));
    assert.equal(count(/^fpc:category:\d+:store:/), 24);
    const sessions = shop.filter((k) => k.key.startsWith('session:'));
    assert.equal(sessions.length, 80);
    assert.ok(sessions.some((k) => k.noTtl) && sessions.some((k) => !k.noTtl), 'some sessions without TTL');
    const pending = shop.find((k) => k.key === 'queue:email:pending');
    assert.equal(pending?.type, 'list');
    assert.ok((pending?.length ?? 0) > 10000);
    assert.ok(shop.some((k) => k.key === '12345') && shop.some((k) => k.key === 'counter'));
  });

  test('summary: key and no-TTL counts exact; MEMORY USAGE within 2% of the server\'s; real bytes add up to the instance estimate, within 5% of used_memory', () => {
    const s = report.summary;
    assert.equal(s.keys, shop.length);
    assert.equal(s.noTtlKeys, shop.filter((k) => k.noTtl).length);
    assert.equal(s.ttlKeys, shop.filter((k) => !k.noTtl).length);
    const usage = shop.reduce((a, k) => a + k.bytes, 0);
    assert.ok(Math.abs(s.memoryUsageBytes! - usage) <= 0.02 * usage, `MEMORY USAGE sum ${s.memoryUsageBytes}, the server's ${usage}`);
    const m = report.files[0].memoryModel!;
    assert.equal(s.bytes + m.tablesBytes! + m.startupBytes!, s.estimatedUsedMemory, 'Σ real bytes + tables + baseline = the estimate');
    const est = s.estimatedUsedMemory!;
    if (usedMemory === null) console.log('shop: no redis-server to load the dump: the instance estimate is not compared with used_memory');
    else console.log(`shop: Σ real ${s.bytes} + tables ${m.tablesBytes} + baseline ${m.startupBytes} = ${est}; used_memory of a fresh load ${usedMemory}; Σ MEMORY USAGE ${s.memoryUsageBytes} (server ${usage})`);
    if (usedMemory !== null) assert.ok(Math.abs(est - usedMemory) <= 0.05 * usedMemory, `instance estimate ${est}, used_memory of a server that loaded the dump ${usedMemory}`);
  });

  // A skiplist's node levels are random on the live server and estimated from their expected
  // distribution: a namespace of one or two big zsets may land a few percent off (5% as the
  // memory model's per-key target); every other namespace within 2%.
  test('namespaces: per pattern keys and no-TTL keys exact, real bytes = Σ keys.csv, MEMORY USAGE within 2% (5% for skiplist zsets)', () => {
    const want = groupTruth(shop);
    const got = new Map(report.namespaces.map((n) => [n.pattern, n]));
    const real = new Map<string, number>();
    const usage = new Map<string, number>();
    for (const k of shop) {
      const row = csv.get(`${k.db}/${k.key}`);
      assert.ok(row, `keys.csv row of ${k.db}/${k.key}`);
      const p = expectedPattern(k.key);
      real.set(p, (real.get(p) ?? 0) + row.real);
      usage.set(p, (usage.get(p) ?? 0) + row.usage);
    }
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'namespace patterns');
    const problems: string[] = [];
    for (const [pattern, w] of want) {
      const n = got.get(pattern)!;
      if (n.keys !== w.keys) problems.push(`${pattern}: ${n.keys} keys, truth ${w.keys}`);
      if (n.noTtlKeys !== w.noTtlKeys) problems.push(`${pattern}: ${n.noTtlKeys} keys without TTL, truth ${w.noTtlKeys}`);
      if (n.ttlKeys !== w.keys - w.noTtlKeys) problems.push(`${pattern}: ${n.ttlKeys} keys with TTL, truth ${w.keys - w.noTtlKeys}`);
      if (n.bytes !== real.get(pattern)) problems.push(`${pattern}: ${n.bytes} bytes, keys.csv's real bytes ${real.get(pattern)}`);
      const u = usage.get(pattern)!;
      if (Math.abs(u - w.bytes) > (w.skiplists > 0 ? 0.05 : 0.02) * w.bytes) problems.push(`${pattern}: MEMORY USAGE ${u}, the server's ${w.bytes} (${((100 * (u - w.bytes)) / w.bytes).toFixed(2)}%)`);
      if (n.dbs.join() !== [...w.dbs].sort((a, b) => a - b).join()) problems.push(`${pattern}: dbs ${n.dbs.join()}, truth ${[...w.dbs].join()}`);
    }
    assert.deepEqual(problems, []);
    // The flat list partitions the keys.
    assert.equal(report.namespaces.reduce((s, n) => s + n.keys, 0), shop.length);
  });

  test('the no-TTL section names the leaking namespaces', () => {
    const want = [...groupTruth(shop)].filter(([, g]) => g.noTtlKeys > 0).map(([p]) => p).sort();
    assert.deepEqual(report.noTtl.namespaces.map((n) => n.pattern).sort(), want);
    assert.ok(report.findings.some((f) => f.subject === 'session:*'), 'a finding about sessions without TTL');
  });

  test('queues: exactly the lists/zsets/streams over 10000', () => {
    const want = expectedQueues(shop, 10000);
    assert.deepEqual(want, ['0/queue:email:pending']);
    assert.deepEqual(report.queues.map((q) => `${q.db}/${q.key}`).sort(), want);
    assert.equal(report.queueStats.count, want.length);
    assert.equal(report.queueStats.threshold, 10000);
    for (const q of report.queues) assert.equal(q.length, shop.find((k) => k.key === q.key && k.db === q.db)!.length, q.key);
  });

  test('queues with --queue-threshold 30: the Sidekiq/Bull queues over 30 too', () => {
    const want = expectedQueues(shop, 30);
    for (const k of ['0/queue:email:pending', '0/queue:default', '0/bull:mail:wait', '0/bull:mail:completed', '0/bull:mail:events', '0/events:orders']) {
      assert.ok(want.includes(k), `${k} is over 30 in the truth`);
    }
    for (const k of ['0/schedule', '0/retry', '0/bull:mail:active', '0/bull:mail:delayed']) assert.ok(!want.includes(k), `${k} is under 30`);
    assert.deepEqual(report30.queues.map((q) => `${q.db}/${q.key}`).sort(), want);
    assert.equal(report30.queueStats.count, want.length);
    // The 300-member search index is over 30 but holds no jobs: a big collection.
    assert.deepEqual(report30.bigCollections?.keys.map((k) => k.key), ['search:terms:popular']);
    assert.equal(report30.bigCollections?.count, 1);
    const orders = report30.queues.find((q) => q.key === 'events:orders')!;
    assert.equal(orders.pending, shop.find((k) => k.key === 'events:orders')!.pending);
    assert.equal(orders.groups, 2);
  });
});
