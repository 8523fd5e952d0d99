/**
 * The committed WebAssembly modules (`*-wasm.ts`) are generated from their `.wat` sources by
 * `npm run build:wasm`: a .wat edited without a rebuild fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, WASM_MODULES, compileWat, generated, watHash } from '../scripts/build-wasm.ts';

test('every .wat under src/ has a generated module listed in scripts/build-wasm.ts', () => {
  const wats = (readdirSync(join(ROOT, 'src'), { recursive: true }) as string[]).filter((f) => f.endsWith('.wat')).map((f) => join('src', f)).sort();
  assert.ok(wats.length > 0);
  assert.deepEqual(wats, WASM_MODULES.map((m) => m.wat).sort());
});

test('each generated module records the SHA-256 of its .wat as it is now', () => {
  for (const m of WASM_MODULES) {
    const text = readFileSync(join(ROOT, m.ts), 'utf8');
    const recorded = /\(sha256 ([0-9a-f]{64})\)/.exec(text)?.[1];
    assert.equal(recorded, watHash(m.wat), `${m.ts} is stale: run npm run build:wasm`);
  }
});

test('wat2wasm builds byte for byte the committed modules', (t) => {
  if (spawnSync('wat2wasm', ['--version']).status !== 0) return t.skip('wat2wasm (wabt) is not installed');
  for (const m of WASM_MODULES) assert.equal(readFileSync(join(ROOT, m.ts), 'utf8'), generated(m, compileWat(m.wat)), m.ts);
});
