/**
 * What each key really costs a server that loaded the dump: the drop of INFO used_memory when
 * that key alone is DELeted (synchronously: lazyfree-lazy-user-del no), one key at a time.
 *
 * Deleting many keys from one server would eventually shrink the keyspace tables and charge
 * the freed buckets to whichever key triggered it, so the server is restarted on the dump
 * before any database has lost 45% of its keys. Client buffers move used_memory on their own
 * (reply buffers are resized by a timer): where INFO reports mem_clients_normal the drop is
 * taken net of its change. The noise left is measured by DELs of a missing key.
 */
import { startRedis, type RedisHandle } from '../test/helpers/redis.ts';

export interface DelDropResult {
  /** Per key (index into `keys`): bytes freed by its DEL. */
  drops: number[];
  /** Drops of a DEL of a missing key, per server start (should all be 0). */
  noise: number[];
  /** Keys whose raw used_memory drop differed from the client-buffer-corrected one. */
  correctedKeys: number;
  restarts: number;
  method: string;
}

interface Mem {
  used: number;
  clients: number;
}

async function mem(r: RedisHandle): Promise<Mem> {
  const m = await r.info('memory');
  return { used: Number(m.used_memory), clients: Number(m.mem_clients_normal ?? 0) };
}

const MISSING = '__rdbscope_del_drop_missing_key__';
const NOISE_ROUNDS = 10;
const MAX_DELETED_SHARE = 0.45;

export async function measureDelDrops(opts: {
  server: string;
  rdb: string;
  args: string[];
  keys: { db: number; key: Buffer }[];
  lazyUserDel: boolean;
}): Promise<DelDropResult> {
  const { keys } = opts;
  const perDb = new Map<number, number>();
  for (const k of keys) perDb.set(k.db, (perDb.get(k.db) ?? 0) + 1);
  const drops: number[] = new Array<number>(keys.length).fill(NaN);
  const noise: number[] = [];
  let correctedKeys = 0;
  let restarts = 0;
  let i = 0;
  while (i < keys.length) {
    const r = await startRedis(opts.args, { server: opts.server, rdb: opts.rdb });
    try {
      if (opts.lazyUserDel) await r.call('CONFIG', 'SET', 'lazyfree-lazy-user-del', 'no');
      // The first commands after start-up allocate server state once (INFO and write paths),
      // and the first timer runs after a load free a little more: wait until missing-key
      // DELs leave used_memory alone for half a second (several timer ticks).
      for (let quiet = 0, n = 0; quiet < 10; n++) {
        if (n > 200) throw new Error('used_memory does not settle after start-up');
        const a = await mem(r);
        await r.call('DEL', MISSING);
        const b = await mem(r);
        quiet = a.used === b.used ? quiet + 1 : 0;
        await new Promise((res) => setTimeout(res, 50));
      }
      for (let n = 0; n < NOISE_ROUNDS; n++) {
        const a = await mem(r);
        if ((await r.call('DEL', MISSING)) !== 0) throw new Error('the missing key exists');
        const b = await mem(r);
        noise.push(a.used - a.clients - (b.used - b.clients));
      }
      const deleted = new Map<number, number>();
      let db = -1;
      for (; i < keys.length; i++) {
        const k = keys[i]!;
        const total = perDb.get(k.db)!;
        const d = deleted.get(k.db) ?? 0;
        // Tables of at most 4 slots never shrink; the 45% rule keeps the rest from shrinking.
        if (total > 4 && d + 1 > MAX_DELETED_SHARE * total) break;
        if (k.db !== db) {
          await r.call('SELECT', k.db);
          db = k.db;
        }
        const a = await mem(r);
        if ((await r.call('DEL', k.key)) !== 1) throw new Error(`DEL ${k.key.toString()} in db ${k.db} deleted nothing`);
        const b = await mem(r);
        const raw = a.used - b.used;
        const net = raw - (a.clients - b.clients);
        if (net !== raw) correctedKeys++;
        drops[i] = net;
        deleted.set(k.db, d + 1);
      }
    } finally {
      await r.stop();
    }
    if (i < keys.length) restarts++;
  }
  return {
    drops,
    noise,
    correctedKeys,
    restarts,
    method:
      `fresh server loading the dump (lazyfree-lazy-user-del no), one DEL at a time between two INFO memory reads; del_drop = used_memory before - after, net of the change of mem_clients_normal where INFO reports it; the server is restarted on the dump before a database loses ${MAX_DELETED_SHARE * 100}% of its keys so the keyspace tables never shrink`,
  };
}

export interface DelDropSummary extends DelDropResult {
  /** Per key, the drop of each run (in run order). */
  runs: number[][];
}

/**
 * Where a freed key lands can depend on the server's random hash seed (Valkey frees an
 * overflow bucket when its last entry goes; Redis 7.2+ no-value dicts allocate an entry only
 * for colliding members), so one load is not enough: `runs` independent loads, and per key
 * the median drop.
 */
export async function measureDelDropsMedian(opts: Parameters<typeof measureDelDrops>[0], runs = 3): Promise<DelDropSummary> {
  const results: DelDropResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await measureDelDrops(opts));
  const perKey = opts.keys.map((_, k) => results.map((r) => r.drops[k] as number));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return {
    drops: perKey.map(median),
    runs: perKey,
    noise: results.flatMap((r) => r.noise),
    correctedKeys: results.reduce((n, r) => n + r.correctedKeys, 0),
    restarts: results.reduce((n, r) => n + r.restarts, 0),
    method: `${results[0]!.method}; ${runs} independent runs (fresh hash seeds), del_drop = the median`,
  };
}
