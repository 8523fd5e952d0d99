/**
 * Vector sets (Redis 8 module `vectorset`): the decoded summary and the MEMORY USAGE estimate
 * against dumps written by real servers (fixtures/release/vectorset-redis-*.rdb, regenerated
 * by scripts/make-vectorset-fixture.ts; the matrix-redis-8.* fixtures when present), and the
 * loader's refusals as RdbErrors on small hand-built values.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scan } from '../src/scan.ts';
import { fileSource } from '../src/input/source.ts';
import { QUANT_NAMES } from '../src/format/vectorset.ts';
import { vectorsetValue } from '../src/dump/vectorset.ts';
import { RdbError, type KeyRecord } from '../src/core/types.ts';
import { Aggregator } from '../src/analyze/aggregate.ts';
import { computeFindings } from '../src/analyze/findings.ts';
import { buildRdb, moduleId, type ModuleOp } from './helpers/rdb-writer.ts';

const RELEASE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'release');
const VINFO_QUANT: Record<string, string> = { f32: 'NOQUANT', int8: 'Q8', bin: 'BIN' };

interface Seen {
  rec: Pick<KeyRecord, 'type' | 'module' | 'length' | 'memoryBytes' | 'encoding' | 'largestElement'>;
  value: Record<string, number | string> | null;
}

function scanKeys(file: string | Uint8Array): { keys: Map<string, Seen>; warnings: string[] } {
  const keys = new Map<string, Seen>();
  const res = scan(typeof file === 'string' ? fileSource(file) : file, {
    memory: { allocator: 'jemalloc' },
    onKey(rec) {
      const value = rec.module === 'vectorset' && rec.vectorset ? vectorsetValue(rec.vectorset) : null;
      keys.set(Buffer.from(rec.key.subarray(0, rec.keyLength)).toString('utf8'), {
        rec: { type: rec.type, module: rec.module, length: rec.length, memoryBytes: rec.memoryBytes, encoding: rec.encoding, largestElement: rec.largestElement },
        value,
      });
    },
  });
  return { keys, warnings: res.info.warnings };
}

/**
 * The module's part is exact on both; 8.6's key cost (the kvobj holding the key, modelled in
 * memory-model-redis8.md) is given a rounding's slack so this file tests vector sets only.
 */
const tolerance = (version: string, mu: number) => (version.startsWith('8.0.') ? 0 : Math.max(16, mu * 0.001));

for (const version of ['8.0.6', '8.6.3']) {
  const file = path.join(RELEASE, `vectorset-redis-${version}.rdb`);
  test(`vectorset-redis-${version}: shape from the file, MEMORY USAGE from the module's formula`, { skip: !existsSync(file) }, () => {
    const truth = JSON.parse(readFileSync(file.replace(/\.rdb$/, '.truth.json'), 'utf8')) as {
      keys: { key: string; memory_usage_after_reload: number; vcard: number; vdim: number; vinfo: Record<string, string> }[];
    };
    const { keys, warnings } = scanKeys(file);
    assert.deepEqual(warnings, [], 'decoded vector sets raise no serialized-size warning');
    assert.equal(keys.size, truth.keys.length);
    assert.ok(truth.keys.length >= 9);
    for (const t of truth.keys) {
      const got = keys.get(t.key);
      assert.ok(got, t.key);
      assert.equal(got.rec.type, 'module');
      assert.equal(got.rec.module, 'vectorset');
      assert.equal(got.rec.length, t.vcard, `${t.key}: length`);
      const v = got.value!;
      assert.equal(v.dim, t.vdim, `${t.key}: dim`);
      assert.equal(v.quantization, VINFO_QUANT[t.vinfo['quant-type']], `${t.key}: quantization`);
      assert.equal(v.m, Number(t.vinfo['hnsw-m']), `${t.key}: M`);
      assert.equal(v.projection_input_dim, Number(t.vinfo['projection-input-dim']), `${t.key}: projection`);
      assert.equal(v.attributes, Number(t.vinfo['attributes-count']), `${t.key}: attributes`);
      assert.equal(v.max_level, Number(t.vinfo['max-level']), `${t.key}: max level`);
      if (t.key === 'vs:bin:d32:n100') assert.equal(got.rec.largestElement, 47, 'its 47-byte names');
      const mu = t.memory_usage_after_reload;
      const err = Math.abs(got.rec.memoryBytes - mu);
      assert.ok(err <= tolerance(version, mu), `${t.key}: estimated ${got.rec.memoryBytes}, MEMORY USAGE ${mu}`);
    }
  });
}

