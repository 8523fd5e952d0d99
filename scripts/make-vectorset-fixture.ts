/**
 * Vector-set dumps with their MEMORY USAGE truth, from a real Redis 8 server.
 *
 *   node --import tsx scripts/make-vectorset-fixture.ts --server PATH/redis-server [--big] [--out DIR]
 *
 * Fills a fresh server with vector sets of various sizes, dimensions, quantizations, M values,
 * projections (REDUCE) and attributes (SETATTR), runs DEBUG RELOAD (MEMORY USAGE is modelled
 * for the server that loads the file), reads `MEMORY USAGE key SAMPLES 0`, VCARD, VDIM and
 * VINFO. Copies the dump DEBUG RELOAD wrote and loaded to DIR/vectorset-redis-X.Y.Z.rdb and .truth.json. The default set is
 * small enough to commit (fixtures/release/); `--big` adds sets of 1,000 and 10,000 elements
 * (for measuring, not for committing; default DIR then /tmp).
 *
 * Vectors come from a fixed-seed PRNG, but HNSW levels are drawn from the server's own random
 * state, so the graph (and the MEMORY USAGE of sets whose link arrays grew) differs between runs.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis, serverBinary, type RespArg, type RespValue } from '../test/helpers/redis.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface SetSpec {
  key: string;
  n: number;
  dim: number;
  quant: 'Q8' | 'NOQUANT' | 'BIN';
  /** REDUCE target dimension (a projection matrix), 0 for none. */
  reduce?: number;
  m?: number;
  /** Every how many elements one gets a SETATTR (0: none). */
  attrEvery?: number;
  /** Element-name style. */
  names?: 'short' | 'numeric' | 'long' | 'mid';
}

const SMALL: SetSpec[] = [
  { key: 'vs:q8:d3:n1', n: 1, dim: 3, quant: 'Q8' },
  { key: 'vs:q8:d3:n10', n: 10, dim: 3, quant: 'Q8', names: 'numeric' },
  { key: 'vs:noquant:d3:n10:attr', n: 10, dim: 3, quant: 'NOQUANT', attrEvery: 1 },
  { key: 'vs:bin:d32:n100', n: 100, dim: 32, quant: 'BIN', names: 'long' },
  { key: 'vs:q8:d32:n100:attr3', n: 100, dim: 32, quant: 'Q8', attrEvery: 3, names: 'mid' },
  { key: 'vs:noquant:d32:n100:m4', n: 100, dim: 32, quant: 'NOQUANT', m: 4 },
  { key: 'vs:q8:d300:n20', n: 20, dim: 300, quant: 'Q8' },
  { key: 'vs:q8:d64:reduce8:n30', n: 30, dim: 64, quant: 'Q8', reduce: 8 },
  { key: 'vs:bin:d300:n100:m32:attr', n: 100, dim: 300, quant: 'BIN', m: 32, attrEvery: 1, names: 'numeric' },
];

const BIG: SetSpec[] = [
  { key: 'big:q8:d3:n1000', n: 1000, dim: 3, quant: 'Q8' },
  { key: 'big:q8:d32:n1000:attr', n: 1000, dim: 32, quant: 'Q8', attrEvery: 1 },
  { key: 'big:noquant:d300:n1000', n: 1000, dim: 300, quant: 'NOQUANT', names: 'long' },
  { key: 'big:bin:d300:n1000', n: 1000, dim: 300, quant: 'BIN', names: 'numeric' },
  { key: 'big:q8:d32:n10000', n: 10000, dim: 32, quant: 'Q8' },
  { key: 'big:noquant:d3:n10000:attr7', n: 10000, dim: 3, quant: 'NOQUANT', attrEvery: 7, names: 'mid' },
  { key: 'big:bin:d32:n10000', n: 10000, dim: 32, quant: 'BIN' },
  { key: 'big:q8:d300:n10000', n: 10000, dim: 300, quant: 'Q8', names: 'numeric' },
  { key: 'big:q8:d300:reduce32:n1000', n: 1000, dim: 300, quant: 'Q8', reduce: 32 },
  { key: 'big:q8:d32:n10000:m64', n: 10000, dim: 32, quant: 'Q8', m: 64 },
];

