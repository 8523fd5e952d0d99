/**
 * Robustness: a short seeded fuzz run (test/helpers/fuzz.ts; the long run is `npm run fuzz`),
 * and, for small dumps with a checksum, every truncation and every single-byte flip, parsed
 * in-process the way `check` and `analyze` do, plus a sample of them through the real CLI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Scan } from '../src/scan.ts';
import { bufferSource } from '../src/input/source.ts';
import { RdbError } from '../src/core/types.ts';
import { classifyError, loadSeed, recordAt, Rng, runFuzz, type Anatomy } from './helpers/fuzz.ts';
import { corpusDir, fixturesDir, repoRoot } from './helpers/truth.ts';

const FUZZ_SEED = 20240607;
const FUZZ_CASES = 2000;

test(`seeded fuzz run: ${FUZZ_CASES} mutated dumps end in success or a clean RdbError`, { timeout: 300_000 }, async (t) => {
  const stats = await runFuzz({
    seed: FUZZ_SEED,
    cases: FUZZ_CASES,
    workers: Math.min(2, availableParallelism()),
    // Cases take milliseconds; the margin is for a loaded machine (a hang exceeds any limit).
    timeoutMs: 10_000,
    rssLimitMb: 300,
  });
  const secs = stats.ms / 1000;
  t.diagnostic(
    `${stats.cases} cases in ${secs.toFixed(1)} s over ${stats.seedFiles.length} dumps (aggregator ${stats.aggregator ? 'on' : 'off'}): ` +
      `ok ${stats.outcomes.ok}, expected ${stats.outcomes.expected}, mixed ${stats.outcomes.mixed}, failure ${stats.outcomes.failure}; ` +
      `peak RSS growth ${stats.peakRssGrowthMb.toFixed(0)} MB`,
  );
  const lines = stats.failures.slice(0, 10).map((f) => `case ${f.index} (${f.seedFile}, ${f.mutator}: ${f.desc}): ${f.failure}${f.saved ? ` [${f.saved}]` : ''}`);
  assert.equal(stats.failures.length, 0, `fuzz failures (seed ${FUZZ_SEED}; replay with npm run fuzz -- --replay <file>):\n${lines.join('\n')}`);
  assert.equal(stats.cases, FUZZ_CASES);
  assert.ok(stats.aggregator, 'the aggregator ran on every case');
  // Every mutator ran, and both rejection and success happened.
  assert.ok(Object.keys(stats.perMutator).length >= 12, `mutators seen: ${Object.keys(stats.perMutator).join(', ')}`);
  assert.ok(stats.outcomes.expected > FUZZ_CASES / 2);
  assert.ok(stats.outcomes.ok > 0);
});

test('the harness itself: hangs and memory blowups are caught, exceptions classified', { timeout: 120_000 }, async () => {
  const stats = await runFuzz({
    seed: 1,
    cases: 6,
    workers: 1,
    seedFiles: [join(fixturesDir, 'lfu-7.0.rdb')],
    timeoutMs: 2000,
    rssLimitMb: 300,
    saveDir: null,
    selfTest: [{ index: 1, kind: 'hang' }, { index: 3, kind: 'alloc' }],
  });
  assert.equal(stats.cases, 6);
  const why = Object.fromEntries(stats.failures.map((f) => [f.index, f.failure]));
  assert.deepEqual(Object.keys(why), ['1', '3']);
  assert.match(why[1]!, /^timeout/);
  assert.match(why[3]!, /^memory: process RSS grew by \d+ MB/);
  // The other cases ran on restarted workers.
  assert.equal(stats.outcomes.failure, 2);

  const f = 'x.rdb';
  assert.equal(classifyError(new RdbError(3, 'a thing', f), f, 10).cls, 'expected');
  assert.equal(classifyError(new RdbError(11, 'a thing', f), f, 10).cls, 'failure');
  assert.equal(classifyError(new RdbError(NaN, 'a thing', f), f, 10).cls, 'failure');
  assert.equal(classifyError(new RdbError(3, 'two\nlines', f), f, 10).cls, 'failure');
  assert.equal(classifyError(new TypeError('x is undefined'), f, 10).cls, 'failure');
  assert.equal(classifyError(new RangeError('Invalid typed array length: -1'), f, 10).cls, 'failure');
});

// ---- exhaustive truncations and flips ---------------------------------------------------------

/** lfu-7.0 from the fixtures, and the smallest corpus dump when the corpus is there. */
function exhaustiveTargets(): string[] {
  const out = [join(fixturesDir, 'lfu-7.0.rdb')];
  const dir = corpusDir();
  if (dir) {
    const dumps = readdirSync(dir)
      .filter((f) => f.endsWith('.rdb'))
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(a).size - statSync(b).size || a.localeCompare(b));
    if (dumps.length) out.push(dumps[0]);
  }
  return out;
}

