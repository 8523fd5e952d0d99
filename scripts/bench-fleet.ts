/**
 * Fleet-scale benchmark (issue 16): bounded memory with 50 million keys, and what Parquet
 * output costs.
 *
 *   node --import tsx scripts/bench-fleet.ts [--runs N] [--skip-big] [--skip-shards] [--skip-mixed]
 *
 * Data, built once by a real redis-server (Debian's 7.0) with DEBUG POPULATE and SAVE, cached
 * under .bench-cache/fleet-v1/:
 *   big-50m.rdb        one dump of 50,000,000 string keys under 3,600 two-word namespaces
 *                      (`alpha:beta:<n>`), 16-byte values;
 *   shards/shard-NN.rdb  100 dumps of 500,000 keys each (50M in all), each under 2,000 of those
 *                      namespaces picked by a fixed-seed PRNG, so shards overlap but differ.
 * Measured, each tool as its own process under /usr/bin/time (peak RSS of the whole process):
 *   - `analyze big-50m.rdb --keys-format parquet` (keys.parquet, namespaces.parquet, report.json);
 *   - `merge` of the 100 shards' report.json files (a directory input);
 *   - on mixed-1g (bench-data.ts; read from this worktree's .bench-cache or /work/main's):
 *     `analyze --no-keys` against `analyze --keys-format parquet`, and keys.parquet's size
 *     against keys.csv's — medians of --runs runs (default 3).
 * Prints a Markdown section for BENCHMARKS.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedis } from '../test/helpers/redis.ts';
import { Sfc32 } from '../test/helpers/sfc32.ts';
import { ROOT } from './bench-data.ts';

const CACHE = path.join(ROOT, '.bench-cache', 'fleet-v1');
const CLI = path.join(ROOT, 'bin', 'rdbscope.js');
const TIME = '/usr/bin/time';
const SHARDS = 100;
const SHARD_KEYS = 500_000;
const BIG_KEYS = 50_000_000;
const VALUE_BYTES = 16;

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 3;
const skip = (what: string) => argv.includes(`--skip-${what}`);

const WORDS = [
  'user', 'session', 'cache', 'cart', 'order', 'product', 'search', 'feed', 'rate', 'lock', 'queue', 'token',
  'profile', 'inbox', 'stats', 'geo', 'price', 'stock', 'promo', 'review', 'media', 'thumb', 'audit', 'event',
  'metric', 'alert', 'config', 'flag', 'tenant', 'team', 'project', 'task', 'job', 'report', 'invoice', 'payment',
  'ledger', 'wallet', 'coupon', 'banner', 'page', 'block', 'menu', 'route', 'store', 'shelf', 'brand', 'vendor',
  'ticket', 'chat', 'room', 'friend', 'follow', 'like', 'comment', 'post', 'tag', 'topic', 'draft', 'archive',
];
/** The 3,600 namespaces `a:b` (each key is `a:b:<n>`). */
const PREFIXES = WORDS.flatMap((a) => WORDS.map((b) => `${a}:${b}`));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Sample {
  wall: number;
  cpu: number;
  rss: number;
}

