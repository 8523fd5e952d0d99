/**
 * `analyze --redact` end to end on real dumps: every section of report.json, the findings,
 * report.md, the data of report.html, namespaces.csv, keys.csv and the terminal name each key
 * by exactly one token, `<pattern>#<sha256 prefix>`, the one keys.csv gives it; and no key
 * name whose token hides part of it shows up anywhere.
 */
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { ensureBuilt, fixture, runCli, showRun, type CliRun } from './helpers/run-cli.ts';

const TOKEN = /#([0-9a-f]{8})(?![0-9a-f])/g;

interface Run {
  dir: string;
  cli: CliRun;
  csv: Record<string, string>[];
}

let tmp: string;
before(async () => {
  await ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rdbscope-redact-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

async function analyze(name: string, redact: boolean): Promise<Run> {
  const dir = join(tmp, `${name}-${redact ? 'red' : 'plain'}`);
  const cli = await runCli(['analyze', fixture(name), '--out', dir, '-q', ...(redact ? ['--redact'] : [])]);
  assert.equal(cli.code, 0, showRun(cli));
  const csv = Papa.parse<Record<string, string>>(readFileSync(join(dir, 'keys.csv'), 'utf8'), { header: true, skipEmptyLines: true });
  assert.deepEqual(csv.errors, []);
  return { dir, cli, csv: csv.data };
}

/** Every key entry (an object with `key` and `keyB64`) with the path it sits at. */
function keyEntries(v: unknown, path: string, out: [string, { key: string; keyB64: string | null }][] = []): typeof out {
  if (v === null || typeof v !== 'object') return out;
  if (Array.isArray(v)) v.forEach((x, i) => keyEntries(x, `${path}[${i}]`, out));
  else {
    const o = v as Record<string, unknown>;
    if (typeof o.key === 'string' && 'keyB64' in o) out.push([path, o as { key: string; keyB64: string | null }]);
    for (const [k, x] of Object.entries(o)) keyEntries(x, `${path}.${k}`, out);
  }
  return out;
}

const sha8 = (b: Buffer): string => createHash('sha256').update(b).digest('hex').slice(0, 8);
const rawBytes = (e: { key: string; keyB64?: string | null; key_b64?: string }): Buffer => {
  const b64 = e.keyB64 ?? e.key_b64;
  return b64 ? Buffer.from(b64, 'base64') : Buffer.from(e.key, 'utf8');
};

function htmlData(html: string): unknown {
  const m = /<script type="application\/json" id="rdbscope-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'report.html embeds its data');
  return JSON.parse(m[1]);
}

for (const name of ['shop-7.0.rdb', 'incident-7.0.rdb']) {
  describe(`--redact on ${name}`, () => {
    let plain: Run;
    let red: Run;
    /** hash → the token keys.csv gives the key. */
    const tokenOf = new Map<string, string>();
    before(async () => {
      [plain, red] = await Promise.all([analyze(name, false), analyze(name, true)]);
      for (const row of red.csv) {
        const m = /^(.*)#([0-9a-f]{8})$/.exec(row.key);
        assert.ok(m, `keys.csv token ${row.key}`);
        const prev = tokenOf.get(m[2]);
        assert.ok(prev === undefined || prev === row.key, `hash ${m[2]} has two tokens in keys.csv: ${prev}, ${row.key}`);
        tokenOf.set(m[2], row.key);
      }
    });

    test('keys.csv: the token hashes the key bytes, key_b64 empty', () => {
      assert.equal(red.csv.length, plain.csv.length);
      assert.ok(red.csv.length > 300, `${red.csv.length} keys`);
      for (let i = 0; i < red.csv.length; i++) {
        assert.equal(red.csv[i].key.slice(-8), sha8(rawBytes(plain.csv[i] as { key: string; key_b64: string })), `row ${i}`);
        assert.equal(red.csv[i].key_b64, '');
      }
    });

    test('report.json: every key entry is the keys.csv token of the same key', () => {
      const p = JSON.parse(readFileSync(join(plain.dir, 'report.json'), 'utf8')) as unknown;
      const r = JSON.parse(readFileSync(join(red.dir, 'report.json'), 'utf8')) as { redacted: boolean };
      assert.equal(r.redacted, true);
      const pe = keyEntries(p, '');
      const re = keyEntries(r, '');
      assert.deepEqual(
        re.map(([path]) => path),
        pe.map(([path]) => path),
        'same sections',
      );
      // Every section that lists keys: the big keys, per type, queues, no-TTL, namespaces' largest …
      const sections = new Set(re.map(([path]) => path.replace(/\[\d+\]/g, '[]')));
      for (const s of ['.bigKeys[].key', '.bigKeysByType.string[]', '.types[].biggest', '.namespaces[].largest', '.noTtl.biggest[]'])
        assert.ok([...sections].some((x) => x.startsWith(s.replace(/\.key$/, ''))), `${s} in ${[...sections].join(' ')}`);
      assert.ok(re.length > 50, `${re.length} key entries`);
      for (let i = 0; i < re.length; i++) {
        const [path, e] = re[i];
        const h = sha8(rawBytes(pe[i][1]));
        assert.equal(e.keyB64, null, path);
        assert.equal(e.key, tokenOf.get(h), `${path}: ${pe[i][1].key} is ${e.key} here, ${tokenOf.get(h)} in keys.csv`);
      }
    });

    test('findings, report.md, report.html, namespaces.csv and the terminal quote the keys.csv tokens', () => {
      const r = JSON.parse(readFileSync(join(red.dir, 'report.json'), 'utf8')) as { findings: { message: string }[] };
      const html = readFileSync(join(red.dir, 'report.html'), 'utf8');
      const texts: [string, string][] = [
        ['findings', r.findings.map((f) => f.message).join('\n')],
        ['report.md', readFileSync(join(red.dir, 'report.md'), 'utf8')],
        ['report.html data', JSON.stringify(htmlData(html))],
        ['namespaces.csv', readFileSync(join(red.dir, 'namespaces.csv'), 'utf8')],
        ['terminal', red.cli.out],
      ];
      let quoted = 0;
      for (const [where, text] of texts) {
        for (const m of text.matchAll(TOKEN)) {
          const token = tokenOf.get(m[1]);
          assert.ok(token, `${where}: #${m[1]} is no key's hash`);
          const end = m.index + m[0].length;
          // Markdown escapes nothing inside code spans; JSON strings keep the token as it is.
          assert.equal(text.slice(end - token.length, end), token, `${where}: ${text.slice(Math.max(0, end - token.length - 10), end)} is not ${token}`);
          quoted++;
        }
      }
      assert.ok(quoted > 50, `${quoted} tokens quoted`);
      assert.ok(/#[0-9a-f]{8}/.test(r.findings.map((f) => f.message).join('\n')), 'a finding quotes a key');
    });

    test('no key name that its token hides appears anywhere', () => {
      const files = ['report.json', 'report.md', 'report.html', 'namespaces.csv', 'keys.csv'].map((f) => [f, readFileSync(join(red.dir, f), 'utf8')] as const);
      const outputs = [...files, ['terminal', red.cli.out] as const];
      let hidden = 0;
      for (let i = 0; i < plain.csv.length; i++) {
        const raw = plain.csv[i].key;
        const pattern = red.csv[i].key.slice(0, -9);
        if (pattern === raw) continue; // nothing of it hidden: its token names it
        // Short all-digit names also occur as figures.
        if (/^\d{1,8}$/.test(raw)) continue;
        hidden++;
        for (const [where, text] of outputs) assert.ok(!text.includes(raw), `${where} names ${raw}`);
      }
      assert.ok(hidden > 100, `${hidden} keys with hidden parts`);
    });
  });
}