type Mode = 'check' | 'analyze';

/** Parse in-process; the RdbError, or a description of what else happened. */
function parse(bytes: Uint8Array, mode: Mode, chunk = bytes.length): RdbError | string {
  try {
    new Scan(bufferSource(bytes, chunk), mode === 'check' ? { file: 'f', validate: true, memory: false } : { file: 'f' }).run();
    return 'accepted';
  } catch (e) {
    if (e instanceof RdbError) return e;
    return `threw ${(e as Error)?.stack ?? String(e)}`;
  }
}

/**
 * Where a flip of byte `p` may be reported: at or after `p`, or at the start of what encloses
 * it inside its record: a fixed-size field (at most 16 bytes: stream ids; the magic; the
 * checksum) or the packed blob / LZF string holding it (a count that disagrees with the entries,
 * or any defect inside compressed data, which has no file offset of its own).
 */
function flipOffsetAllowed(a: Anatomy, p: number, off: number): boolean {
  if (off > a.bytes.length) return false;
  if (off >= p) return true;
  if (off < recordAt(a, p).start) return false;
  if (p - off < 16) return true;
  for (const b of a.blobs) if (b.strAt <= off && p < b.end) return true;
  for (const z of a.lzf) if (z.at <= off && p < z.end) return true;
  return false;
}

for (const path of exhaustiveTargets()) {
  const name = path.startsWith(fixturesDir) ? `fixtures/${path.slice(fixturesDir.length + 1)}` : path.split('/').pop()!;
  const a = loadSeed(path);
  const L = a.bytes.length;

  test(`${name}: every truncation is rejected at the cut (${L} lengths)`, () => {
    assert.ok(a.hasChecksum, `${name} should carry a checksum`);
    const bad: string[] = [];
    let exact = 0;
    for (const mode of ['check', 'analyze'] as Mode[]) {
      for (let n = 0; n < L; n++) {
        if (mode === 'analyze' && n % 3 !== 0) continue;
        const r = parse(a.bytes.subarray(0, n), mode);
        if (!(r instanceof RdbError)) {
          bad.push(`${mode} ${n}: ${r}`);
          continue;
        }
        const rec = recordAt(a, n);
        // The record being read when the input ran out: the one containing the cut (starting at it when the cut is on a boundary).
        if (!(r.offset <= n && r.offset >= rec.start)) bad.push(`${mode} ${n}: offset ${r.offset} outside [${rec.start} (${rec.what}), ${n}]: ${r.message}`);
        if (r.offset === n) exact++;
      }
    }
    assert.deepEqual(bad.slice(0, 10), [], `${bad.length} truncations misreported`);
    // So far every short read is reported exactly where the input ends.
    assert.equal(exact, L + Math.ceil(L / 3));
  });

  test(`${name}: every single-byte flip is rejected at or after the defect (${L} positions)`, (t) => {
    const m = a.bytes.slice();
    const bad: string[] = [];
    let atOrAfter = 0;
    let total = 0;
    for (const mode of ['check', 'analyze'] as Mode[]) {
      for (let p = 0; p < L; p++) {
        if (mode === 'analyze' && p % 3 !== 0) continue;
        m[p] ^= 0xff;
        const r = parse(m, mode);
        m[p] ^= 0xff;
        total++;
        if (!(r instanceof RdbError)) {
          bad.push(`${mode} flip ${p}: ${r}`);
          continue;
        }
        if (r.offset >= p) atOrAfter++;
        if (!flipOffsetAllowed(a, p, r.offset)) bad.push(`${mode} flip ${p} (in ${recordAt(a, p).what}): offset ${r.offset}: ${r.message}`);
      }
    }
    assert.deepEqual(bad.slice(0, 10), [], `${bad.length} flips misreported`);
    t.diagnostic(`${atOrAfter} of ${total} flips reported at or after the flipped byte, the rest at the start of the field, blob or LZF string holding it`);
    // Most defects are reported at or after their own byte.
    assert.ok(atOrAfter > total * 0.8, `${atOrAfter} of ${total} flips reported at or after the flipped byte`);
  });

  test(`${name}: truncations and flips in small chunks end the same way`, () => {
    // The chunked reader (stitching, gathering) must report the same offsets as one whole buffer.
    const r = new Rng(7, L);
    for (let i = 0; i < 150; i++) {
      const chunk = r.pick([1, 2, 3, 7, 64, 4097]);
      let bytes: Uint8Array;
      if (i % 2) bytes = a.bytes.slice(0, r.int(L));
      else {
        bytes = a.bytes.slice();
        bytes[r.int(L)] ^= 0xff;
      }
      const whole = parse(bytes, 'check');
      const chunked = parse(bytes, 'check', chunk);
      assert.ok(whole instanceof RdbError && chunked instanceof RdbError, `${String(whole)} / ${String(chunked)}`);
      assert.equal(chunked.offset, whole.offset, `chunks of ${chunk}: ${chunked.message} vs ${whole.message}`);
    }
  });
}

