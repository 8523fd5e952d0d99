/**
 * The memory model against `MEMORY USAGE key SAMPLES 0` measured after the server reloaded
 * the very dump (`extra.memory_usage_after_reload`): exact for ≥ 95% of keys, within 5% for
 * ≥ 99%, the sum within 1% — per dump, with the figures printed per type/encoding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasRedis, startRedis } from './helpers/redis.ts';
import { scan } from '../src/scan.ts';
import { bufferSource, fileSource } from '../src/input/source.ts';
import { RdbWriter } from './helpers/rdb-writer.ts';
import { corpusDir, dumpsIn, fixturesDir, keyId, parseDump, allocatorOf, releaseDumps } from './helpers/truth.ts';
import { assertTargets, pct, tallyDump, type Tally } from './helpers/tally.ts';

// Analysis skips small packed values it does not need to decode: the estimates must not move.
test('memory model: analysis mode (packed values skipped) estimates exactly what a full decode does', () => {
  const dumps = [...dumpsIn(fixturesDir), ...releaseDumps(), ...(corpusDir() ? dumpsIn(corpusDir()!) : [])];
  for (const dump of dumps) {
    const full = parseDump(dump.rdb, allocatorOf(dump)).keys;
    let n = 0;
    scan(fileSource(dump.rdb), {
      memory: { allocator: allocatorOf(dump) },
      onKey(rec) {
        const f = full.get(keyId(rec.db, rec.key.subarray(0, rec.keyLength)))!;
        assert.equal(rec.memoryBytes, f.rec.memoryBytes, `${dump.name}: ${Buffer.from(rec.key.subarray(0, rec.keyLength))}`);
        assert.equal(rec.length, f.rec.length);
        assert.equal(rec.encoding, f.rec.encoding);
        assert.ok(rec.largestElement === f.rec.largestElement || rec.largestElement === -1, `${dump.name}: ${Buffer.from(rec.key.subarray(0, rec.keyLength))} largest ${rec.largestElement} vs ${f.rec.largestElement}`);
        n++;
      },
    });
    assert.equal(n, full.size);
  }
});

const measuredDumps = (dir: string) => dumpsIn(dir).filter((d) => d.truth.keys.some((k) => typeof k.extra?.memory_usage_after_reload === 'number'));

const corpus = corpusDir();
if (corpus) {
  for (const dump of measuredDumps(corpus)) {
    test(`memory model: ${dump.name}`, () => {
      const all: Tally = { n: 0, exact: 0, within5: 0, truth: 0, model: 0 };
      tallyDump(dump, all);
      assertTargets(all);
    });
  }
} else test('memory model: shared corpus', { skip: 'no ../shared/corpus (set RDBSCOPE_CORPUS to run it)' }, () => {});

// The fixtures' lfu/lru dumps hold 16 keys each, one a skiplist with random levels: the
// targets are asserted over all fixture keys together.
test('memory model: project fixtures (Debian redis-server, jemalloc16)', () => {
  const all: Tally = { n: 0, exact: 0, within5: 0, truth: 0, model: 0 };
  for (const dump of measuredDumps(fixturesDir)) tallyDump(dump, all);
  console.log(`fixtures together: exact ${all.exact}/${all.n} (${pct(all.exact, all.n)}), within 5% ${pct(all.within5, all.n)}, sum ${pct(all.model - all.truth, all.truth)}`);
  assertTargets(all);
});

// used_memory of a server that loaded the file at start-up (nothing else done to it) against
// the instance estimate. (The truth files' info_memory also holds state a file cannot carry:
// client buffers left by the generator, growth across DEBUG RELOAD.)
test('instance used_memory: fixtures loaded by a fresh redis-server', { skip: !hasRedis() && 'redis-server not on PATH' }, async () => {
  for (const dump of dumpsIn(fixturesDir)) {
    const dir = mkdtempSync(join(tmpdir(), 'rdbscope-load-'));
    copyFileSync(dump.rdb, join(dir, 'loaded.rdb'));
    const server = await startRedis(['--dir', dir, '--dbfilename', 'loaded.rdb']);
    try {
      const mem = await server.info('memory');
      const used = Number(mem.used_memory);
      const est = scan(fileSource(dump.rdb), { memory: { allocator: 'jemalloc16' } }).instance!.usedMemory;
      console.log(`${dump.name}: estimated used_memory ${est}, server ${used} (${pct(est - used, used)})`);
      assert.ok(Math.abs(est - used) <= 0.05 * used, `${dump.name}: estimate ${est} vs ${used}`);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('a redis-ver aux field after keys: the file is announced once and every key stays in the instance estimate', () => {
  const w = new RdbWriter({ version: 9 }).aux('redis-bits', '64').selectDb(0);
  w.key('a', { type: 'string', value: 'x'.repeat(100) });
  w.key('b', { type: 'list', items: ['1', '2', '3'] });
  w.aux('redis-ver', '5.0.14');
  w.key('c', { type: 'string', value: 'y'.repeat(50) }, { expireMs: 1_900_000_000_000 });
  let headers = 0;
  let sum = 0;
  const r = scan(bufferSource(w.end()), { onHeader: () => headers++, onKey: (rec) => (sum += rec.memoryBytes) });
  assert.equal(headers, 1);
  assert.equal(r.info.producerVersion, '5.0.14');
  assert.equal(r.modelVersion, 500);
  assert.equal(r.instance!.keysBytes, sum);
});