for (const version of ['8.0.6', '8.6.3']) {
  const file = path.join(RELEASE, `matrix-redis-${version}.rdb`);
  test(`matrix-redis-${version}: every vector set within a few bytes of MEMORY USAGE`, { skip: !existsSync(file) }, () => {
    const truth = JSON.parse(readFileSync(file.replace(/\.rdb$/, '.truth.json'), 'utf8')) as {
      keys: { key?: string; type: string; length: number; memory_usage: number; extra?: { memory_usage_after_reload?: number } }[];
    };
    const vsets = truth.keys.filter((k) => k.type === 'vectorset');
    assert.ok(vsets.length > 0, 'the matrix holds vector sets');
    const { keys } = scanKeys(file);
    for (const t of vsets) {
      const got = keys.get(t.key!);
      assert.ok(got, t.key);
      assert.equal(got.rec.module, 'vectorset');
      assert.equal(got.rec.length, t.length, `${t.key}: length`);
      const mu = t.extra?.memory_usage_after_reload ?? t.memory_usage;
      assert.ok(Math.abs(got.rec.memoryBytes - mu) <= tolerance(version, mu), `${t.key}: estimated ${got.rec.memoryBytes}, MEMORY USAGE ${mu}`);
    }
  });
}

// ---- hand-built values: the loader's refusals ---------------------------------------------

/** One vectorset value: dim 3 Q8 (M 16), `nodes` nodes at level 0 linked to each other. */
function vsetOps(opts: { quant?: number; vector?: number; params?: (i: number) => ModuleOp[]; nodes?: number; eof?: boolean } = {}): ModuleOp[] {
  const nodes = opts.nodes ?? 2;
  const ops: ModuleOp[] = [{ uint: 3 }, { uint: nodes }, { uint: (opts.quant ?? 1) | (16 << 8) }, { uint: 2 }];
  for (let i = 0; i < nodes; i++) {
    ops.push({ str: `el${i}` }, { str: i % 2 ? '{"a":1}' : '' }, { str: Buffer.alloc(opts.vector ?? 3, 7) });
    // id, level 0 / version 1, 1 link of 32 to the other node, worst link 0, l2 and range (64 bits).
    const params: ModuleOp[] = opts.params?.(i) ?? [{ uint: i + 1 }, { uint: 1 << 24 }, { uint: 1 }, { uint: 32 }, { uint: 2 - i }, { uint: 0x3f80000000000000n }, { uint: 0x3f8000003f800000n }];
    ops.push({ uint: params.length }, ...params);
  }
  return ops;
}

const file = (ops: ModuleOp[]) => buildRdb({ version: 12, keys: [{ key: 'v', value: { type: 'module', id: moduleId('vectorset', 0), ops } }] });

test('hand-built vector set: attributes, 64-bit parameters and the empty-attribute rule', () => {
  const { keys } = scanKeys(file(vsetOps()));
  const v = keys.get('v')!;
  assert.equal(v.rec.length, 2);
  assert.deepEqual(v.value, { dim: 3, quantization: 'Q8', m: 16, projection_input_dim: 0, attributes: 1, max_level: 0, links: 2 });
  assert.ok(v.rec.memoryBytes > 2 * 312, 'two nodes of 312 bytes at least');
  assert.equal(v.rec.largestElement, 7, 'the attribute {"a":1} is longer than the names');
});

