/**
 * `npm run bench`: throughput and peak memory of the CLI against redis-check-rdb and a plain
 * read of the same file, on the cached benchmark dumps (scripts/bench-data.ts builds them).
 *
 *   npm run bench [-- --runs N] [--only NAME]... [--skip-1g] [--no-write] [--no-build]
 *
 *   --runs N     runs per tool and dump (default 3); medians are reported
 *   --only NAME  only dumps or tools whose name contains NAME (repeatable)
 *   --skip-1g    only the 100 MB dump (quick)
 *   --no-write   print only; leave BENCHMARKS.md alone
 *   --no-build   use dist/ as it is instead of rebuilding it first
 *
 * Every tool runs as its own process under `/usr/bin/time -f %M` (peak RSS of the process,
 * worker threads included); wall time is measured around the spawn with process.hrtime.
 * Runs go in rounds (every tool once, then again), after one warm-up read of each file so
 * that every tool reads from the page cache. Writes the results to BENCHMARKS.md.
 *
 * Hidden: `--model-cost FILE --mode nomodel|model|check` parses FILE in-process through
 * Scan (src/scan.ts) over fileSource with deferChecksum, with or without the memory model,
 * and prints {"seconds", "keys"} as JSON; the benchmark runs it alternately to measure what
 * the memory model costs over a parse with no estimate.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBenchData, ROOT, BENCH_DATA_VERSION, type BenchDump } from './bench-data.ts';
import { findExecutable } from '../test/helpers/redis.ts';
import { zstdLibraryVersion } from '../src/input/decompress.ts';

const CLI = path.join(ROOT, 'bin', 'rdbscope.js');
/** node's own gunzip over a file, output dropped: what rdbscope's .gz input is measured against. */
const INFLATE_ALONE = `const z = require('node:zlib'), fs = require('node:fs');
fs.createReadStream(process.argv[1], { highWaterMark: 1 << 20 }).pipe(z.createGunzip({ chunkSize: 1 << 20 })).resume();`;
const TIME = '/usr/bin/time';

// ---------------------------------------------------------------------------------------
// Options

interface Options {
  runs: number;
  only: string[];
  skip1g: boolean;
  write: boolean;
  build: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 3, only: [], skip1g: false, write: true, build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a.startsWith('--runs=')) o.runs = Number(a.slice(7));
    else if (a === '--only') o.only.push(argv[++i] ?? '');
    else if (a.startsWith('--only=')) o.only.push(a.slice(7));
    else if (a === '--skip-1g') o.skip1g = true;
    else if (a === '--no-write') o.write = false;
    else if (a === '--no-build') o.build = false;
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs must be a positive integer');
  return o;
}

// ---------------------------------------------------------------------------------------
// Hidden mode: the memory model's cost, in-process

async function modelCostChild(file: string, mode: string): Promise<void> {
  const { Scan } = await import('../src/scan.ts');
  const { fileSource } = await import('../src/input/source.ts');
  if (mode !== 'model' && mode !== 'nomodel' && mode !== 'check') throw new Error(`--mode: model, nomodel or check, got ${mode}`);
  const t0 = process.hrtime.bigint();
  const scan = new Scan(fileSource(file), {
    file,
    memory: mode === 'model' ? undefined : false,
    validate: mode === 'check',
    deferChecksum: true,
  });
  const r = scan.run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(JSON.stringify({ seconds, keys: r.keys, bytes: r.info.bytes }) + '\n');
}

// ---------------------------------------------------------------------------------------
// Measuring one command

interface Sample {
  wall: number;
  /** User + system CPU seconds of the process (all threads). */
  cpu: number;
  /** Peak RSS in bytes. */
  rss: number;
}

interface Failure {
  status: number | null;
  stderr: string;
}

/** A RAM-backed folder for the reports the tools write (see main). */
const SHM = '/dev/shm';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** 1-minute load average sampled before every measured run. */
const loadSamples: number[] = [];

