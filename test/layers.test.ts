/**
 * The layer rule of docs/architecture.md: data flows core → input → format → memory → scan →
 * analyze → report → run → api/cli, and a module imports only from its own layer or below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { repoRoot } from './helpers/truth.ts';

/** Rank per top-level folder (or file) under src/; a lower rank may not import a higher one. */
export const LAYERS: Record<string, number> = {
  core: 0,
  input: 1,
  format: 2,
  dump: 2,
  memory: 3,
  'scan.ts': 4,
  analyze: 5,
  report: 6,
  run: 7,
  api: 8,
  cli: 9,
  'index.ts': 9,
};

const src = join(repoRoot, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const layerOf = (file: string) => relative(src, file).split('/')[0]!;

test('every module under src/ belongs to a layer', () => {
  const files = tsFiles(src);
  assert.ok(files.length > 50, `${files.length} files`);
  const unknown = [...new Set(files.map(layerOf))].filter((l) => !(l in LAYERS));
  assert.deepEqual(unknown, [], 'folders with no rank in LAYERS');
});

test('no import runs from a lower layer to a higher one', () => {
  const specifier = /(?:from|import|import\(|new URL\()\s*['"](\.{1,2}\/[^'"]+)['"]/g;
  const wrong: string[] = [];
  let imports = 0;
  for (const file of tsFiles(src)) {
    const from = layerOf(file);
    for (const m of readFileSync(file, 'utf8').matchAll(specifier)) {
      const target = normalize(join(dirname(file), m[1]!));
      if (!target.startsWith(src)) continue;
      imports++;
      const to = layerOf(target);
      if (LAYERS[to]! > LAYERS[from]!) wrong.push(`${relative(repoRoot, file)} (${from}) imports ${relative(repoRoot, target)} (${to})`);
    }
  }
  assert.ok(imports > 100, `${imports} imports read`);
  assert.deepEqual(wrong, []);
});