test('hand-built vector set: what the loader refuses is an RdbError', () => {
  assert.throws(() => scanKeys(file(vsetOps({ quant: 3 }))), (e) => e instanceof RdbError && /quantization/.test(e.message));
  assert.throws(() => scanKeys(file(vsetOps({ vector: 4 }))), (e) => e instanceof RdbError && /a vector of 3 bytes/.test(e.message));
  // Parameters ending inside the links of level 0.
  assert.throws(() => scanKeys(file(vsetOps({ params: (i) => [{ uint: i + 1 }, { uint: 1 << 24 }, { uint: 5 }, { uint: 32 }, { uint: 2 }] }))), RdbError);
  // More links than slots; a node format newer than the loader knows.
  assert.throws(() => scanKeys(file(vsetOps({ params: (i) => [{ uint: i + 1 }, { uint: 1 << 24 }, { uint: 3 }, { uint: 2 }, { uint: 1 }, { uint: 1 }, { uint: 1 }, { uint: 0 }, { uint: 0 }] }))), /3 links of 2/);
  assert.throws(() => scanKeys(file(vsetOps({ params: (i) => [{ uint: i + 1 }, { uint: 2 << 24 }, { uint: 0 }, { uint: 32 }, { uint: 0 }, { uint: 0 }] }))), /serialization version 2/);
  // The element count promising more nodes than follow.
  const short = vsetOps();
  short[1] = { uint: 3 };
  assert.throws(() => scanKeys(file(short)), RdbError);
  // A 0-level version-0 node (no worst-link word) is accepted.
  const { keys } = scanKeys(file(vsetOps({ params: (i) => [{ uint: i + 1 }, { uint: 0 }, { uint: 1 }, { uint: 32 }, { uint: 2 - i }, { uint: 0 }] })));
  assert.equal(keys.get('v')!.value!.quantization, QUANT_NAMES[1]);
});

test('other modules keep their serialized size and say so', () => {
  const rdb = buildRdb({ version: 12, keys: [{ key: 'm', value: { type: 'module', id: moduleId('ReJSON-RL', 3), ops: [{ uint: 7 }, { str: 'x'.repeat(100) }] } }] });
  const { keys, warnings } = scanKeys(rdb);
  const m = keys.get('m')!;
  assert.equal(m.rec.module, 'ReJSON-RL');
  assert.equal(m.value, null);
  assert.ok(warnings.some((w) => /ReJSON-RL skipped \(their memory is estimated by their size in the file\)/.test(w)), warnings.join('\n'));
});

test('findings name the module values sized by their serialized length, not vector sets', () => {
  const agg = new Aggregator({ nowMs: 1_700_000_000_000 });
  const add = (name: string, src: Uint8Array | string) => {
    const res = scan(typeof src === 'string' ? fileSource(src) : src, { memory: { allocator: 'jemalloc' }, onKey: (rec) => agg.add(rec) });
    agg.addFile(res.info, name);
  };
  const other = buildRdb({ version: 12, keys: [
    { key: 'a', value: { type: 'module', id: moduleId('ReJSON-RL', 3), ops: [{ str: 'x' }] } },
    { key: 'b', value: { type: 'module', id: moduleId('ReJSON-RL', 3), ops: [{ str: 'y' }] } },
  ] });
  add('json.rdb', other);
  const vs = path.join(RELEASE, 'vectorset-redis-8.0.6.rdb');
  if (existsSync(vs)) add('vs.rdb', vs);
  const found = computeFindings(agg.toReport()).filter((f) => f.id === 'module-serialized-size');
  assert.equal(found.length, 1, JSON.stringify(found));
  assert.equal(found[0].subject, 'ReJSON-RL');
  assert.equal(found[0].figure, 2);
  assert.match(found[0].message, /json\.rdb`: 2 values of module type `ReJSON-RL` are sized by their serialized length/);
});