/** Run `cmd args` under /usr/bin/time; stdout goes to /dev/null. */
function measure(cmd: string, args: string[], before?: () => void, env?: Record<string, string>): Sample | Failure {
  before?.();
  // Write back what earlier runs wrote (their reports) now, not while this run is timed.
  spawnSync('sync');
  loadSamples.push(os.loadavg()[0]!);
  const tfile = path.join(os.tmpdir(), `rdbscope-bench-time-${process.pid}`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '%M %U %S', '-o', tfile, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 16 << 20, env: env ? { ...process.env, ...env } : process.env });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) return { status: r.status, stderr: `${r.stderr?.toString() ?? ''}${r.error ? String(r.error) : ''}` };
  const [kib, user, sys] = readFileSync(tfile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  rmSync(tfile, { force: true });
  return { wall, cpu: user! + sys!, rss: kib! * 1024 };
}

// ---------------------------------------------------------------------------------------
// Tools

interface Tool {
  /** Row label. */
  name: string;
  /** Input variant. */
  input: 'rdb' | 'gz' | 'lz4' | 'zst';
  cmd: string;
  args(file: string): string[];
  before?: () => void;
  /** Added to the environment. */
  env?: Record<string, string>;
}

interface Row {
  tool: string;
  dump: string;
  input: string;
  inputBytes: number;
  rdbBytes: number;
  keys: number;
  wall: number | null;
  cpu: number | null;
  rss: number | null;
}

function tools(tmp: string, dumpName: string): Tool[] {
  const node = process.execPath;
  const outDir = path.join(tmp, 'report');
  const csv = path.join(tmp, 'keys.csv');
  // Outputs are removed before each run (untimed), as a first run into a fresh place: over an
  // old report, --force would also time freeing the last run's 342 MB keys.csv (~0.15 s).
  const rmCsv = () => rmSync(csv, { force: true });
  const rmOut = () => rmSync(outDir, { recursive: true, force: true });
  const mixed = dumpName.startsWith('mixed');
  const t: Tool[] = [
    { name: 'plain read (cat)', input: 'rdb', cmd: 'cat', args: (f) => [f] },
    { name: 'redis-check-rdb', input: 'rdb', cmd: 'redis-check-rdb', args: (f) => [f] },
    { name: 'rdbscope check', input: 'rdb', cmd: node, args: (f) => [CLI, 'check', f, '--quiet'] },
    { name: 'rdbscope analyze', input: 'rdb', cmd: node, args: (f) => [CLI, 'analyze', f, '--out', outDir, '--quiet'], before: rmOut },
    { name: 'rdbscope analyze --no-keys', input: 'rdb', cmd: node, args: (f) => [CLI, 'analyze', f, '--out', outDir, '--quiet', '--no-keys'], before: rmOut },
    { name: 'rdbscope keys --format csv', input: 'rdb', cmd: node, args: (f) => [CLI, 'keys', f, '--format', 'csv', '--out', csv, '--quiet'], before: rmCsv },
  ];
  if (mixed) {
    // The decoders alone, as the yardsticks for compressed input.
    t.push({ name: 'node zlib inflate alone', input: 'gz', cmd: node, args: (f) => ['-e', INFLATE_ALONE, f] });
    if (findExecutable('zstd')) t.push({ name: 'zstd -dc alone', input: 'zst', cmd: 'zstd', args: (f) => ['-dcq', f] });
    if (findExecutable('igzip')) t.push({ name: 'igzip -dc alone', input: 'gz', cmd: 'igzip', args: (f) => ['-dcq', f] });
    for (const input of ['gz', 'lz4', 'zst'] as const) {
      t.push({ name: `rdbscope analyze (.${input})`, input, cmd: node, args: (f) => [CLI, 'analyze', f, '--out', outDir, '--quiet'], before: rmOut });
      t.push({ name: `rdbscope check (.${input})`, input, cmd: node, args: (f) => [CLI, 'check', f, '--quiet'] });
    }
    // zstd without libzstd (zstd-napi): the zstd tool; without either: fzstd, the last fallback.
    if (findExecutable('zstd')) t.push({ name: 'rdbscope analyze (.zst, zstd tool)', input: 'zst', cmd: node, args: (f) => [CLI, 'analyze', f, '--out', outDir, '--quiet'], before: rmOut, env: { RDBSCOPE_ZSTD_LIB: 'none' } });
    t.push({ name: 'rdbscope analyze (.zst, fzstd)', input: 'zst', cmd: node, args: (f) => [CLI, 'analyze', f, '--out', outDir, '--quiet'], before: rmOut, env: { RDBSCOPE_ZSTD_LIB: 'none', RDBSCOPE_ZSTD_TOOL: 'none' } });
    // gzip without igzip: node's zlib, the fallback.
    t.push({ name: 'rdbscope analyze (.gz, zlib)', input: 'gz', cmd: node, args: (f) => [CLI, 'analyze', f, '--out', outDir, '--quiet'], before: rmOut, env: { RDBSCOPE_GZIP_TOOL: 'none' } });
  }
  return t;
}

