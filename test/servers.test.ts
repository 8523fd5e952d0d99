/**
 * The release servers (redis 4.0.14, 8.0.6, 8.6.3, valkey 8.1.1, 9.1.2; bundled jemalloc):
 * their committed matrix dumps (fixtures/release) decoded key by key as the server described
 * them, the memory model against what each server measured, and — when a server binary is
 * built (../shared/servers/build.sh) — a live round trip through that server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { compare } from './helpers/compare.ts';
import { assertTargets, pct, tallyDump, type Tally } from './helpers/tally.ts';
import { allocatorOf, keyId, parseDump, releaseDumps, truthKeyBytes, type Dump } from './helpers/truth.ts';
import { asText, serverBinary, startRedis, type RespArg, type RespValue } from './helpers/redis.ts';
import { probeCaps, serverPath } from '../scripts/server-caps.ts';
import { fileSource } from '../src/input/source.ts';
import { scan } from '../src/scan.ts';

const SERVERS = ['redis-4.0.14', 'redis-8.0.6', 'redis-8.6.3', 'valkey-8.1.1', 'valkey-9.1.2'];
const dumps = releaseDumps();

test('release fixtures: one per server', () => {
  assert.deepEqual(dumps.map((d) => d.truth.server).sort(), [...SERVERS].sort());
});

function conformance(dump: Dump): void {
  test(`release conformance: ${dump.name}`, () => {
    const { info, keys } = parseDump(dump.rdb, allocatorOf(dump));
    assert.equal(info.rdbVersion, dump.truth.rdb_version);
    assert.equal(info.checksum, 'ok');
    assert.equal(info.producerVersion, dump.truth.valkey_version ?? dump.truth.redis_version);
    if (dump.truth.functions) assert.deepEqual([...info.functions].sort(), [...dump.truth.functions].sort());
    for (const [db, ks] of Object.entries(dump.truth.keyspace)) {
      assert.equal(info.databases[db]?.keys, ks.keys, `db ${db} keys`);
      assert.equal(info.databases[db]?.expires, ks.expires, `db ${db} expires`);
    }
    const problems: string[] = [];
    for (const k of dump.truth.keys) {
      const g = keys.get(keyId(k.db, truthKeyBytes(k)));
      const diff = g ? compare(k, g, dump) : ['missing from the parse'];
      if (diff.length) problems.push(`${k.db}/${k.key ?? k.key_b64}: ${diff.join('; ')}`);
    }
    assert.ok(dump.truth.keys.length > 0);
    assert.equal(keys.size, dump.truth.keys.length, 'no keys beyond the truth');
    console.log(`${dump.name}: ${dump.truth.keys.length - problems.length}/${dump.truth.keys.length} keys conform`);
    assert.deepEqual(problems, []);
  });
}

function memory(dump: Dump): void {
  test(`release memory model: ${dump.name}`, () => {
    const all: Tally = { n: 0, exact: 0, within5: 0, truth: 0, model: 0 };
    tallyDump(dump, all);
    assert.ok(all.n > 0, 'keys measured');
    assertTargets(all);
  });
  test(`release instance used_memory: ${dump.name}`, () => {
    const used = dump.truth.extra?.info_memory_fresh_load?.used_memory ?? 0;
    assert.ok(used > 0, 'info_memory_fresh_load recorded');
    const est = scan(fileSource(dump.rdb), { memory: { allocator: allocatorOf(dump) } }).instance!.usedMemory;
    console.log(`${dump.name}: estimated used_memory ${est}, server ${used} (${pct(est - used, used)})`);
    assert.ok(Math.abs(est - used) <= 0.05 * used, `${dump.name}: estimate ${est} vs ${used}`);
  });
  // What a DEL frees per type/encoding: MEMORY USAGE beside the real bytes (test/real-bytes.test.ts holds the targets).
  test(`release del_drop vs model (report only): ${dump.name}`, () => {
    const { keys } = parseDump(dump.rdb, allocatorOf(dump));
    const by = new Map<string, { n: number; drop: number; model: number; real: number; usage: number }>();
    for (const k of dump.truth.keys) {
      const drop = k.extra?.del_drop;
      const g = keys.get(keyId(k.db, truthKeyBytes(k)));
      if (typeof drop !== 'number' || !g) continue;
      const e = `${k.type}/${k.encoding}`;
      const t = by.get(e) ?? { n: 0, drop: 0, model: 0, real: 0, usage: 0 };
      t.n++;
      t.drop += drop;
      t.model += g.rec.memoryBytes;
      t.real += g.rec.realBytes;
      t.usage += k.extra?.memory_usage_after_reload ?? 0;
      by.set(e, t);
    }
    assert.ok(by.size > 0);
    const lines = [...by].sort().map(([e, t]) => `  ${e.padEnd(20)} ${String(t.n).padStart(4)} keys  del_drop ${t.drop}  memory_usage ${t.usage} (${pct(t.usage - t.drop, t.drop)})  model ${t.model} (${pct(t.model - t.drop, t.drop)})  real ${t.real} (${pct(t.real - t.drop, t.drop)})`);
    console.log(`${dump.name}: DEL drop per type/encoding\n${lines.join('\n')}`);
  });
}

for (const d of dumps) {
  conformance(d);
  memory(d);
}

// ---------------------------------------------------------------------------------------
// Live round trip: one key of each type the server has, SAVE, parse with rdbscope.

interface Expect {
  key: string;
  type: string;
  /** Canonical value as rdbscope's dump mode gives it (set: sorted). */
  value?: unknown;
  length: number;
  cmds: RespArg[][];
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function roundTrip(name: string): void {
  const bin = serverPath(name);
  const skip = isExecutable(bin) ? false : `${bin} not built (../shared/servers/build.sh)`;
  test(`live round trip through ${name}`, { skip }, async () => {
    const r = await startRedis([], { server: bin });
    try {
      const caps = await probeCaps(r, serverBinary(bin));
      const expects: Expect[] = [
        { key: 's:embstr', type: 'string', value: 'hello world', length: 11, cmds: [['SET', 's:embstr', 'hello world']] },
        { key: 's:int', type: 'string', value: '123456', length: 6, cmds: [['SET', 's:int', '123456']] },
        { key: 's:raw', type: 'string', value: 'r'.repeat(200), length: 200, cmds: [['SET', 's:raw', 'r'.repeat(200)]] },
        { key: 'l', type: 'list', value: ['a', '1', 'bb'], length: 3, cmds: [['RPUSH', 'l', 'a', '1', 'bb']] },
        { key: 'set:i', type: 'set', value: ['1', '2', '3'], length: 3, cmds: [['SADD', 'set:i', '3', '1', '2']] },
        { key: 'set:s', type: 'set', value: ['x', 'y'], length: 2, cmds: [['SADD', 'set:s', 'x', 'y']] },
        { key: 'z', type: 'zset', value: [['a', 1], ['b', 2.5]], length: 2, cmds: [['ZADD', 'z', '1', 'a', '2.5', 'b']] },
        { key: 'h', type: 'hash', value: { f: 'v', n: '7' }, length: 2, cmds: [['HSET', 'h', 'f', 'v', 'n', '7']] },
      ];
      if (caps.streams) {
        expects.push({ key: 'x', type: 'stream', length: 2, cmds: [['XADD', 'x', '1-1', 'f', 'v'], ['XADD', 'x', '2-0', 'g', 'w'], ['XGROUP', 'CREATE', 'x', 'grp', '0']] });
      }
      if (caps.fieldExpiry) {
        expects.push({ key: 'hfe', type: 'hash', value: { a: '1', b: '2' }, length: 2, cmds: [['HSET', 'hfe', 'a', '1', 'b', '2'], ['HPEXPIREAT', 'hfe', 2051222400000, 'FIELDS', 1, 'a']] });
      }
      if (caps.vectorsets) {
        expects.push({ key: 'vs', type: 'vectorset', length: 2, cmds: [['VADD', 'vs', 'VALUES', 3, '1', '0', '0', 'e1'], ['VADD', 'vs', 'VALUES', 3, '0', '1', '0', 'e2']] });
      }
      for (const e of expects) await r.pipeline(e.cmds);
      const encodings = new Map<string, string>();
      for (const e of expects) encodings.set(e.key, asText((await r.call('OBJECT', 'ENCODING', e.key)) as RespValue)!);
      const file = await r.save();
      const { keys, info } = parseDump(file, 'jemalloc');
      assert.equal(keys.size, expects.length);
      assert.equal(info.checksum === 'ok' || info.checksum === 'absent', true, `checksum ${info.checksum}`);
      for (const e of expects) {
        const g = keys.get(keyId(0, Buffer.from(e.key)));
        assert.ok(g, `${e.key} parsed`);
        if (e.type === 'vectorset') {
          assert.equal(g.rec.type, 'module');
          assert.equal(g.rec.module, 'vectorset');
        } else {
          assert.equal(g.rec.type, e.type, e.key);
          assert.equal(g.rec.encoding, encodings.get(e.key), `${e.key} encoding`);
        }
        assert.equal(g.rec.length, e.length, `${e.key} length`);
        if (e.value !== undefined) {
          const got = e.type === 'set' ? [...(g.value as string[])].sort() : g.value;
          assert.deepEqual(got, e.value, `${e.key} value`);
        }
        if (e.key === 'hfe') assert.deepEqual(g.fieldExpire, { a: 2051222400000 });
      }
    } finally {
      await r.stop();
    }
  });
}

for (const s of SERVERS) roundTrip(s);
