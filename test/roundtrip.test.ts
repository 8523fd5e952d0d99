/**
 * Round trips through a real redis-server (skipped when none is on PATH):
 *
 * 1. Seeded random data of every type across three databases, read back from the live server
 *    (TYPE, OBJECT ENCODING, PEXPIRETIME, lengths, values, stream groups and consumers), then
 *    SAVE, parse the server's own dump and compare every key.
 * 2. Values made by test/helpers/rdb-writer.ts RESTOREd into a server with deep sanitization:
 *    Redis accepts them and answers the same values the parser decodes from the same writer
 *    output (the writer and the parser agree with Redis, not only with each other).
 */
import { Rng as FixtureRng } from '../scripts/make-fixtures.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RdbParser } from '../src/format/parser.ts';
import { bufferSource, fileSource, type ChunkSource } from '../src/input/source.ts';
import { CanonicalCollector, canonicalBytes, type Canonical, type CanonicalValue } from '../src/dump/canonical.ts';
import { Crc64 } from '../src/input/crc64.ts';
import { hasRedis, startRedis, type RedisHandle, type RespArg, type RespValue } from './helpers/redis.ts';
import { buildRdb, rdbValue, valueType, type KeyDesc, type Value } from './helpers/rdb-writer.ts';

const SKIP = hasRedis() ? false : 'redis-server not on PATH';

// ---- seeded random data -------------------------------------------------------------------

/** The fixtures' generator, plus the shapes of random data this test needs. */
class Rng extends FixtureRng {
  chance(p: number): boolean {
    return this.next() < p;
  }
  text(n: number): string {
    const abc = 'abcdefghijklmnopqrstuvwxyz0123456789:_-. ';
    let s = '';
    for (let i = 0; i < n; i++) s += abc[this.range(0, abc.length - 1)];
    return s;
  }
  /** A random element: int-like text, short/long text, unicode or binary. */
  elem(maxLen = 30): Buffer | string {
    switch (this.range(0, 6)) {
      case 0: return String(this.range(-1000, 100000));
      case 1: return String(BigInt(this.range(-(2 ** 30), 2 ** 30)) * 2n ** BigInt(this.range(0, 33)));
      case 2: return this.bytes(this.range(1, maxLen));
      case 3: return `ünï-${this.text(this.range(0, 8))}-✓`;
      default: return this.text(this.range(0, maxLen));
    }
  }
  score(): number {
    switch (this.range(0, 9)) {
      case 0: return Infinity;
      case 1: return -Infinity;
      case 2: return this.range(-100, 100);
      case 3: return (this.next() - 0.5) * 10 ** this.range(-300, 300);
      default: return Math.round((this.next() - 0.5) * 1e6) / 1000;
    }
  }
}

const scoreArg = (v: number) => (v === Infinity ? '+inf' : v === -Infinity ? '-inf' : String(v));

