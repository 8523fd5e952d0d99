/**
 * A stream whose consumer group has 20,000 pending entries, dumped by a real server, with what
 * that server says of it: MEMORY USAGE (which charges each PEL radix node as 30 longs) and the
 * drop of used_memory when the key is DELeted on a fresh load (scripts/del-drop.ts). The
 * truth for KeyRecord.realBytes on a stream whose PEL dominates (issue 15).
 *
 *   node --import tsx scripts/make-pel-fixture.ts <server name or path> <out name>
 *   e.g. redis-8.0.6 stream-pel-redis-8.0.6; /usr/bin/redis-server stream-pel-redis-7.0
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startRedis, serverBinary } from '../test/helpers/redis.ts';
import { serverPath } from './server-caps.ts';
import { measureDelDropsMedian } from './del-drop.ts';

const [name, out] = process.argv.slice(2);
if (!name || !out) throw new Error('usage: make-pel-fixture.ts <server> <out name>');
const server = serverPath(name);
const bin = serverBinary(server);
const KEY = 'pel:stream';
const ENTRIES = 20_000;
const dir = path.resolve('fixtures/release');
const rdb = path.join(dir, `${out}.rdb`);

const r = await startRedis([], { server });
try {
  // Short fields keep the dump small; ids 1-1, 2-1, … give one radix key per entry.
  for (let i = 0; i < ENTRIES; i += 1000) {
    const cmds = [];
    for (let j = i; j < i + 1000; j++) cmds.push(['XADD', KEY, `${j + 1}-1`, 'f', String(j % 10)]);
    await r.pipeline(cmds);
  }
  await r.call('XGROUP', 'CREATE', KEY, 'g', '0');
  await r.call('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', ENTRIES, 'STREAMS', KEY, '>');
  copyFileSync(await r.save(), rdb);
} finally {
  await r.stop();
}

// MEMORY USAGE and used_memory as a server that loaded the file sees them.
const f = await startRedis([], { server, rdb });
let usage: number, used: number, pending: number;
try {
  usage = Number(await f.call('MEMORY', 'USAGE', KEY, 'SAMPLES', '0'));
  pending = Number(((await f.call('XPENDING', KEY, 'g')) as unknown[])[0]);
  used = Number((await f.info('memory')).used_memory);
} finally {
  await f.stop();
}
if (pending !== ENTRIES) throw new Error(`pending ${pending}, expected ${ENTRIES}`);
const del = await measureDelDropsMedian({ server, rdb, args: [], keys: [{ db: 0, key: Buffer.from(KEY) }], lazyUserDel: true });
const truth = {
  server: `${bin.product}-${bin.version}`,
  allocator_profile: name.startsWith('/') ? 'jemalloc16' : 'jemalloc',
  key: KEY,
  entries: ENTRIES,
  pending,
  memory_usage: usage,
  del_drop: del.drops[0],
  del_drop_runs: del.runs[0],
  used_memory_fresh_load: used,
  method: del.method,
};
writeFileSync(path.join(dir, `${out}.truth.json`), JSON.stringify(truth, null, 2) + '\n');
console.log(truth);