/** mulberry32: deterministic vectors and names. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function elementName(spec: SetSpec, i: number): string {
  switch (spec.names ?? 'short') {
    case 'numeric': return String(1000 + i * 7);
    case 'long': return `element-with-a-rather-long-name-number-${String(i).padStart(8, '0')}`;
    case 'mid': return `item:${String(i).padStart(16, '0')}`;
    default: return `e${i}`;
  }
}

function addCommand(spec: SetSpec, i: number, rnd: () => number): RespArg[] {
  const v = Buffer.alloc(4 * spec.dim);
  for (let d = 0; d < spec.dim; d++) v.writeFloatLE(rnd() * 2 - 1, 4 * d);
  const cmd: RespArg[] = ['VADD', spec.key];
  if (spec.reduce) cmd.push('REDUCE', spec.reduce);
  cmd.push('FP32', v, elementName(spec, i), spec.quant);
  if (spec.attrEvery && i % spec.attrEvery === 0) {
    cmd.push('SETATTR', JSON.stringify({ i, tag: `t${i % 5}`, price: Math.round(rnd() * 10000) / 100 }));
  }
  if (spec.m) cmd.push('M', spec.m);
  return cmd;
}

function text(v: RespValue): string {
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const server = opt('--server') ?? 'redis-server';
  const big = args.includes('--big');
  const outDir = path.resolve(opt('--out') ?? (big ? '/tmp' : path.join(ROOT, 'fixtures', 'release')));
  const sb = serverBinary(server);
  const specs = big ? [...SMALL, ...BIG] : SMALL;
  const r = await startRedis([], { server });
  try {
    for (const spec of specs) {
      const rnd = prng(spec.n * 1000 + spec.dim);
      const cmds: RespArg[][] = [];
      for (let i = 0; i < spec.n; i++) cmds.push(addCommand(spec, i, rnd));
      // VADD is the server's slow path: small batches keep the socket buffers small.
      for (let i = 0; i < cmds.length; i += 500) await r.pipeline(cmds.slice(i, i + 500));
    }
    await r.call('DEBUG', 'RELOAD');
    const keys: Record<string, unknown>[] = [];
    for (const spec of specs) {
      const [mem, card, dim, info] = await r.pipeline([
        ['MEMORY', 'USAGE', spec.key, 'SAMPLES', '0'],
        ['VCARD', spec.key],
        ['VDIM', spec.key],
        ['VINFO', spec.key],
      ]);
      const vinfo: Record<string, string> = {};
      const arr = info as RespValue[];
      for (let i = 0; i + 1 < arr.length; i += 2) vinfo[text(arr[i])] = text(arr[i + 1]);
      keys.push({ key: spec.key, spec, memory_usage_after_reload: mem, vcard: card, vdim: dim, vinfo });
    }
    // The file DEBUG RELOAD wrote is the one whose loading the figures describe. (A SAVE now
    // would write the nodes in the reloaded order, which is reversed: the module's MEMORY USAGE
    // samples the head of its node list, the file's last nodes.)
    const dump = path.join(r.dir, 'dump.rdb');
    mkdirSync(outDir, { recursive: true });
    const base = path.join(outDir, `vectorset${big ? '-big' : ''}-redis-${sb.version}`);
    copyFileSync(dump, `${base}.rdb`);
    const truth = {
      generator: 'scripts/make-vectorset-fixture.ts',
      server: `redis-${sb.version}`,
      note: 'MEMORY USAGE key SAMPLES 0 after DEBUG RELOAD; HNSW levels are random, so re-runs differ slightly',
      keys,
    };
    writeFileSync(`${base}.truth.json`, JSON.stringify(truth, null, 1) + '\n');
    console.log(`${base}.rdb: ${keys.length} vector sets`);
  } finally {
    await r.stop();
  }
}

await main();