/** Commands that fill one database; returns the keys made. */
function fill(rng: Rng, db: number, now: number): { cmds: RespArg[][]; keys: Buffer[] } {
  const cmds: RespArg[][] = [];
  const keys: Buffer[] = [];
  const seen = new Set<string>();
  /** A new key (binary, unicode or plain), its fill commands, and on some an absolute expiry. */
  const make = (kind: string, build: (k: Buffer) => RespArg[][]) => {
    let k: Buffer;
    do {
      const r = rng.range(0, 9);
      k = r === 0 ? rng.bytes(rng.range(1, 12)) : r === 1 ? Buffer.from(`ключ:${kind}:${rng.range(0, 1e6)}`) : Buffer.from(`db${db}:${kind}:${rng.range(0, 1e6)}`);
    } while (seen.has(k.toString('hex')));
    seen.add(k.toString('hex'));
    keys.push(k);
    cmds.push(...build(k));
    if (rng.chance(0.3)) cmds.push(['PEXPIREAT', k, now + rng.range(86400000, 10 * 365 * 86400000)]);
  };

  if (db === 2) {
    seen.add('');
    keys.push(Buffer.alloc(0));
    cmds.push(['SET', '', 'the empty key']);
  }
  // Strings: ints, near-ints, embstr, raw, 100 KB, binary, empty.
  const strings = [
    () => String(rng.range(-(2 ** 31), 2 ** 31)), () => String(BigInt(rng.range(1, 2 ** 30)) * 2n ** 33n), () => '9223372036854775807',
    () => '9223372036854775808', () => '007', () => '-0', () => '1.5', () => rng.text(rng.range(1, 44)), () => rng.text(rng.range(45, 2000)),
    () => rng.bytes(rng.range(1, 100)), () => '', () => rng.text(20).repeat(5000), () => rng.bytes(100 * 1024),
  ];
  for (const s of strings) make('str', (k) => [['SET', k, s()]]);
  for (let i = 0; i < 40; i++) make('str', (k) => [['SET', k, rng.elem(60)]]);
  // Lists: small, over 8 KiB (several nodes, middle ones compressed), with PLAIN nodes.
  for (let i = 0; i < 20; i++) make('list', (k) => [['RPUSH', k, ...Array.from({ length: rng.range(1, 20) }, () => rng.elem())]]);
  make('list', (k) => [['RPUSH', k, ...Array.from({ length: 600 }, () => rng.elem(60))]]);
  make('list', (k) => [['LPUSH', k, ...Array.from({ length: 300 }, (_, j) => `item-${j}-${rng.text(30)}`)]]);
  make('list', (k) => [['RPUSH', k, 'small', rng.text(3000), rng.bytes(500), 'tail']]);
  // Sets: intset (16/32/64-bit), hashtable.
  make('set', (k) => [['SADD', k, ...Array.from({ length: 40 }, () => rng.range(-30000, 30000))]]);
  make('set', (k) => [['SADD', k, ...Array.from({ length: 40 }, () => rng.range(-(2 ** 31), 2 ** 31 - 1))]]);
  make('set', (k) => [['SADD', k, '9223372036854775807', '-9223372036854775808', '9007199254740993', '1']]);
  for (let i = 0; i < 12; i++) make('set', (k) => [['SADD', k, ...Array.from({ length: rng.range(1, 30) }, () => rng.elem())]]);
  make('set', (k) => [['SADD', k, ...Array.from({ length: 700 }, (_, j) => j * 3)]]);
  // Zsets: listpack and skiplist, scores incl. ±inf.
  const zadd = (k: Buffer, n: number, len = 20): RespArg[][] => [['ZADD', k, ...Array.from({ length: n }, () => [scoreArg(rng.score()), rng.elem(len)]).flat()]];
  for (let i = 0; i < 20; i++) make('zset', (k) => zadd(k, rng.range(1, 40)));
  make('zset', (k) => zadd(k, 300));
  make('zset', (k) => [...zadd(k, 5), ['ZADD', k, 1, rng.text(100)]]);
  // Hashes: listpack and hashtable.
  const hset = (k: Buffer, n: number, len = 20): RespArg[][] => [['HSET', k, ...Array.from({ length: n }, (_, j) => [`${j}:${rng.text(rng.range(0, 10))}`, rng.elem(len)]).flat()]];
  for (let i = 0; i < 20; i++) make('hash', (k) => hset(k, rng.range(1, 40)));
  make('hash', (k) => hset(k, 400));
  make('hash', (k) => [['HSET', k, 'f', rng.text(200), rng.bytes(8), rng.bytes(8)]]);
  // Streams: entries, deletions, groups, consumers, pending entries.
  for (let i = 0; i < 5; i++) {
    make('stream', (k) => {
      const out: RespArg[][] = [];
      const n = rng.range(1, 250);
      const fieldsets = [['a', 'b'], ['a', 'b', 'c'], ['x']];
      let ms = 1700000000000 + rng.range(0, 1e6);
      const ids: string[] = [];
      for (let j = 0; j < n; j++) {
        ms += rng.range(0, 2);
        const id = `${ms}-${j}`;
        ids.push(id);
        out.push(['XADD', k, id, ...rng.pick(fieldsets).flatMap((f) => [f, rng.elem(15)])]);
      }
      for (let j = 0; j < n / 5; j++) out.push(['XDEL', k, rng.pick(ids)]);
      for (const g of ['g1', 'group-2']) {
        out.push(['XGROUP', 'CREATE', k, g, '0']);
        out.push(['XREADGROUP', 'GROUP', g, 'alice', 'COUNT', rng.range(1, 20), 'STREAMS', k, '>']);
        out.push(['XREADGROUP', 'GROUP', g, 'bob', 'COUNT', rng.range(0, 5) + 1, 'STREAMS', k, '>']);
      }
      out.push(['XGROUP', 'CREATECONSUMER', k, 'g1', 'idle-carol']);
      out.push(['XACK', k, 'g1', ids[0], ids[1] ?? ids[0]]);
      return out;
    });
  }
  make('stream', (k) => [['XADD', k, '5-1', 'only', 'entry'], ['XDEL', k, '5-1'], ['XGROUP', 'CREATE', k, 'empty-group', '$']]);
  return { cmds, keys };
}

// ---- reading back from the server --------------------------------------------------------

