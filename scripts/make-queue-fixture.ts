/**
 * Queues a snapshot should recognise, dumped by a real server, with what that server says of
 * them (issue 15 item 4): zsets whose scores are due times (epoch seconds, epoch
 * milliseconds) under names no job library uses, zsets whose scores are not times (points,
 * and numbers past 2100 as seconds and before 2001 as milliseconds), all skiplists (over 128
 * members) so their scores are read; and a stream with three consumer groups whose pending
 * entries were delivered 3 days, 2 hours and never before the save (XCLAIM … TIME sets a
 * delivery time), their XPENDING counts and oldest delivery times, and the save time.
 *
 *   node --import tsx scripts/make-queue-fixture.ts <server name or path> <out name>
 *   e.g. /usr/bin/redis-server queues-redis-7.0; redis-8.0.6 queues-redis-8.0.6
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startRedis, serverBinary } from '../test/helpers/redis.ts';
import { serverPath } from './server-caps.ts';

const [name, out] = process.argv.slice(2);
if (!name || !out) throw new Error('usage: make-queue-fixture.ts <server> <out name>');
const server = serverPath(name);
const bin = serverBinary(server);
const dir = path.resolve('fixtures/release');
const rdb = path.join(dir, `${out}.rdb`);
const MEMBERS = 300;
const DAY = 86_400_000;
const STREAM = 'orders:events';

/** Zsets: key → score of member i; `schedule` is what a reader should call it. */
const ZSETS: { key: string; score: (i: number) => number; schedule: boolean }[] = [
  { key: 'mailer:reminders', score: (i) => 1_767_225_600 + i * 3600.5, schedule: true }, // seconds, 2026
  { key: 'billing:renewals', score: (i) => 1_767_225_600_000 + i * 60_000, schedule: true }, // milliseconds
  { key: 'game:leaderboard', score: (i) => i * 17, schedule: false }, // points
  { key: 'game:hiscores', score: (i) => 5_000_000_000 + i, schedule: false }, // 2128 as seconds, 1970 as ms
];

const r = await startRedis([], { server });
let groups: { name: string; pending: number; oldest_delivery_ms: number | null }[];
let savedAtS: number;
try {
  for (const z of ZSETS) {
    const args: string[] = [];
    for (let i = 0; i < MEMBERS; i++) args.push(String(z.score(i)), `m${i}`);
    await r.call('ZADD', z.key, ...args);
  }
  const cmds = [];
  for (let i = 1; i <= 1000; i++) cmds.push(['XADD', STREAM, `${i}-1`, 'order', String(i)]);
  await r.pipeline(cmds);
  for (const g of ['billing', 'shipping', 'audit']) await r.call('XGROUP', 'CREATE', STREAM, g, '0');
  // billing: 500 delivered, the first 100 of them three days ago; shipping: 20, two hours
  // ago; audit: everything read and acknowledged.
  await r.call('XREADGROUP', 'GROUP', 'billing', 'worker-1', 'COUNT', '500', 'STREAMS', STREAM, '>');
  await r.call('XREADGROUP', 'GROUP', 'shipping', 'worker-2', 'COUNT', '20', 'STREAMS', STREAM, '>');
  await r.call('XREADGROUP', 'GROUP', 'audit', 'worker-3', 'COUNT', '1000', 'STREAMS', STREAM, '>');
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}-1`);
  await r.call('XACK', STREAM, 'audit', ...ids(1000));
  const now = Date.now();
  await r.call('XCLAIM', STREAM, 'billing', 'worker-1', '0', ...ids(100), 'TIME', String(now - 3 * DAY), 'JUSTID');
  await r.call('XCLAIM', STREAM, 'shipping', 'worker-2', '0', ...ids(20), 'TIME', String(now - DAY / 12), 'JUSTID');
  // What the server holds: per group XPENDING's count and the longest idle time.
  groups = [];
  for (const g of ['billing', 'shipping', 'audit']) {
    const summary = (await r.call('XPENDING', STREAM, g)) as unknown[];
    const pending = Number(summary[0]);
    let oldest: number | null = null;
    if (pending > 0) {
      const at = Date.now();
      const rows = (await r.call('XPENDING', STREAM, g, '-', '+', String(pending))) as unknown[][];
      const idle = Math.max(...rows.map((x) => Number(x[2])));
      oldest = at - idle;
    }
    groups.push({ name: g, pending, oldest_delivery_ms: oldest });
  }
  copyFileSync(await r.save(), rdb);
  savedAtS = Number(await r.call('LASTSAVE'));
} finally {
  await r.stop();
}

const truth = {
  server: `${bin.product}-${bin.version}`,
  note: 'oldest_delivery_ms is read back through XPENDING idle times: within a few ms of the delivery time set with XCLAIM TIME',
  saved_at_s: savedAtS,
  zsets: ZSETS.map((z) => ({ key: z.key, members: MEMBERS, min: z.score(0), max: z.score(MEMBERS - 1), schedule: z.schedule })),
  stream: { key: STREAM, length: 1000, groups },
};
writeFileSync(path.join(dir, `${out}.truth.json`), JSON.stringify(truth, null, 2) + '\n');
console.log(JSON.stringify(truth));
