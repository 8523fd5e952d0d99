/**
 * Small append-only files written by real servers, for the tests of what rdbscope says about
 * them (test/aof.test.ts). Written to test/data/aof/:
 *
 * - preamble-redis-4.0.14.aof: Redis 4.0 with `appendonly yes`, `aof-use-rdb-preamble yes`:
 *   after BGREWRITEAOF the file is an RDB (the preamble), then every later write is appended
 *   as RESP commands. The same layout Redis 5 and 6 write to appendonly.aof.
 * - appendonly-7.0.aof.manifest, appendonly-7.0.incr.aof, appendonly-7.0.base.rdb: Redis 7.0
 *   (Debian's /usr/bin/redis-server) with `appendonly yes`: a multi-part AOF in appendonlydir/,
 *   a manifest naming a base file (an RDB with `aof-use-rdb-preamble yes`, the default) and an
 *   incremental file of RESP commands.
 * - plain-7.0.base.aof: the same with `aof-use-rdb-preamble no`: the base file is RESP too.
 *
 *   node --import tsx scripts/make-aof-fixtures.ts
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, type RedisHandle } from '../test/helpers/redis.ts';
import { serverPath } from './server-caps.ts';

const OUT = path.resolve('test/data/aof');
mkdirSync(OUT, { recursive: true });

async function fill(r: RedisHandle, from: number, n: number): Promise<void> {
  const cmds = [];
  for (let i = from; i < from + n; i++) cmds.push(['SET', `user:${i}`, `value-${i}`]);
  cmds.push(['RPUSH', 'queue:jobs', ...Array.from({ length: n }, (_, i) => `job-${from + i}`)]);
  await r.pipeline(cmds);
}

async function rewritten(r: RedisHandle): Promise<void> {
  await r.call('BGREWRITEAOF');
  for (let i = 0; i < 200; i++) {
    const p = await r.info('persistence');
    if (p.aof_rewrite_in_progress === '0' && p.aof_rewrite_scheduled === '0') return;
    await sleep(50);
  }
  throw new Error('BGREWRITEAOF did not finish');
}

// Redis 4.0: one appendonly.aof, RDB preamble + RESP tail.
{
  const r = await startRedis(['--appendonly', 'yes', '--aof-use-rdb-preamble', 'yes', '--appendfsync', 'always'], { server: serverPath('redis-4.0.14') });
  try {
    await fill(r, 0, 20);
    await rewritten(r);
    await fill(r, 20, 5); // appended as commands after the preamble
    await sleep(200);
    const aof = path.join(r.dir, 'appendonly.aof');
    if (!readFileSync(aof).subarray(0, 5).equals(Buffer.from('REDIS'))) throw new Error('no RDB preamble');
    copyFileSync(aof, path.join(OUT, 'preamble-redis-4.0.14.aof'));
  } finally {
    await r.stop();
  }
}

// Redis 7.0: appendonlydir/ with a manifest, a base file and an incremental file.
for (const preamble of ['yes', 'no']) {
  const r = await startRedis(['--appendonly', 'yes', '--aof-use-rdb-preamble', preamble, '--appendfsync', 'always'], { server: '/usr/bin/redis-server' });
  try {
    await fill(r, 0, 20);
    await rewritten(r);
    await fill(r, 20, 5);
    await sleep(200);
    const dir = path.join(r.dir, 'appendonlydir');
    const files = readdirSync(dir);
    const pick = (suffix: string) => {
      const f = files.find((x) => x.endsWith(suffix));
      if (!f) throw new Error(`no *${suffix} in ${files.join(', ')}`);
      return path.join(dir, f);
    };
    if (preamble === 'yes') {
      copyFileSync(pick('.manifest'), path.join(OUT, 'appendonly-7.0.aof.manifest'));
      copyFileSync(pick('.incr.aof'), path.join(OUT, 'appendonly-7.0.incr.aof'));
      copyFileSync(pick('.base.rdb'), path.join(OUT, 'appendonly-7.0.base.rdb'));
    } else {
      copyFileSync(pick('.base.aof'), path.join(OUT, 'plain-7.0.base.aof'));
    }
  } finally {
    await r.stop();
  }
}
console.log(readdirSync(OUT).join('\n'));