function measure(args: string[]): Sample {
  const tfile = path.join(os.tmpdir(), `rdbscope-bench-fleet-time-${process.pid}`);
  spawnSync('sync');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '%M %U %S', '-o', tfile, process.execPath, CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`rdbscope ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  const [kib, user, sys] = readFileSync(tfile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  rmSync(tfile, { force: true });
  return { wall, cpu: user! + sys!, rss: kib! * 1024 };
}

/** Fills a fresh server with `keys` keys spread evenly over `prefixes`, SAVEs it to `dest`. */
async function build(dest: string, keys: number, prefixes: string[]): Promise<void> {
  const redis = await startRedis([], { server: '/usr/bin/redis-server' });
  try {
    const per = Math.floor(keys / prefixes.length);
    let extra = keys - per * prefixes.length;
    const cmds = prefixes.map((p) => ['DEBUG', 'POPULATE', String(per + (extra-- > 0 ? 1 : 0)), p, String(VALUE_BYTES)]);
    for (let i = 0; i < cmds.length; i += 100) await redis.pipeline(cmds.slice(i, i + 100));
    const n = Number(await redis.call('DBSIZE'));
    if (n !== keys) throw new Error(`${dest}: ${n} keys, expected ${keys}`);
    const file = await redis.save();
    renameSync(file, dest);
  } finally {
    await redis.stop();
  }
}

async function ensureData(): Promise<void> {
  mkdirSync(path.join(CACHE, 'shards'), { recursive: true });
  const big = path.join(CACHE, 'big-50m.rdb');
  if (!skip('big') && !existsSync(big)) {
    const t0 = Date.now();
    process.stderr.write(`building ${big} …\n`);
    await build(`${big}.tmp`, BIG_KEYS, PREFIXES);
    renameSync(`${big}.tmp`, big);
    process.stderr.write(`  ${((Date.now() - t0) / 1000).toFixed(0)} s, ${(statSync(big).size / 1e6).toFixed(0)} MB\n`);
  }
  if (!skip('shards')) {
    const rng = new Sfc32(0x16, 0x5eed, 0xf1ee7, 0x100, 15);
    const t0 = Date.now();
    for (let i = 0; i < SHARDS; i++) {
      // Every shard draws its own 2,000 of the namespaces (the draw happens for cached shards too, so each keeps its set).
      const picked = [...PREFIXES].map((p) => [rng.u32(), p] as const).sort((a, b) => a[0] - b[0]).slice(0, 2000).map(([, p]) => p);
      const f = shardFile(i);
      if (existsSync(f)) continue;
      await build(`${f}.tmp`, SHARD_KEYS, picked);
      renameSync(`${f}.tmp`, f);
    }
    process.stderr.write(`shards ready (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
}

const shardFile = (i: number) => path.join(CACHE, 'shards', `shard-${String(i).padStart(2, '0')}.rdb`);
const mb = (b: number) => (b / 1e6).toFixed(1);

async function main(): Promise<void> {
  await ensureData();
  const out = path.join(os.tmpdir(), `rdbscope-bench-fleet-${process.pid}`);
  const lines: string[] = [];
  lines.push('| run | keys | wall s | CPU s | peak RSS MB | output |', '|---|---|---|---|---|---|');
  try {
    if (!skip('big')) {
      const big = path.join(CACHE, 'big-50m.rdb');
      const s = measure(['analyze', big, '--keys-format', 'parquet', '--format', 'json', '--label', 'cluster=bench', '--out', path.join(out, 'big'), '-q']);
      const pq = statSync(path.join(out, 'big', 'keys.parquet')).size;
      const keys = (JSON.parse(readFileSync(path.join(out, 'big', 'report.json'), 'utf8')) as { summary: { keys: number } }).summary.keys;
      lines.push(`| analyze --keys-format parquet, big-50m.rdb (${mb(statSync(big).size)} MB) | ${keys.toLocaleString('en-US')} | ${s.wall.toFixed(1)} | ${s.cpu.toFixed(1)} | ${mb(s.rss)} | keys.parquet ${mb(pq)} MB |`);
      rmSync(path.join(out, 'big'), { recursive: true, force: true });
    }
    if (!skip('shards')) {
      const reports = path.join(out, 'reports');
      for (let i = 0; i < SHARDS; i++) {
        const r = spawnSync(process.execPath, [CLI, 'analyze', shardFile(i), '--no-keys', '--format', 'json', '--label', 'cluster=bench', '--label', `shard=${i}`, '--out', path.join(reports, `shard-${i}`), '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
        if (r.status !== 0) throw new Error(`analyze shard ${i}: ${r.stderr}`);
      }
      const sizes = Array.from({ length: SHARDS }, (_, i) => statSync(path.join(reports, `shard-${i}`, 'report.json')).size);
      const s = measure(['merge', reports, '--out', path.join(out, 'merged.json')]);
      const merged = JSON.parse(readFileSync(path.join(out, 'merged.json'), 'utf8')) as { summary: { keys: number }; namespaces: unknown[] };
      lines.push(`| merge of ${SHARDS} shard reports (report.json ${mb(Math.min(...sizes))}–${mb(Math.max(...sizes))} MB each) | ${merged.summary.keys.toLocaleString('en-US')} | ${s.wall.toFixed(1)} | ${s.cpu.toFixed(1)} | ${mb(s.rss)} | ${merged.namespaces.length} namespaces |`);
    }
    if (!skip('mixed')) {
      const own = path.join(ROOT, '.bench-cache', 'bench-data-v1', 'mixed-1g.rdb');
      const mixed = existsSync(own) ? own : '/work/main/.bench-cache/bench-data-v1/mixed-1g.rdb';
      const noKeys: Sample[] = [];
      const parquet: Sample[] = [];
      const csv: Sample[] = [];
      let pqSize = 0;
      let csvSize = 0;
      for (let r = 0; r < runs; r++) {
        // Interleaved, so load from other processes falls on all three alike.
        for (const [list, extra] of [[noKeys, ['--no-keys', '--format', 'json']], [parquet, ['--keys-format', 'parquet', '--format', 'json']], [csv, ['--format', 'json,csv']]] as const) {
          const dir = path.join(out, 'mixed');
          rmSync(dir, { recursive: true, force: true });
          list.push(measure(['analyze', mixed, ...extra, '--out', dir, '-q']));
          if (list === parquet) pqSize = statSync(path.join(dir, 'keys.parquet')).size;
          if (list === csv) csvSize = statSync(path.join(dir, 'keys.csv')).size;
        }
      }
      const row = (name: string, xs: Sample[], note: string) =>
        lines.push(`| ${name}, mixed-1g | 5,209,006 | ${median(xs.map((x) => x.wall)).toFixed(2)} | ${median(xs.map((x) => x.cpu)).toFixed(2)} | ${mb(median(xs.map((x) => x.rss)))} | ${note} |`);
      row('analyze --no-keys', noKeys, '');
      row('analyze --keys-format parquet', parquet, `keys.parquet ${mb(pqSize)} MB = ${((100 * pqSize) / csvSize).toFixed(0)}% of keys.csv`);
      row('analyze (keys.csv)', csv, `keys.csv ${mb(csvSize)} MB`);
      const added = median(parquet.map((x) => x.wall)) / median(noKeys.map((x) => x.wall)) - 1;
      const addedCpu = median(parquet.map((x) => x.cpu)) / median(noKeys.map((x) => x.cpu)) - 1;
      lines.push('', `Parquet output adds ${(100 * added).toFixed(0)}% wall time (${(100 * addedCpu).toFixed(0)}% CPU time) to analyze --no-keys on mixed-1g (medians of ${runs} runs; 1-minute load average ${os.loadavg()[0]!.toFixed(1)} at the end).`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const text = lines.join('\n') + '\n';
  writeFileSync(path.join(CACHE, 'results.md'), text);
  process.stdout.write(text);
}

await main();