// ---- the CLI on a sample ------------------------------------------------------------------------

const cli = join(repoRoot, 'bin', 'rdbscope.js');
const built = existsSync(join(repoRoot, 'dist', 'cli', 'main.js'));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const p = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

test(
  'rdbscope check: truncated and flipped dumps exit 2 with one line naming the offset',
  { skip: built ? false : 'dist/ is not built (npm run build); the CLI spot-check needs it', timeout: 120_000 },
  async () => {
    const a = loadSeed(join(fixturesDir, 'lfu-7.0.rdb'));
    const L = a.bytes.length;
    const r = new Rng(2024, 11);
    const dir = mkdtempSync(join(tmpdir(), 'rdbscope-fuzz-'));
    try {
      const cases: { file: string; bytes: Uint8Array; what: string }[] = [];
      for (let i = 0; i < 10; i++) {
        // Half at record boundaries, half anywhere.
        const n = i % 2 ? r.int(L) : Math.min(L - 1, r.pick(a.boundaries));
        cases.push({ file: join(dir, `trunc-${n}.rdb`), bytes: a.bytes.slice(0, n), what: `truncated to ${n}` });
      }
      for (let i = 0; i < 10; i++) {
        const p = i === 0 ? L - 1 : i === 1 ? a.eofAt : r.int(L);
        const b = a.bytes.slice();
        b[p] ^= 0xff;
        cases.push({ file: join(dir, `flip-${p}.rdb`), bytes: b, what: `byte ${p} flipped` });
      }
      for (const c of cases) writeFileSync(c.file, c.bytes);
      // Two at a time: each run starts node and a parse worker.
      const queue = [...cases];
      const worker = async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const want = parse(c.bytes, 'check');
          assert.ok(want instanceof RdbError, `${c.what}: in-process check should reject it: ${String(want)}`);
          const res = await run(['check', c.file]);
          assert.equal(res.code, 2, `${c.what}: exit code (stderr: ${res.stderr})`);
          assert.equal(res.stdout, '', `${c.what}: nothing on stdout`);
          const lines = res.stderr.split('\n');
          assert.equal(lines.length, 2, `${c.what}: one line on stderr, got ${JSON.stringify(res.stderr)}`);
          assert.equal(lines[1], '');
          const m = /^(.*): offset (\d+): /.exec(lines[0]);
          assert.ok(m, `${c.what}: "${lines[0]}" should read "<file>: offset N: ..."`);
          assert.equal(m[1], c.file);
          assert.equal(Number(m[2]), want.offset, `${c.what}: the CLI and the library name the same offset`);
          assert.doesNotMatch(res.stderr, /^\s+at /m, 'no stack trace');
          assert.doesNotMatch(res.stderr, /internal error/);
        }
      };
      await Promise.all([worker(), worker()]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