interface KeyState {
  type: string;
  encoding: string;
  expireAtMs: number;
  length: number;
  value: CanonicalValue;
}

const buf = (v: RespValue): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)));
const canon = (v: RespValue): Canonical => {
  const b = buf(v);
  return canonicalBytes(b, 0, b.length);
};
const fieldName = (c: Canonical) => (typeof c === 'string' ? c : `b64:${c.b64}`);
const bytesOf = (c: Canonical) => (typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.b64, 'base64'));
const byBytes = (a: Canonical, b: Canonical) => Buffer.compare(bytesOf(a), bytesOf(b));
const toScore = (v: RespValue): number | string => {
  const s = String(v);
  return s === 'inf' ? 'inf' : s === '-inf' ? '-inf' : Number(s);
};
const pairs = (xs: RespValue[]): [RespValue, RespValue][] => {
  const out: [RespValue, RespValue][] = [];
  for (let i = 0; i + 1 < xs.length; i += 2) out.push([xs[i], xs[i + 1]]);
  return out;
};
const dict = (xs: RespValue): Record<string, RespValue> => Object.fromEntries(pairs(xs as RespValue[]).map(([k, v]) => [String(k), v]));

async function inDb(r: RedisHandle, db: number, cmds: RespArg[][]): Promise<RespValue[]> {
  return (await r.pipeline([['SELECT', db], ...cmds])).slice(1);
}

/** What the live server answers for each key. */
async function serverState(r: RedisHandle, db: number, keys: Buffer[], pexpiretime: boolean): Promise<Map<string, KeyState>> {
  const head = await inDb(r, db, keys.flatMap((k) => [['TYPE', k], ['OBJECT', 'ENCODING', k], pexpiretime ? ['PEXPIRETIME', k] : ['PTTL', k]]));
  const types = keys.map((_, i) => String(head[i * 3]));
  const lenCmd: Record<string, string> = { string: 'STRLEN', list: 'LLEN', set: 'SCARD', zset: 'ZCARD', hash: 'HLEN', stream: 'XLEN' };
  const valueCmd = (t: string, k: Buffer): RespArg[] => {
    switch (t) {
      case 'string': return ['GET', k];
      case 'list': return ['LRANGE', k, 0, -1];
      case 'set': return ['SMEMBERS', k];
      case 'zset': return ['ZRANGE', k, 0, -1, 'WITHSCORES'];
      case 'hash': return ['HGETALL', k];
      default: return ['XRANGE', k, '-', '+'];
    }
  };
  const body = await inDb(r, db, keys.flatMap((k, i) => [[lenCmd[types[i]], k], valueCmd(types[i], k), types[i] === 'stream' ? ['XINFO', 'STREAM', k] : ['ECHO', '']]));
  const out = new Map<string, KeyState>();
  for (const [i, k] of keys.entries()) {
    const type = types[i];
    const raw = body[i * 3 + 1];
    let value: CanonicalValue;
    if (type === 'string') value = canon(raw);
    else if (type === 'list') value = (raw as RespValue[]).map(canon);
    else if (type === 'set') value = (raw as RespValue[]).map(canon).sort(byBytes);
    else if (type === 'zset') value = pairs(raw as RespValue[]).map(([m, s]) => [canon(m), toScore(s)] as [Canonical, number | string]);
    else if (type === 'hash') value = Object.fromEntries(pairs(raw as RespValue[]).map(([f, v]) => [fieldName(canon(f)), canon(v)]));
    else {
      const entries = (raw as RespValue[][]).map(([id, fv]) => [String(id), Object.fromEntries(pairs(fv as RespValue[]).map(([f, v]) => [fieldName(canon(f)), canon(v)]))] as [string, Record<string, Canonical>]);
      const groups = [];
      for (const g of (await inDb(r, db, [['XINFO', 'GROUPS', k]]))[0] as RespValue[]) {
        const gd = dict(g);
        const cs = (await inDb(r, db, [['XINFO', 'CONSUMERS', k, gd.name as Buffer]]))[0] as RespValue[];
        groups.push({
          name: fieldName(canon(gd.name)),
          last_delivered_id: String(gd['last-delivered-id']),
          pending: Number(gd.pending),
          consumers: cs.map(dict).map((c) => ({ name: fieldName(canon(c.name)), pending: Number(c.pending) })),
        });
      }
      value = { entries, last_id: String(dict(body[i * 3 + 2])['last-generated-id']), groups };
    }
    const exp = Number(head[i * 3 + 2]);
    out.set(k.toString('hex'), {
      type,
      encoding: String(head[i * 3 + 1]),
      expireAtMs: pexpiretime ? exp : exp >= 0 ? -2 : -1, // without PEXPIRETIME only "has one" is known
      length: Number(body[i * 3]),
      value,
    });
  }
  return out;
}

