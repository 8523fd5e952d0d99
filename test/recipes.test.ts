/**
 * The README's fan-out recipes (section "Fleet scale: one job per shard"), run as written on
 * local files: every shell block that carries a `# tested: <name>` line — a ```sh block, or a
 * `run: |` / `- |` block scalar inside a ```yaml block — is taken from README.md itself, so
 * the recipes cannot drift from what is tested. The schedulers are mimicked: the CI matrix's
 * jobs run in separate directories and their artifacts are laid out as download-artifact does;
 * the Indexed Job's pods get JOB_COMPLETION_INDEX and a shared DATA directory.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../src/analyze/schema.ts';
import { cliPath, ensureBuilt, fixture, repoRoot } from './helpers/run-cli.ts';

/** The `# tested:` shell blocks of a Markdown text, by name. */
function testedBlocks(md: string): Map<string, string> {
  const out = new Map<string, string>();
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m; (m = fence.exec(md)); ) {
    const [, lang, body] = m;
    const scripts: string[] = [];
    if (lang === 'sh') scripts.push(body);
    else if (lang === 'yaml') {
      const lines = body.split('\n');
      lines.forEach((l, i) => {
        // A block scalar's head: `run: |`, `- run: |` or `- |`.
        if (!/^\s*(?:- )?(?:run: )?\|$/.test(l)) return;
        const indent = l.length - l.trimStart().length;
        const block: string[] = [];
        for (let j = i + 1; j < lines.length; j++) {
          const t = lines[j];
          if (t.trim() !== '' && t.length - t.trimStart().length <= indent) break;
          block.push(t);
        }
        const strip = Math.min(...block.filter((t) => t.trim()).map((t) => t.length - t.trimStart().length));
        scripts.push(block.map((t) => t.slice(strip)).join('\n'));
      });
    }
    for (const sc of scripts) {
      const name = /^# tested: (\S+)$/m.exec(sc)?.[1];
      if (name) out.set(name, sc);
    }
  }
  return out;
}

const SHARDS = [fixture('shop-7.0.rdb'), fixture('incident-7.0.rdb')];
let dir: string;
let bin: string;
let blocks: Map<string, string>;

