/**
 * Fuzz the parser: mutate the fixtures and corpus dumps, parse every case the way `check` and
 * `analyze` do, and report anything that is not a clean success or a clean RdbError.
 *
 *   npm run fuzz -- [--cases N] [--seed S|random] [--seconds T] [--workers N] [--timeout MS]
 *                   [--rss-mb MB] [--mutators a,b] [--files a.rdb,b.rdb] [--no-synthetic] [--start I]
 *                   [--no-aggregate] [--save DIR|none] [--quiet]
 *   npm run fuzz -- --case I [--seed S]           one case: what it does and how it ends
 *   npm run fuzz -- --replay fuzz-failures/X.rdb  [--chunk N]  a saved input again
 *
 * Seeds: fixtures/*.rdb, the corpus (RDBSCOPE_CORPUS or ../shared/corpus) when present, and a
 * few synthetic dumps made with test/helpers/rdb-writer.ts (--no-synthetic leaves them out).
 * Defaults: 10000 cases, seed 1, one worker per core, 5 s per case, 300 MB RSS growth. Failing
 * inputs land in fuzz-failures/ (with a .json describing the case). Exit 1 when a case failed.
 * Logic: test/helpers/fuzz.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  loadSeed,
  defaultSeedFiles,
  makeCase,
  MUTATORS,
  replayInput,
  runFuzz,
  type CaseClass,
  type CaseResult,
  type FuzzStats,
  type ModeResult,
} from '../test/helpers/fuzz.ts';

interface Args {
  cases: number;
  seed: number;
  seconds?: number;
  workers?: number;
  timeoutMs: number;
  rssMb: number;
  mutators: string[];
  files?: string[];
  start: number;
  aggregate: boolean;
  save: string | null | undefined;
  quiet: boolean;
  synthetic: boolean;
  replay?: string;
  chunk?: number;
  caseIndex?: number;
}

const USAGE = `usage:
  npm run fuzz -- [--cases N] [--seed S|random] [--seconds T] [--workers N] [--timeout MS]
                  [--rss-mb MB] [--mutators a,b] [--files a.rdb,b.rdb] [--no-synthetic] [--start I]
                  [--no-aggregate] [--save DIR|none] [--quiet]
  npm run fuzz -- --case I [--seed S]
  npm run fuzz -- --replay fuzz-failures/X.rdb [--chunk N]
mutators: ${MUTATORS.join(', ')}
`;

function usage(msg: string | null): never {
  if (msg) process.stderr.write(`fuzz: ${msg}\n`);
  process.stderr.write(USAGE);
  process.exit(msg ? 1 : 0);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { cases: NaN, seed: 1, timeoutMs: 5000, rssMb: 300, mutators: [], start: 0, aggregate: true, save: undefined, quiet: false, synthetic: true };
  const num = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) usage(`${name} needs a non-negative number, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = (): string | undefined => argv[++i];
    switch (k) {
      case '--cases': a.cases = Math.floor(num(k, v())); break;
      case '--seed': {
        const s = v();
        a.seed = s === 'random' ? Math.floor(Math.random() * 2 ** 32) : Math.floor(num(k, s));
        break;
      }
      case '--seconds': a.seconds = num(k, v()); break;
      case '--workers': a.workers = Math.max(1, Math.floor(num(k, v()))); break;
      case '--timeout': a.timeoutMs = num(k, v()); break;
      case '--rss-mb': a.rssMb = num(k, v()); break;
      case '--mutators': a.mutators = (v() ?? '').split(',').filter(Boolean); break;
      case '--files': a.files = (v() ?? '').split(',').filter(Boolean).map((f) => (f.startsWith('synthetic:') ? f : resolve(f))); break;
      case '--start': a.start = Math.floor(num(k, v())); break;
      case '--no-aggregate': a.aggregate = false; break;
      case '--save': {
        const d = v();
        a.save = d === 'none' ? null : resolve(d ?? usage('--save needs a directory (or none)'));
        break;
      }
      case '--quiet': case '-q': a.quiet = true; break;
      case '--replay': a.replay = v() ?? usage('--replay needs a file'); break;
      case '--chunk': a.chunk = Math.max(1, Math.floor(num(k, v()))); break;
      case '--case': a.caseIndex = Math.floor(num(k, v())); break;
      case '--no-synthetic': a.synthetic = false; break;
      case '--help': case '-h': return usage(null);
      default: usage(`unknown option ${k}`);
    }
  }
  for (const m of a.mutators) if (!MUTATORS.includes(m)) usage(`unknown mutator ${m}; known: ${MUTATORS.join(', ')}`);
  if (Number.isNaN(a.cases)) a.cases = a.seconds !== undefined ? Infinity : 10000;
  return a;
}

function modeLine(name: string, m: ModeResult | null): string {
  if (!m) return `  ${name}: (no result)`;
  const head = `  ${name}: ${m.cls} in ${m.ms.toFixed(1)} ms`;
  if (m.cls === 'ok') return head;
  const lines = [`${head}: ${m.message}`];
  if (m.cls === 'failure' && m.detail) lines.push(m.detail.split('\n').map((l) => `      ${l}`).join('\n'));
  return lines.join('\n');
}

function printResult(r: CaseResult): void {
  console.log(`${r.cls}${r.failure ? `: ${r.failure}` : ''}`);
  console.log(modeLine('check', r.check));
  console.log(modeLine('analyze', r.analyze));
}

async function replay(a: Args): Promise<number> {
  const path = a.replay!;
  if (!existsSync(path)) usage(`${path}: no such file`);
  const bytes = new Uint8Array(readFileSync(path));
  const side = path.replace(/\.rdb$/, '') + '.json';
  let chunks = [bytes.length || 1];
  if (a.chunk) chunks = [a.chunk];
  else if (existsSync(side)) {
    const meta = JSON.parse(readFileSync(side, 'utf8')) as Partial<CaseResult> & { seed?: number };
    console.log(`case ${meta.index} of seed ${meta.seed}: ${meta.seedFile}, ${meta.mutator}: ${meta.desc} (trailer ${meta.trailer})`);
    console.log(`recorded: ${meta.failure}`);
    if (meta.chunk && meta.chunk !== bytes.length) chunks = [meta.chunk, bytes.length || 1];
  }
  let failed = false;
  for (const chunk of chunks) {
    console.log(`\n${path} (${bytes.length} bytes, chunks of ${chunk}):`);
    const r = await replayInput(bytes, chunk, path, { timeoutMs: a.timeoutMs, aggregate: a.aggregate });
    printResult(r);
    if (r.cls === 'failure') failed = true;
  }
  return failed ? 1 : 0;
}

async function oneCase(a: Args): Promise<number> {
  const files = a.files ?? defaultSeedFiles(a.synthetic);
  const c = makeCase(files.map(loadSeed), a.seed, a.caseIndex!, a.mutators);
  console.log(`case ${c.index} of seed ${a.seed}: ${c.seedFile}, ${c.mutator}: ${c.desc}`);
  console.log(`  ${c.bytes.length} bytes, trailer ${c.trailer}, chunks of ${c.chunk}`);
  const r = await replayInput(c.bytes, c.chunk, 'fuzz.rdb', { timeoutMs: a.timeoutMs, aggregate: a.aggregate });
  printResult(r);
  return r.cls === 'failure' ? 1 : 0;
}

const CLASSES: CaseClass[] = ['ok', 'expected', 'mixed', 'failure'];

function report(s: FuzzStats): void {
  const secs = s.ms / 1000;
  console.log(`\n${s.cases} cases in ${secs.toFixed(1)} s (${(s.cases / secs).toFixed(1)} cases/s), seed ${s.seed}, ${s.workers} worker(s), aggregator ${s.aggregator ? 'on' : 'off'}`);
  console.log(
    `outcomes: ok ${s.outcomes.ok}, expected ${s.outcomes.expected}, ` +
      `mixed ${s.outcomes.mixed} (check rejected, analyze accepted), failure ${s.outcomes.failure}`,
  );
  const names = Object.keys(s.perMutator).sort();
  const w = Math.max(8, ...names.map((n) => n.length));
  console.log(`\n${'mutator'.padEnd(w)}  ${CLASSES.map((c) => c.padStart(9)).join('')}`);
  for (const n of names) console.log(`${n.padEnd(w)}  ${CLASSES.map((c) => String(s.perMutator[n][c]).padStart(9)).join('')}`);
  if (s.slowest) console.log(`\nslowest case: ${s.slowest.ms.toFixed(0)} ms (case ${s.slowest.index}, ${s.slowest.mutator})`);
  console.log(`peak RSS: ${s.peakRssMb.toFixed(0)} MB, growth over the warm baseline ${s.peakRssGrowthMb.toFixed(0)} MB`);
  if (s.failures.length) {
    console.log(`\n${s.failures.length} FAILURE(S):`);
    for (const f of s.failures.slice(0, 50)) {
      console.log(`- seed ${s.seed} case ${f.index}: ${f.seedFile}, ${f.mutator}: ${f.desc} (chunks of ${f.chunk}, trailer ${f.trailer})`);
      console.log(`  ${f.failure}`);
      const m = f.check?.cls === 'failure' ? f.check : f.analyze?.cls === 'failure' ? f.analyze : null;
      if (m?.detail) console.log(m.detail.split('\n').slice(0, 8).map((l) => `    ${l}`).join('\n'));
      if (f.saved) console.log(`  saved: ${f.saved}  (npm run fuzz -- --replay ${f.saved})`);
    }
    if (s.failures.length > 50) console.log(`... and ${s.failures.length - 50} more`);
  }
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  if (a.replay) return replay(a);
  if (a.caseIndex !== undefined) return oneCase(a);
  const files = a.files ?? defaultSeedFiles(a.synthetic);
  console.log(
    `fuzz: seed ${a.seed}, ${a.cases === Infinity ? 'unlimited' : a.cases} cases${a.seconds !== undefined ? `, at most ${a.seconds} s` : ''}, ` +
      `${files.length} seed dumps, ${a.mutators.length ? a.mutators.join(',') : 'all mutators'}`,
  );
  const stats = await runFuzz({
    seed: a.seed,
    cases: a.cases,
    seconds: a.seconds,
    seedFiles: files,
    workers: a.workers,
    timeoutMs: a.timeoutMs,
    rssLimitMb: a.rssMb,
    only: a.mutators,
    aggregate: a.aggregate,
    startIndex: a.start,
    saveDir: a.save,
    onResult: (r) => {
      if (r.cls === 'failure') console.log(`FAILURE case ${r.index}: ${r.seedFile}, ${r.mutator}: ${r.desc}\n  ${r.failure}`);
    },
    onProgress: a.quiet
      ? undefined
      : (s) => console.log(`  ${s.cases} cases, ${(s.cases / (s.ms / 1000)).toFixed(0)}/s, ${s.outcomes.failure} failures, RSS +${s.peakRssGrowthMb.toFixed(0)} MB peak`),
  });
  report(stats);
  return stats.failures.length ? 1 : 0;
}

process.exitCode = await main();