function startupTime(n: number): { median: number; all: number[] } {
  const all: number[] = [];
  spawnSync(process.execPath, [CLI, '--help'], { stdio: 'ignore' }); // warm the file cache
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [CLI, '--help'], { stdio: 'ignore' });
    all.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (r.status !== 0) throw new Error(`rdbscope --help exited ${r.status}`);
  }
  return { median: median(all), all };
}

interface ModelCost {
  dump: string;
  nomodel: number;
  model: number;
  check: number;
  keys: number;
  ratio: number;
}

function modelCost(d: BenchDump, runs: number): ModelCost {
  const t: Record<'nomodel' | 'model' | 'check', number[]> = { nomodel: [], model: [], check: [] };
  let keys = 0;
  for (let i = 0; i < runs; i++) {
    for (const mode of ['nomodel', 'model', 'check'] as const) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'bench.ts'), '--model-cost', d.path, '--mode', mode], { encoding: 'utf8', cwd: ROOT });
      if (r.status !== 0) throw new Error(`model-cost ${mode} failed: ${r.stderr}`);
      const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; keys: number };
      t[mode].push(j.seconds);
      keys = j.keys;
    }
  }
  const nomodel = median(t.nomodel);
  const model = median(t.model);
  return { dump: d.name, nomodel, model, check: median(t.check), keys, ratio: model / nomodel };
}

// ---------------------------------------------------------------------------------------
// Machine