/** What the parser makes of a dump, per database and key. */
function parsedState(src: ChunkSource): { keys: Map<string, KeyState & { db: number }>; checksum: string; dbs: Record<string, number> } {
  const c = new CanonicalCollector();
  const keys = new Map<string, KeyState & { db: number }>();
  const info = new RdbParser(src, {
    file: 'dump.rdb',
    values: true,
    visitor: c,
    onKey: (rec) => {
      let { value } = c.take();
      if (rec.type === 'set') value = [...(value as Canonical[])].sort(byBytes);
      if (rec.type === 'stream') {
        for (const g of (value as { groups: { consumers: { name: string }[] }[] }).groups) g.consumers.sort((a, b) => (a.name < b.name ? -1 : 1));
      }
      const hex = Buffer.from(rec.key.subarray(0, rec.keyLength)).toString('hex');
      keys.set(`${rec.db}/${hex}`, { db: rec.db, type: rec.type, encoding: rec.encoding, expireAtMs: rec.expireAtMs, length: rec.length, value });
    },
  }).parse();
  return { keys, checksum: info.checksum, dbs: Object.fromEntries(Object.entries(info.databases).map(([db, d]) => [db, d.keys])) };
}

function sortConsumers(s: KeyState): KeyState {
  if (s.type === 'stream') for (const g of (s.value as { groups: { consumers: { name: string }[] }[] }).groups) g.consumers.sort((a, b) => (a.name < b.name ? -1 : 1));
  return s;
}

/** Compare; returns the number of matching keys and descriptions of the first mismatches. */
function compare(expected: Map<string, KeyState>, parsed: Map<string, KeyState>, hasExpireTimes: boolean): { ok: number; bad: string[] } {
  let ok = 0;
  const bad: string[] = [];
  for (const [id, want] of expected) {
    const got = parsed.get(id);
    if (!got) {
      bad.push(`${id}: not in the dump`);
      continue;
    }
    const g = { ...got, expireAtMs: hasExpireTimes ? got.expireAtMs : got.expireAtMs >= 0 ? -2 : -1 };
    delete (g as { db?: number }).db;
    const enc = want.encoding === 'unknown' && want.type === 'stream' ? 'stream' : want.encoding;
    try {
      assert.deepEqual(g, { ...sortConsumers(want), encoding: enc });
      ok++;
    } catch (e) {
      if (bad.length < 10) bad.push(`${id}: ${(e as Error).message.slice(0, 1500)}`);
    }
  }
  for (const id of parsed.keys()) if (!expected.has(id)) bad.push(`${id}: in the dump only`);
  return { ok, bad };
}

// ---- tests --------------------------------------------------------------------------------

test('round trip: random data of every type, live server answers vs. the parsed dump', { skip: SKIP, timeout: 120_000 }, async () => {
  const r = await startRedis();
  try {
    const version = (await r.info('server')).redis_version;
    const pexpiretime = Number(version.split('.')[0]) >= 7;
    await r.call('CONFIG', 'SET', 'list-compress-depth', '1');
    await r.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1000').catch(() => null); // PLAIN nodes (7.0+)
    const rng = new Rng(0x5eed);
    const now = Date.now();
    const expected = new Map<string, KeyState>();
    for (const db of [0, 1, 2]) {
      const { cmds, keys } = fill(rng, db, now);
      await inDb(r, db, cmds);
      for (const [k, s] of await serverState(r, db, keys, pexpiretime)) expected.set(`${db}/${k}`, s);
    }
    const dump = await r.save();
    const parsed = parsedState(fileSource(dump, 4096));
    assert.equal(parsed.checksum, 'ok');
    const { ok, bad } = compare(expected, parsed.keys, pexpiretime);
    console.log(`roundtrip redis ${version}: ${ok}/${expected.size} keys`);
    assert.deepEqual(bad, []);
    assert.equal(ok, expected.size);
    for (const db of [0, 1, 2]) assert.equal(parsed.dbs[db], Number((await inDb(r, db, [['DBSIZE']]))[0]));
  } finally {
    await r.stop();
  }
});

