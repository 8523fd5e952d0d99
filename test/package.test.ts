/**
 * The package as npm would publish it: packed from a clean copy of the sources (so the
 * tarball holds a fresh dist/ and nothing stale), installed into a scratch project from the
 * npm cache (no tsx, no dev dependencies), then used there by name, as a library and as the
 * `rdbscope` command, with plain Node (no TypeScript loader).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir, repoRoot } from './helpers/truth.ts';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 180_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { code: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** What an npm failure looks like when the registry is out of reach and the cache lacks a package. */
const OFFLINE = /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network/i;

test('npm pack → npm install → import by name and run the bin', { timeout: 300_000 }, (t) => {
  if (run(npm, ['--version'], repoRoot).code !== 0) return t.skip('npm is not available');
  const work = mkdtempSync(join(tmpdir(), 'rdbscope-pkg-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));

  // 1. Pack a clean copy: `prepare` builds dist/ there with the repository's TypeScript.
  const src = join(work, 'src-copy');
  mkdirSync(src);
  for (const f of ['package.json', 'README.md', 'tsconfig.json', 'tsconfig.build.json', 'bin', 'src']) cpSync(join(repoRoot, f), join(src, f), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(src, 'node_modules'), 'dir');
  const packed = run(npm, ['pack', '--json', '--pack-destination', work], src);
  assert.equal(packed.code, 0, packed.err);
  const [info] = JSON.parse(packed.out.slice(packed.out.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
  const files = info.files.map((f) => f.path);
  for (const f of ['bin/rdbscope.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/api/scan-worker.js', 'README.md']) assert.ok(files.includes(f), `${f} packed`);
  assert.deepEqual(files.filter((f) => !/^(bin|dist)\/|^(README\.md|package\.json|LICENSE)$/.test(f)), [], 'nothing but bin, dist and docs');
  assert.deepEqual(files.filter((f) => /record\.js$|\.ts$/.test(f) && !f.endsWith('.d.ts')), [], 'no sources or test helpers');

  // 2. Install the tarball into a scratch project, from the cache.
  const proj = join(work, 'proj');
  mkdirSync(proj);
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, type: 'module' }));
  const installed = run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, info.filename)], proj);
  if (installed.code !== 0 && OFFLINE.test(installed.err)) return t.skip(`npm install needs the registry (dependencies not in the npm cache): ${installed.err.split('\n').find((l) => OFFLINE.test(l))}`);
  assert.equal(installed.code, 0, installed.err);
  assert.ok(!existsSync(join(proj, 'node_modules', 'tsx')), 'tsx is a dev dependency only');
  assert.ok(!existsSync(join(proj, 'node_modules', 'typescript')), 'typescript is a dev dependency only');

  // 3. The library, by name, with plain Node: a file and a gzip stream.
  const truth = JSON.parse(readFileSync(join(fixturesDir, 'shop-7.0.truth.json'), 'utf8')) as { keys: { db: number }[] };
  const want: Record<number, number> = {};
  for (const k of truth.keys) want[k.db] = (want[k.db] ?? 0) + 1;
  const fixture = join(fixturesDir, 'shop-7.0.rdb');
  writeFileSync(
    join(proj, 'use.js'),
    `import { scanFile, scanStream, RdbError } from 'rdbscope';
import { createReadStream } from 'node:fs';
import { createGzip } from 'node:zlib';
const count = async (p) => { const byDb = {}; const r = await p((rec) => { byDb[rec.db] = (byDb[rec.db] ?? 0) + 1; }); return { byDb, keys: r.keys, checksum: r.info.checksum }; };
const file = await count((onKey) => scanFile(${JSON.stringify(fixture)}, { onKey }));
const gz = await count((onKey) => scanStream(createReadStream(${JSON.stringify(fixture)}).pipe(createGzip()), { onKey }));
console.log(JSON.stringify({ file, gz, rdbError: typeof RdbError }));
`,
  );
  const used = run(process.execPath, ['use.js'], proj);
  assert.equal(used.code, 0, used.err);
  const got = JSON.parse(used.out) as Record<'file' | 'gz', { byDb: Record<number, number>; keys: number; checksum: string }> & { rdbError: string };
  for (const r of [got.file, got.gz]) {
    assert.equal(r.keys, truth.keys.length);
    assert.deepEqual(r.byDb, want);
    assert.equal(r.checksum, 'ok');
  }
  assert.equal(got.rdbError, 'function');

  // 4. The types resolve by name for a TypeScript user.
  writeFileSync(
    join(proj, 'typed.ts'),
    `import { scanFile, scan, type KeyRecord, type Visitor, type ScanResult, type AsyncScanOptions } from 'rdbscope';
const visitor: Visitor = { str() {} };
const opts: AsyncScanOptions = { memory: { allocator: 'jemalloc', version: '7.2' }, onKey(rec: KeyRecord) { void rec.memoryBytes; } };
export const r: Promise<ScanResult> = scanFile('x.rdb', opts);
export const s: ScanResult = scan(new Uint8Array(0), { visitor });
`,
  );
  writeFileSync(
    join(proj, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], typeRoots: [join(repoRoot, 'node_modules', '@types')] },
      files: ['typed.ts'],
    }),
  );
  const typed = run(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], proj);
  assert.equal(typed.code, 0, typed.out + typed.err);

  // 5. The installed command.
  const checked = run(npx, ['--no-install', 'rdbscope', 'check', fixture], proj);
  assert.equal(checked.code, 0, checked.out + checked.err);
});