function machine(loadStart: number[]): Record<string, string> {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const mhz = /^cpu MHz\s*:\s*(.*)$/m.exec(cpuinfo)?.[1];
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(os.cpus().length);
  const redis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', cwd: ROOT }).stdout?.trim() ?? '';
  const dirty = (spawnSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8', cwd: ROOT }).stdout ?? '').trim() !== '';
  return {
    cpu: `${model}${mhz ? ` (${Math.round(Number(mhz))} MHz)` : ''}`,
    nproc,
    ram: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis: redis.replace(/^Redis server /, ''),
    libzstd: zstdLibraryVersion() ?? 'zstd-napi not installed (.zst through the zstd tool, else fzstd)',
    zstd: findExecutable('zstd') ? (/v\d[\d.]*/.exec(spawnSync('zstd', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[0] ?? '?') : 'not installed (no .zst rows through the tool)',
    igzip: findExecutable('igzip') ? (/\d+\.\d+[\d.]*/.exec(spawnSync('igzip', ['-V'], { encoding: 'utf8' }).stdout ?? '')?.[0] ?? '?') : 'not installed (.gz through node zlib)',
    commit: `${git}${dirty ? ' + uncommitted changes under src/' : ''}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    load: `${loadStart.map((x) => x.toFixed(2)).join(' ')} at the start, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end (1/5/15 min)` +
      (loadSamples.length ? `; 1-min load before each measured run: median ${median(loadSamples).toFixed(2)}, max ${Math.max(...loadSamples).toFixed(2)}` : ''),
  };
}

// ---------------------------------------------------------------------------------------
// Targets

interface Target {
  name: string;
  measured: string;
  limit: string;
  /** null: could not be measured (tool missing or not run), or a figure stated without a target (`info`). */
  pass: boolean | null;
  note?: string;
  info?: boolean;
}

function evaluate(rows: Row[], startup: { median: number } | null, cost: ModelCost | null): Target[] {
  const get = (tool: string, dump: string) => rows.find((r) => r.tool === tool && r.dump === dump && r.wall !== null) ?? null;
  const out: Target[] = [];
  // The ratios are defined on the 1 GB dump; with --skip-1g they are shown for the 100 MB one.
  const big = rows.some((r) => r.dump === 'mixed-1g') ? 'mixed-1g' : 'mixed-100m';
  const rcr = get('redis-check-rdb', big);
  const ratioTarget = (tool: string, limit: number) => {
    const r = get(tool, big);
    if (!r || !rcr) return out.push({ name: `${tool} / redis-check-rdb wall (${big})`, measured: '—', limit: `≤ ${limit}`, pass: null, note: 'not run' });
    const x = r.wall! / rcr.wall!;
    out.push({ name: `${tool} / redis-check-rdb wall (${big})`, measured: x.toFixed(3), limit: `≤ ${limit}`, pass: x <= limit });
  };
  ratioTarget('rdbscope analyze', 0.5);
  ratioTarget('rdbscope keys --format csv', 0.75);
  for (const input of ['gz', 'lz4', 'zst']) {
    // Throughput in RDB bytes per second relative to the plain file: plain wall / compressed wall.
    const tool = 'rdbscope analyze';
    const plain = get(tool, big);
    const comp = get(`${tool} (.${input})`, big);
    const name = `${input} input throughput / plain (${tool.replace('rdbscope ', '')}, ${big})`;
    if (!plain || !comp) out.push({ name, measured: '—', limit: '≥ 0.7', pass: null, note: 'not run' });
    else {
      const x = plain.wall! / comp.wall!;
      out.push({ name, measured: x.toFixed(3), limit: '≥ 0.7', pass: x >= 0.7 });
    }
  }
  // zstd's fallbacks, stated: the zstd tool without libzstd, fzstd in-process without either.
  for (const [tool, what] of [['rdbscope analyze (.zst, zstd tool)', 'zstd tool fallback'], ['rdbscope analyze (.zst, fzstd)', 'fzstd fallback']] as const) {
    const plain = get('rdbscope analyze', big);
    const comp = get(tool, big);
    if (plain && comp) out.push({ name: `zst input throughput / plain (analyze, ${what}, ${big})`, measured: (plain.wall! / comp.wall!).toFixed(3), limit: '— (stated)', pass: null, info: true });
  }
  // .gz against the time node's own inflate needs for the file; with igzip on PATH (the default
  // decoder then) and with node's zlib, the fallback, whose figure is stated, not a target.
  for (const [tool, limited] of [['rdbscope analyze (.gz)', true], ['rdbscope analyze (.gz, zlib)', false]] as const) {
    const gz = get(tool, big);
    const inflate = get('node zlib inflate alone', big);
    const decoder = limited ? (findExecutable('igzip') ? 'igzip' : 'zlib, igzip not installed') : 'zlib fallback';
    const name = `gz input: analyze (.gz, ${decoder}) / node zlib inflate alone wall (${big})`;
    const limit = limited ? '≤ 1.3' : '— (stated)';
    if (!gz || !inflate) out.push({ name, measured: '—', limit, pass: null, note: 'not run' });
    else {
      const x = gz.wall! / inflate.wall!;
      out.push({ name, measured: x.toFixed(3), limit, pass: limited ? x <= 1.3 : null, info: !limited });
    }
  }
  const rssTools = rows.filter((r) => /^rdbscope (analyze|keys)/.test(r.tool) && r.dump.startsWith('mixed'));
  if (rssTools.length) {
    for (const compressed of [false, true]) {
      const these = rssTools.filter((r) => (r.input !== '.rdb') === compressed);
      if (!these.length) continue;
      const worst = these.reduce((a, b) => ((b.rss ?? 0) > (a.rss ?? 0) ? b : a));
      const failed = these.some((r) => r.rss === null);
      out.push({
        name: `peak RSS of analyze and keys, every mixed dump, ${compressed ? '.gz, .lz4 and .zst input' : 'plain .rdb'}`,
        measured: `${mb(worst.rss)} MB (${worst.tool}, ${worst.dump})`,
        limit: '< 150 MB',
        pass: failed ? false : (worst.rss ?? Infinity) < 150e6,
        note: failed ? 'some runs failed' : undefined,
      });
    }
    for (const tool of ['rdbscope analyze', 'rdbscope keys --format csv']) {
      const a = get(tool, 'mixed-100m');
      const b = get(tool, big);
      if (!a || !b) continue;
      const x = b.rss! / a.rss!;
      out.push({ name: `peak RSS 1g / 100m (${tool.replace('rdbscope ', '')}): bounded`, measured: `${x.toFixed(3)} (${mb(a.rss)} → ${mb(b.rss)} MB)`, limit: '≤ 1.15', pass: x <= 1.15 });
    }
  } else {
    out.push({ name: 'peak RSS of analyze and keys, every mixed dump', measured: '—', limit: '< 150 MB', pass: null, note: 'not run' });
  }
  const giant = rows.filter((r) => /^rdbscope (analyze|keys)/.test(r.tool) && r.dump === 'list-10m');
  if (giant.length) {
    const worst = giant.reduce((a, b) => ((b.rss ?? 0) > (a.rss ?? 0) ? b : a));
    out.push({ name: 'peak RSS of analyze and keys, one 10M-element list', measured: `${mb(worst.rss)} MB (${worst.tool})`, limit: '< 200 MB', pass: giant.every((r) => r.rss !== null) && (worst.rss ?? Infinity) < 200e6 });
  }
  if (startup) out.push({ name: '`rdbscope --help` startup (median of 10)', measured: `${(startup.median * 1000).toFixed(0)} ms`, limit: '< 300 ms', pass: startup.median < 0.3 });
  if (cost) out.push({ name: `memory model cost: parse+model / parse (in-process, ${cost.dump})`, measured: cost.ratio.toFixed(3), limit: '≤ 1.20', pass: cost.ratio <= 1.2 });
  return out;
}

// ---------------------------------------------------------------------------------------
// Output

const mb = (bytes: number | null) => (bytes === null ? '—' : (bytes / 1e6).toFixed(1));

function rowCells(r: Row): string[] {
  if (r.wall === null) return [r.tool, r.dump, r.input, 'FAILED', '', '', '', '', ''];
  return [
    r.tool,
    r.dump,
    r.input,
    r.wall.toFixed(2),
    r.cpu!.toFixed(2),
    (r.inputBytes / 1e6 / r.wall).toFixed(0),
    (r.rdbBytes / 1e6 / r.wall).toFixed(0),
    r.keys >= 1000 ? Math.round(r.keys / r.wall).toLocaleString('en-US') : '—',
    mb(r.rss),
  ];
}

const HEAD = ['tool', 'dump', 'input', 'wall s', 'CPU s', 'MB/s (input file)', 'MB/s (RDB)', 'keys/s', 'peak RSS MB'];

function textTable(head: string[], rows: string[][], rightFrom = 3): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= rightFrom ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

function mdTable(head: string[], rows: string[][], rightFrom = 3): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map((_, i) => (i >= rightFrom ? ' ---: ' : ' --- ')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n') + '\n';
}

const verdict = (t: Target) => (t.info ? 'INFO' : t.pass === null ? 'SKIP' : t.pass ? 'PASS' : 'FAIL');

function targetCells(ts: Target[]): string[][] {
  return ts.map((t) => [t.name, t.measured, t.limit, verdict(t) + (t.note ? ` (${t.note})` : '')]);
}

/** BENCHMARKS.md from this heading on is written by hand and kept across runs. */
const KEPT_HEADING = '## Speed machinery: measured, kept or removed';

function markdown(m: Record<string, string>, o: Options, dumps: BenchDump[], rows: Row[], targets: Target[], startup: { median: number; all: number[] } | null, cost: ModelCost | null, notes: string[]): string {
  let s = '# Benchmarks\n\n';
  s += 'Measured by `npm run bench` (scripts/bench.ts) on the dumps built by scripts/bench-data.ts. ';
  s += `Medians of ${o.runs} runs per tool and dump, all in one session on one machine, files in the page cache; reports written to ${existsSync(SHM) ? SHM + ' (tmpfs)' : os.tmpdir()}.\n\n`;
  s += '## Machine\n\n';
  s += mdTable(['', ''], [
    ['date', m.date!],
    ['CPU', `${m.cpu}, ${m.nproc} cores (nproc)`],
    ['RAM', m.ram!],
    ['OS', m.os!],
    ['load average', m.load!],
    ['node', m.node!],
    ['redis-check-rdb / redis-server', m.redis!],
    ['libzstd (zstd-napi)', m.libzstd!],
    ['zstd', m.zstd!],
    ['igzip', m.igzip!],
    ['rdbscope commit', `${m.commit} (dist/ built from the working tree)`],
    ['bench data', BENCH_DATA_VERSION],
    ['options', [`--runs ${o.runs}`, ...o.only.map((x) => `--only ${x}`), ...(o.skip1g ? ['--skip-1g'] : [])].join(' ')],
  ], 9);
  s += '\n## Dumps\n\nWritten by a real redis-server filled through its protocol (pipelined commands from a fixed-seed PRNG), then SAVEd; gzip -6, lz4 -1 and zstd -3 copies.\n\n';
  s += mdTable(['dump', 'content', 'RDB MB', 'keys', '.gz MB', '.lz4 MB', '.zst MB'], dumps.map((d) => [
    d.name,
    d.description,
    mb(d.bytes),
    d.keys.toLocaleString('en-US'),
    d.gz ? mb(statSync(d.gz).size) : '',
    d.lz4 ? mb(statSync(d.lz4).size) : '',
    d.zst ? mb(statSync(d.zst).size) : '',
  ]), 2);
  s += '\n## Results\n\nwall: median seconds; CPU: median user+system seconds of the process (all threads; less sensitive than wall to other load on the machine); MB/s of the input file as given (compressed bytes for .gz/.lz4/.zst) and of the RDB it holds; keys/s over the dump\'s keys; peak RSS from `/usr/bin/time -f %M` (whole process, worker threads included). MB = 10^6 bytes.\n\n';
  s += mdTable(HEAD, rows.map(rowCells));
  s += '\n## Targets\n\n';
  s += 'Ratios are of median wall times measured in this run. Compressed-input throughput is RDB bytes per second relative to the plain file (plain wall / compressed wall). "Bounded" is read as: peak RSS on the 1 GB dump at most 15% above the 100 MB dump\'s.\n\n';
  s += mdTable(['target', 'measured', 'limit', 'result'], targetCells(targets), 9);
  if (startup) s += `\n\`rdbscope --help\`: ${startup.all.map((x) => (x * 1000).toFixed(0)).join(', ')} ms (median ${(startup.median * 1000).toFixed(0)} ms).\n`;
  if (cost) {
    s += `\n## Memory model cost\n\nIn-process \`Scan\` over \`fileSource\` with \`deferChecksum\` (no CRC, no worker, no output) on ${cost.dump}, ${cost.keys.toLocaleString('en-US')} keys, medians of ${o.runs}:\n\n`;
    s += mdTable(['parse', 'seconds', 'keys/s'], [
      ['no model (`memory: false`)', cost.nomodel.toFixed(2), Math.round(cost.keys / cost.nomodel).toLocaleString('en-US')],
      ['with the memory model (default)', cost.model.toFixed(2), Math.round(cost.keys / cost.model).toLocaleString('en-US')],
      ['check-like (`validate: true`, no model)', cost.check.toFixed(2), Math.round(cost.keys / cost.check).toLocaleString('en-US')],
    ], 1);
    s += `\nModel cost ratio: ${cost.ratio.toFixed(3)} (target ≤ 1.20).\n`;
  }
  if (notes.length) s += `\n## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
  return s;
}

// ---------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const mc = argv.indexOf('--model-cost');
  if (mc >= 0) {
    const mi = argv.indexOf('--mode');
    return modelCostChild(argv[mc + 1]!, mi >= 0 ? argv[mi + 1]! : 'model');
  }
  const o = parseArgs(argv);
  const loadStart = os.loadavg();
  const notes: string[] = [];
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing: apt-get install -y time`);
  if (!findExecutable('redis-check-rdb')) throw new Error('redis-check-rdb is missing: apt-get install -y redis-tools');

  if (o.build) {
    process.stderr.write('bench: building dist/\n');
    const b = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    if (b.status !== 0) {
      if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error(`build failed:\n${b.stdout}${b.stderr}`);
      const msg = 'the build of dist/ failed; measured the dist/ already there';
      process.stderr.write(`bench: ${msg}:\n${b.stdout}${b.stderr}\n`);
      notes.push(msg);
    }
  }
  for (const n of notes) process.stderr.write(`bench: NOTE: ${n}\n`);

  const dumpFilter = o.only.filter((x) => /^(mixed|list)/.test(x));
  const toolFilter = o.only.filter((x) => !/^(mixed|list)/.test(x));
  const dumps = await ensureBenchData({ skip1g: o.skip1g, only: dumpFilter });
  // Reports go to RAM when there is a tmpfs: on disk, the writeback and discards of one run's
  // 342 MB keys.csv landed in later runs on this 2-core VM (analyze 2.63-2.81 s there against
  // 2.38-2.49 s in /dev/shm). The write() calls into the page cache are still timed.
  const tmp = mkdtempSync(path.join(existsSync(SHM) ? SHM : os.tmpdir(), 'rdbscope-bench-'));
  const rows: Row[] = [];
  try {
    for (const d of dumps) {
      const list = tools(tmp, d.name).filter((t) => !toolFilter.length || toolFilter.some((x) => t.name.includes(x)));
      const fileOf = (t: Tool) => (t.input === 'gz' ? d.gz : t.input === 'lz4' ? d.lz4 : t.input === 'zst' ? d.zst : d.path);
      // Warm the page cache.
      for (const f of new Set(list.map(fileOf))) if (f) spawnSync('cat', [f], { stdio: 'ignore' });
      const samples = new Map<Tool, Sample[]>();
      const errors = new Map<Tool, string>();
      for (let run = 0; run < o.runs; run++) {
        for (const t of list) {
          const f = fileOf(t);
          if (!f || errors.has(t)) continue;
          process.stderr.write(`bench: ${d.name} run ${run + 1}/${o.runs}: ${t.name} ... `);
          const s = measure(t.cmd, t.args(f), t.before, t.env);
          if ('status' in s) {
            errors.set(t, `exit ${s.status}: ${s.stderr.trim().split('\n').slice(-3).join(' / ')}`);
            process.stderr.write(`FAILED (${errors.get(t)})\n`);
            continue;
          }
          process.stderr.write(`${s.wall.toFixed(2)} s (CPU ${s.cpu.toFixed(2)} s), ${mb(s.rss)} MB\n`);
          if (!samples.has(t)) samples.set(t, []);
          samples.get(t)!.push(s);
        }
      }
      for (const t of list) {
        const f = fileOf(t);
        if (!f) continue;
        const ss = samples.get(t) ?? [];
        const err = errors.get(t) ?? null;
        rows.push({
          tool: t.name,
          dump: d.name,
          input: t.input === 'rdb' ? '.rdb' : `.rdb.${t.input}`,
          inputBytes: statSync(f).size,
          rdbBytes: d.bytes,
          keys: d.keys,
          wall: err || !ss.length ? null : median(ss.map((x) => x.wall)),
          cpu: err || !ss.length ? null : median(ss.map((x) => x.cpu)),
          rss: err || !ss.length ? null : median(ss.map((x) => x.rss)),
        });
        if (err) notes.push(`${t.name} on ${d.name} failed: ${err}`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const wantStartup = !toolFilter.length || toolFilter.some((x) => 'startup --help'.includes(x));
  const startup = wantStartup ? startupTime(10) : null;
  const costDump = dumps.find((d) => d.name === 'mixed-1g') ?? dumps.find((d) => d.name.startsWith('mixed')) ?? null;
  const wantCost = !toolFilter.length || toolFilter.some((x) => 'model cost'.includes(x));
  let cost: ModelCost | null = null;
  if (costDump && wantCost) {
    process.stderr.write(`bench: memory model cost on ${costDump.name} ...\n`);
    cost = modelCost(costDump, Math.max(3, o.runs));
  }
  const targets = evaluate(rows, startup, cost);

  const cores = os.availableParallelism();
  // The benchmark's own runs keep up to 3 threads runnable (parse, consumer, main); more than
  // cores + 2 means other work.
  const busy = loadSamples.filter((x) => x > cores + 2).length;
  if (busy > loadSamples.length / 10) {
    notes.push(`the machine was not quiet: the 1-minute load average exceeded ${cores + 2} (${cores} cores) before ${busy} of ${loadSamples.length} measured runs (other work was running), so wall times are inflated and noisier than on an idle machine; the CPU s column is less affected.`);
  }
  const m = machine(loadStart);
  let out = `\nrdbscope benchmark — ${m.date} — ${m.cpu}, ${m.nproc} cores, ${m.ram}, node ${m.node}, redis ${m.redis.split(' ')[0]}\nload average: ${m.load}\n\n`;
  out += textTable(HEAD, rows.map(rowCells));
  if (startup) out += `\nrdbscope --help startup: median ${(startup.median * 1000).toFixed(0)} ms of 10\n`;
  if (cost) out += `memory model (in-process, ${cost.dump}): no model ${cost.nomodel.toFixed(2)} s, with model ${cost.model.toFixed(2)} s, check-like ${cost.check.toFixed(2)} s → ratio ${cost.ratio.toFixed(3)}\n`;
  out += '\n' + textTable(['target', 'measured', 'limit', 'result'], targetCells(targets), 9);
  for (const n of notes) out += `note: ${n}\n`;
  process.stdout.write(out);
  if (o.write) {
    // The hand-written section (what each piece of speed machinery was measured to buy) stays.
    const file = path.join(ROOT, 'BENCHMARKS.md');
    const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const kept = old.indexOf(KEPT_HEADING);
    writeFileSync(file, markdown(m, o, dumps, rows, targets, startup, cost, notes) + (kept >= 0 ? '\n' + old.slice(kept) : ''));
    process.stderr.write('bench: wrote BENCHMARKS.md\n');
  }
  if (targets.some((t) => t.pass === false)) process.exitCode = 1;
}

main().catch((e: Error) => {
  process.stderr.write(`bench: ${e.stack ?? e.message}\n`);
  process.exit(2);
});
