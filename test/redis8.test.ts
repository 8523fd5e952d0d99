/**
 * Redis 4.0 / 8.0 / 8.6 memory rules (docs/memory-model-redis8.md) beyond the per-server
 * tallies of servers.test.ts: `--redis-version` picks the right rules, and the two radix-tree
 * sizers agree on real stream ids.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileSource } from '../src/input/source.ts';
import { scan } from '../src/scan.ts';
import { versionFromOption } from '../src/format/version.ts';
import { stringEncoding } from '../src/format/encodings.ts';
import { sizeClassFor } from '../src/memory/allocator.ts';
import { NameRax, RaxCounter } from '../src/memory/rax.ts';
import { allocatorOf, keyId, releaseDumps, truthKeyBytes, type Dump } from './helpers/truth.ts';

const dumps = new Map(releaseDumps().map((d) => [d.truth.server, d]));

/** Per-key memory of a dump under a forced server version. */
function memoryAs(dump: Dump, version: string | null): Map<string, number> {
  const out = new Map<string, number>();
  const v = version ? versionFromOption(version) : null;
  scan(fileSource(dump.rdb), {
    memory: { allocator: allocatorOf(dump), version: v },
    onKey(rec) {
      out.set(keyId(rec.db, rec.key.subarray(0, rec.keyLength)), rec.memoryBytes);
    },
  });
  return out;
}

for (const [server, option] of [['redis-8.6.3', '8.6'], ['redis-8.0.6', '8.0'], ['redis-4.0.14', '4.0']] as const) {
  test(`--redis-version ${option} models ${server} as the file's own version does`, { skip: !dumps.has(server) && 'no release fixture' }, () => {
    const dump = dumps.get(server)!;
    const own = memoryAs(dump, null);
    const forced = memoryAs(dump, option);
    assert.deepEqual(forced, own);
    // And the figures are the server's for the non-random keys: strings are always exact.
    let strings = 0;
    for (const k of dump.truth.keys) {
      if (k.type !== 'string' || typeof k.extra?.memory_usage_after_reload !== 'number') continue;
      assert.equal(own.get(keyId(k.db, truthKeyBytes(k))), k.extra.memory_usage_after_reload, `${k.key}`);
      strings++;
    }
    assert.ok(strings > 100);
  });
}

test('8.6 string layout differs from 8.0: the key lives in the object (--redis-version 8.0 on an 8.6 dump)', { skip: !dumps.has('redis-8.6.3') && 'no release fixture' }, () => {
  const dump = dumps.get('redis-8.6.3')!;
  const as80 = memoryAs(dump, '8.0');
  let differ = 0;
  for (const k of dump.truth.keys) {
    if (k.type !== 'string') continue;
    const want = k.extra?.memory_usage_after_reload;
    if (typeof want === 'number' && as80.get(keyId(k.db, truthKeyBytes(k))) !== want) differ++;
  }
  // 8.0 counts a key sds and a dict entry that 8.6 does not have.
  assert.ok(differ > 100, `${differ} strings differ`);
});

test('8.6 embeds a string with its key only while both fit 41 bytes (and the value 44)', () => {
  assert.equal(stringEncoding(806, 0, 30, 11, false), 'embstr');
  assert.equal(stringEncoding(806, 0, 30, 12, true), 'raw');
  assert.equal(stringEncoding(806, 0, 44, 0, false), 'raw');
  assert.equal(stringEncoding(800, 0, 44, 200, true), 'embstr');
  // The fixture: every embstr the server reported satisfies the rule, every short raw breaks
  // it. (Encodings are recorded before the reload: strings a command left raw with spare room,
  // whose size the reload changed, are not what a load makes.)
  const dump = dumps.get('redis-8.6.3');
  if (!dump) return;
  let checked = 0;
  for (const k of dump.truth.keys) {
    if (k.type !== 'string' || (k.encoding !== 'embstr' && k.encoding !== 'raw')) continue;
    if (k.memory_usage !== k.extra?.memory_usage_after_reload) continue;
    const len = typeof k.value === 'string' ? Buffer.byteLength(k.value) : -1;
    if (len < 0) continue;
    const expect = stringEncoding(806, 0, len, truthKeyBytes(k).length, k.expire_at_ms !== null);
    assert.equal(expect, k.encoding, `${k.key}`);
    checked++;
  }
  assert.ok(checked > 100);
});

test('NameRax sizes a tree of stream ids exactly as RaxCounter does', () => {
  const sc = sizeClassFor('jemalloc');
  const ids = new RaxCounter();
  const names = new NameRax(sc);
  const id = new Uint8Array(16);
  const view = new DataView(id.buffer);
  // Ids as a stream makes them: clustered milliseconds, sequences restarting at 0.
  let ms = 1_700_000_000_000;
  for (let i = 0; i < 5000; i++) {
    ms += i % 7 === 0 ? 1 + (i % 1000) * 37 : 0;
    view.setBigUint64(0, BigInt(ms));
    view.setBigUint64(8, BigInt(i % 7));
    ids.add(id, 0);
    names.add(id, 0, 16);
  }
  assert.equal(names.allocSize(), ids.allocSize(sc));
  // Names of any length, some prefixes of others, in ascending byte order.
  const small = new NameRax(sc);
  for (const n of ['c', 'c1', 'c10', 'c2', 'consumer-a', 'consumer-b', 'grp']) small.add(Buffer.from(n), 0, n.length);
  // Counted by hand from the layout rules: root branching on c/g 24; "c" a key branching on
  // 1/2/o 40; "c1" a key with one child 24; leaves "c10", "c2" 16 each; the run "nsumer-" 24;
  // the a/b branch 24 and its two leaves 32; the run "rp" 16 and its leaf 16; the struct 32.
  assert.equal(small.allocSize(), 24 + 40 + 24 + 16 + 16 + 24 + 24 + 32 + 16 + 16 + 32);
});