test('round trip: rdb-writer values RESTORE into redis-server (deep sanitization) and read back as the parser decodes them', { skip: SKIP, timeout: 60_000 }, async () => {
  const big = 2n ** 62n + 3n;
  const values: Value[] = [
    { type: 'string', value: 'plain' }, { type: 'string', value: { int: -7, width: 32 } }, { type: 'string', value: { lzf: 'abc'.repeat(100) } },
    { type: 'list', items: ['a', { lzf: 'b'.repeat(40) }, '12'] }, { type: 'set', items: ['x', 'y', '3'] },
    { type: 'zset', items: [['a', 1.5], ['b', Infinity], ['c', -Infinity]] }, { type: 'zset', text: true, items: [['a', 0.25], ['b', Infinity], ['c', '-3']] },
    { type: 'hash', items: [['f', 'v'], [Buffer.from([0xff, 0]), Buffer.from([1, 2, 0xfe])]] },
    { type: 'zipmap', items: [['f', 'v'], ['g'.repeat(300), 'w']], free: 2 },
    { type: 'ziplist', of: 'list', items: [0, 12, 13, -128, 300, -40000, 8000000, 2147483647, big, 'x'.repeat(300), 'y'.repeat(20000), { int: 5, enc: 64 }] },
    { type: 'ziplist', of: 'zset', items: ['a', 1, 'b', '2.5', 'c', 'inf'] }, { type: 'ziplist', of: 'hash', items: ['a', 1, 'b', 'x'.repeat(100)], lzf: true },
    { type: 'intset', items: [-5, 1, 2] }, { type: 'intset', items: [-70000, 70000] }, { type: 'intset', items: [-(2n ** 63n), 1, 2n ** 63n - 1n] },
    { type: 'listpack', of: 'hash', items: ['a', 1, 'b', 'x'.repeat(5000), 'c', -4096, 'd', 2n ** 40n, 'e', 'y'.repeat(20000), 'f', { int: 9, enc: 64 }] },
    { type: 'listpack', of: 'zset', items: ['a', 1, 'b', 2.5, 'c', Infinity] },
    { type: 'quicklist', nodes: [[1, 2, 'a'], ['b', big]] }, { type: 'quicklist2', nodes: [[1, 2, 'a'], { plain: 'big'.repeat(10) }, ['b', 'c']], lzf: true },
    ...([1, 2] as const).map((version): Value => ({
      type: 'stream', version, nodeEntries: 2,
      entries: [
        { id: '1-1', fields: [['a', '1'], ['b', 'x']] }, { id: '1-2', fields: [['a', '2'], ['b', 'y']], deleted: true },
        { id: '2-0', fields: [['c', 'z']] }, { id: '5-3', fields: [['c', 'z'], ['d', 12345678901234]] }, { id: '6-0', fields: [['c', 'w']] },
      ],
      groups: [
        { name: 'g', lastId: '5-3', entriesRead: 3, pel: [{ id: '1-1', deliveryMs: 5, count: 1 }, { id: '5-3', deliveryMs: 7, count: 2 }], consumers: [{ name: 'c1', seenMs: 1, pel: ['1-1'] }, { name: 'c2', seenMs: 2, pel: ['5-3'] }] },
        { name: 'g2', lastId: '0-0' },
      ],
    })),
  ];
  const r = await startRedis(['--sanitize-dump-payload', 'yes']);
  try {
    const names = values.map((v, i) => Buffer.from(`w${i}:${v.type}`));
    const restores = values.map((v, i): RespArg[] => {
      const body = Buffer.concat([Buffer.from([valueType(v)]), rdbValue(v), Buffer.from([10, 0])]);
      const crc = new Crc64();
      crc.update(body, 0, body.length);
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE(crc.lo, 0);
      trailer.writeUInt32LE(crc.hi, 4);
      return ['RESTORE', names[i], 0, Buffer.concat([body, trailer])];
    });
    const replies = await Promise.all(restores.map((c) => r.call(...c).catch((e: Error) => `${String(c[1])}: ${e.message}`)));
    assert.deepEqual(replies.filter((x) => x !== 'OK'), []);
    const live = await serverState(r, 0, names, true);
    const file = buildRdb({ version: 10, aux: { 'redis-ver': (await r.info('server')).redis_version }, keys: values.map((value, i): KeyDesc => ({ key: names[i], value })) });
    const parsed = parsedState(bufferSource(file));
    // Encodings are the server's choice after loading (it converts old ones): compare everything else.
    const strip = (m: Map<string, KeyState>, prefix = '') => new Map([...m].map(([k, s]) => [prefix + k, { ...s, encoding: '' }]));
    const { ok, bad } = compare(strip(live, '0/'), strip(parsed.keys), true);
    console.log(`rdb-writer → RESTORE: ${ok}/${values.length} keys`);
    assert.deepEqual(bad, []);
  } finally {
    await r.stop();
  }
});