/** Runs a recipe script with bash -e (the CI runners' and `sh -c`'s behaviour on failure is to stop) in `cwd`. */
function run(name: string, cwd: string, env: Record<string, string> = {}): void {
  const script = blocks.get(name);
  assert.ok(script, `README has a "# tested: ${name}" block`);
  const r = spawnSync('bash', ['-e', '-c', script], { cwd, encoding: 'utf8', env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` } });
  assert.equal(r.status, 0, `${name}: exit ${r.status}\n${r.stderr}\n${r.stdout}`);
}

/** Places the shard dumps as backups/shard-N.rdb under `root`. */
function backups(root: string): void {
  mkdirSync(join(root, 'backups'), { recursive: true });
  SHARDS.forEach((f, i) => copyFileSync(f, join(root, 'backups', `shard-${i}.rdb`)));
}

const load = (p: string): Report => JSON.parse(readFileSync(p, 'utf8')) as Report;
/** What must be the same whichever way the shards were combined. */
const figures = (r: Report) => ({
  keys: r.summary.keys,
  bytes: r.summary.bytes,
  noTtlKeys: r.summary.noTtlKeys,
  noTtlBytes: r.summary.noTtlBytes,
  files: r.summary.files,
  namespaces: r.namespaces.map((n) => [n.pattern, n.keys, n.bytes, n.noTtlKeys]),
});

before(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'rdbscope-recipes-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  // `rdbscope` on PATH, as `npm install -g rdbscope` would put it.
  writeFileSync(join(bin, 'rdbscope'), `#!/bin/sh\nexec "${process.execPath}" "${cliPath}" "$@"\n`);
  chmodSync(join(bin, 'rdbscope'), 0o755);
  blocks = testedBlocks(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('README has the five tested recipe steps', () => {
  assert.deepEqual([...blocks.keys()].sort(), ['ci-merge', 'ci-shard', 'k8s-merge', 'k8s-shard', 'one-machine']);
});

test('the three recipes give the same exact merge, each shard keeping its labels', () => {
  // One machine: analyze --jobs over all shards, and per-shard Parquet runs merged.
  const one = join(dir, 'one');
  backups(one);
  run('one-machine', one);
  const jobs = load(join(one, 'fleet-report', 'report.json'));
  const merged = load(join(one, 'fleet-merged', 'report.json'));
  assert.equal(jobs.summary.files, 2);
  assert.deepEqual(figures(merged), figures(jobs));
  assert.deepEqual(jobs.labels, { cluster: 'eu1' });
  assert.deepEqual(merged.files.map((f) => f.labels), [{ cluster: 'eu1', shard: '0' }, { cluster: 'eu1', shard: '1' }]);
  for (const i of [0, 1]) for (const f of ['keys.parquet', 'namespaces.parquet', 'report.json']) readFileSync(join(one, 'reports', `shard-${i}`, f));

  // CI matrix: one directory per job; the artifacts downloaded as reports/report-N/….
  const final = join(dir, 'ci-merge');
  mkdirSync(join(final, 'reports'), { recursive: true });
  for (const i of [0, 1]) {
    const job = join(dir, `ci-shard-${i}`);
    backups(job);
    run('ci-shard', job, { SHARD: String(i), CLUSTER: 'eu1' });
    cpSync(join(job, 'reports'), join(final, 'reports', `report-${i}`), { recursive: true });
  }
  run('ci-merge', final);
  const ci = load(join(final, 'fleet', 'report.json'));
  assert.deepEqual(figures(ci), figures(jobs));
  assert.deepEqual(ci.files.map((f) => f.labels?.shard), ['0', '1']);

  // Kubernetes Indexed Job: pods 0 and 1 on the shared DATA volume, then the merge Job.
  const data = join(dir, 'k8s-data');
  backups(data);
  for (const i of [0, 1]) run('k8s-shard', dir, { DATA: data, CLUSTER: 'eu1', JOB_COMPLETION_INDEX: String(i) });
  run('k8s-merge', dir, { DATA: data });
  const k8s = load(join(data, 'fleet', 'report.json'));
  assert.deepEqual(figures(k8s), figures(jobs));
  assert.deepEqual(k8s.labels, { cluster: 'eu1' });
});

test('merge takes a quoted glob as well as a directory', () => {
  const one = join(dir, 'one');
  const r = spawnSync(process.execPath, [cliPath, 'merge', join(one, 'reports', 'shard-*', 'report.json'), '--out', join(dir, 'glob.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(figures(load(join(dir, 'glob.json'))), figures(load(join(one, 'fleet-merged', 'report.json'))));
  const none = spawnSync(process.execPath, [cliPath, 'merge', join(one, 'nothing-*'), '--out', join(dir, 'none.json')], { encoding: 'utf8' });
  assert.equal(none.status, 1);
  assert.match(none.stderr, /matches no file/);
});

test('merge reads report.json inputs one at a time and gets what merging them all at once gets', async () => {
  const { mergeReports } = await import('../src/analyze/merge.ts');
  const names = ['shop', 'incident', 'lfu', 'lru', 'matrix'];
  const paths = names.map((n) => {
    const out = join(dir, 'fold', n);
    const r = spawnSync(process.execPath, [cliPath, 'analyze', fixture(`${n}-7.0.rdb`), '--no-keys', '--format', 'json', '--out', out, '-q'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return join(out, 'report.json');
  });
  const m = spawnSync(process.execPath, [cliPath, 'merge', ...paths, '--out', join(dir, 'fold.json')], { encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
  const all = mergeReports(paths.map(load));
  assert.deepEqual(load(join(dir, 'fold.json')), JSON.parse(JSON.stringify(all)));
});
