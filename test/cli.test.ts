/**
 * The command line end to end: `node bin/rdbscope.js …` (the compiled dist/, built here when
 * missing or older than src/) on the committed fixtures, compressed and piped copies of them,
 * and deliberately broken files. Checks exit codes (0 ok, 1 usage, 2 bad input, 3 budget),
 * one-line error messages, the keys CSV/JSONL contracts (read back with papaparse), filters,
 * and the analyze report directory (files, Markdown tables, --force, --fail-on, --partial).
 */
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Papa from 'papaparse';
import { dumpsIn, fixturesDir, truthKeyBytes, type Truth, type TruthKey } from './helpers/truth.ts';
import { findExecutable } from './helpers/redis.ts';
import { buildRdb, type KeyDesc } from './helpers/rdb-writer.ts';
import { ensureBuilt, runCli, type CliRun } from './helpers/run-cli.ts';
import type { Report } from '../src/analyze/schema.ts';

const SHOP = join(fixturesDir, 'shop-7.0.rdb');
const MATRIX = join(fixturesDir, 'matrix-7.0.rdb');
const loadTruth = (name: string) => JSON.parse(readFileSync(join(fixturesDir, `${name}.truth.json`), 'utf8')) as Truth;
const matrixTruth = loadTruth('matrix-7.0');
const shopTruth = loadTruth('shop-7.0');

// ---------------------------------------------------------------------------------------
// dist/ and running the CLI


type Run = CliRun;
const rdbscope = runCli;

/** zstd decoders: libzstd (zstd-napi) when installed, the zstd tool, fzstd (in JavaScript). */
const ZSTD_JS = { RDBSCOPE_ZSTD_LIB: 'none', RDBSCOPE_ZSTD_TOOL: 'none' };
const ZSTD_ENVS: Record<string, string>[] = [{}, { RDBSCOPE_ZSTD_LIB: 'none' }, ZSTD_JS];
const show = (r: Run) => `exit ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.out.slice(0, 2000)}`;

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

// ---------------------------------------------------------------------------------------
// Truth helpers

const idOf = (db: number | string, key: Buffer) => `${db}/${key.toString('base64')}`;
const truthIds = (keys: TruthKey[]) => keys.map((k) => idOf(k.db, truthKeyBytes(k))).sort();

interface CsvRow {
  database: string;
  type: string;
  key: string;
  size_in_bytes: string;
  encoding: string;
  num_elements: string;
  len_largest_element: string;
  expiry: string;
  expire_at_ms: string;
  key_b64: string;
}

const CSV_HEADER8 = ['database', 'type', 'key', 'size_in_bytes', 'encoding', 'num_elements', 'len_largest_element', 'expiry'];

function parseCsv(text: string): { rows: CsvRow[]; fields: string[] } {
  // skipEmptyLines: the file ends with a newline, which papaparse would otherwise return as
  // one more (empty, too short) row.
  const p = Papa.parse<CsvRow>(text, { header: true, skipEmptyLines: true });
  assert.deepEqual(p.errors, [], 'papaparse errors');
  return { rows: p.data, fields: p.meta.fields ?? [] };
}

const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/**
 * The exact key bytes of a keys.csv row, checking the key contract of src/report/csv.ts:
 * `key_b64` is set exactly when `key` is not the exact key, which happens for keys that are
 * not UTF-8 (readable `\xNN` rendering) and keys that start like a formula (`'` prefix).
 */
function csvKeyBytes(row: CsvRow): Buffer {
  if (row.key_b64 === '') {
    assert.ok(!(row.key.length > 0 && FORMULA_START.has(row.key[0])), `formula not neutralised: ${JSON.stringify(row.key)}`);
    return Buffer.from(row.key, 'utf8');
  }
  const bytes = Buffer.from(row.key_b64, 'base64');
  assert.equal(bytes.toString('base64'), row.key_b64, 'key_b64 is canonical base64');
  if (isUtf8(bytes)) {
    const text = bytes.toString('utf8');
    assert.ok(FORMULA_START.has(text[0]), `key_b64 on a UTF-8 key that is no formula: ${JSON.stringify(text)}`);
    assert.equal(row.key, "'" + text, 'a formula key is the key with a leading quote');
  } else {
    assert.ok(!row.key.startsWith("'") || bytes[0] === 0x27, `a leading ' on a non-formula key: ${JSON.stringify(row.key)}`);
    assert.match(row.key, /\\x[0-9a-f]{2}/i, 'a non-UTF-8 key is rendered with \\xNN');
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------
// Markdown tables

/** Cells of a table row: split on pipes not escaped by a backslash (as GFM tables do). */
function cells(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length; i++) if (line[i] === '|' && line[i - 1] !== '\\') n++;
  return n - 1;
}

/**
 * Problems with the GFM tables of a Markdown text: every row has the header's number of
 * unescaped-pipe cells, starts and ends with an unescaped pipe, and the table ends with a
 * blank line (a raw newline in a key would leave a stray line behind a row).
 */
function markdownTableProblems(md: string): { problems: string[]; rows: string[] } {
  const ls = md.split('\n');
  const problems: string[] = [];
  const rows: string[] = [];
  const isSep = (l: string) => /^\|(\s*:?-{3,}:?\s*\|)+\s*$/.test(l);
  let tables = 0;
  for (let i = 0; i < ls.length; i++) {
    if (!(ls[i].startsWith('|') && i + 1 < ls.length && isSep(ls[i + 1]))) {
      if (ls[i].startsWith('|')) problems.push(`line ${i + 1}: a table row outside a table: ${ls[i]}`);
      continue;
    }
    tables++;
    const want = cells(ls[i]);
    if (cells(ls[i + 1]) !== want) problems.push(`line ${i + 2}: separator has ${cells(ls[i + 1])} cells, header ${want}`);
    let j = i + 2;
    for (; j < ls.length && ls[j].startsWith('|'); j++) {
      const row = ls[j];
      rows.push(row);
      if (cells(row) !== want) problems.push(`line ${j + 1}: ${cells(row)} cells, header ${want}: ${row}`);
      if (!row.trimEnd().endsWith('|') || row.trimEnd().endsWith('\\|')) problems.push(`line ${j + 1}: row does not end with a pipe: ${row}`);
    }
    if (j < ls.length && ls[j].trim() !== '') problems.push(`line ${j + 1}: text right after a table (broken row?): ${ls[j]}`);
    i = j - 1;
  }
  if (tables === 0) problems.push('no tables');
  return { problems, rows };
}

/** How a key shows inside a table cell: controls made visible, pipes escaped (backticks stay, inside a longer fence). */
const visibleInCell = (key: string) =>
  key.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\|/g, '\\|');

/** An RDB whose biggest keys (and a queue, and namespaces) have hostile names. */
const HOSTILE_KEYS = [
  '| md | pipe |',
  '`backticks` and ``double`` ticks',
  'line1\nline2\r\nline3',
  'tab\there',
  'back\\slash|pipe\\',
  '<script>alert(1)</script> *stars* _under_ [link](x) :smile:',
  '=HYPERLINK("http://evil.example","x")',
  'ns|x:1001',
  'ns|x:1002',
  '\tleading tab',
  "'=quoted already",
  'x'.repeat(60) + '|' + 'y'.repeat(100) + '`\n',
];
const HOSTILE_QUEUE = 'queue|with`pipes`\nand newline';
const HOSTILE_BINARY = Buffer.from([0x62, 0x69, 0x6e, 0x7c, 0xff, 0x0a, 0x60]);

function hostileRdb(): Uint8Array {
  const keys: KeyDesc[] = HOSTILE_KEYS.map((key, i) => ({ key, value: { type: 'string', value: 'v'.repeat(20000 + 1000 * i) } }));
  keys.push({ key: HOSTILE_BINARY, value: { type: 'string', value: 'b'.repeat(15000) } });
  const nodes: string[][] = [];
  for (let i = 0; i < 12000; i++) {
    if (i % 128 === 0) nodes.push([]);
    nodes[nodes.length - 1].push(`job-${i}`);
  }
  keys.push({ key: HOSTILE_QUEUE, value: { type: 'quicklist2', nodes } });
  return buildRdb({ version: 10, aux: { 'redis-ver': '7.0.15', 'redis-bits': '64' }, keys, checksum: 'zero' });
}

// ---------------------------------------------------------------------------------------

describe('rdbscope CLI', { concurrency: Math.max(2, availableParallelism()), timeout: 120_000 }, () => {
  let tmp = '';
  const file = (name: string, data?: Buffer | Uint8Array) => {
    const p = join(tmp, name);
    if (data !== undefined) writeFileSync(p, data);
    return p;
  };

  before(async () => {
    await ensureBuilt();
    tmp = mkdtempSync(join(tmpdir(), 'rdbscope-cli-'));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('--help exits 0 and lists the commands', async () => {
    const r = await rdbscope(['--help']);
    assert.equal(r.code, 0, show(r));
    for (const c of ['analyze', 'keys', 'dump', 'info', 'check']) assert.match(r.out, new RegExp(`^\\s+${c}\\b`, 'm'), `--help lists ${c}`);
  });

  test('keys --redact: every row keyed by pattern#hash, in CSV and JSONL', async () => {
    for (const format of ['csv', 'jsonl']) {
      const r = await rdbscope(['keys', SHOP, '--format', format, '--redact', '--quiet']);
      assert.equal(r.code, 0, show(r));
      const rows = lines(r.out).slice(format === 'csv' ? 1 : 0);
      assert.equal(rows.length, shopTruth.keys.length);
      assert.ok(!r.out.includes('session:25d39ac5ee8c831a9b09dcc4233f34be'), 'no raw session id');
      for (const row of rows) assert.match(row, /#[0-9a-f]{8}/);
    }
  });

  test('check on every fixture exits 0 with one ok line', async () => {
    const dumps = dumpsIn(fixturesDir);
    assert.ok(dumps.length >= 4);
    await Promise.all(
      dumps.map(async (d) => {
        const r = await rdbscope(['check', d.rdb]);
        assert.equal(r.code, 0, show(r));
        assert.equal(r.stderr, '');
        assert.equal(
          r.out,
          `${d.rdb}: ok: RDB ${d.truth.rdb_version}, ${d.truth.keys.length} keys, ${statSync(d.rdb).size} bytes, checksum ok\n`,
        );
      }),
    );
  });

  test('info --json parses and counts the keys per database', async () => {
    await Promise.all(
      dumpsIn(fixturesDir).map(async (d) => {
        const r = await rdbscope(['info', '--json', d.rdb]);
        assert.equal(r.code, 0, show(r));
        const info = JSON.parse(r.out) as { rdbVersion: number; keys: number; databases: Record<string, { keys: number; expires: number }> };
        assert.equal(info.rdbVersion, d.truth.rdb_version);
        assert.equal(info.keys, d.truth.keys.length);
        for (const [db, ks] of Object.entries(d.truth.keyspace)) {
          assert.equal(info.databases[db]?.keys, ks.keys, `${d.name} db ${db} keys`);
          assert.equal(info.databases[db]?.expires, ks.expires, `${d.name} db ${db} expires`);
        }
      }),
    );
  });

  test('dump: one JSON object per key', async () => {
    const r = await rdbscope(['dump', MATRIX]);
    assert.equal(r.code, 0, show(r));
    const objs = lines(r.out).map((l) => JSON.parse(l) as { db: number; key?: string; key_b64?: string; type: string });
    assert.equal(objs.length, matrixTruth.keys.length);
    const ids = objs.map((o) => idOf(o.db, o.key_b64 !== undefined ? Buffer.from(o.key_b64, 'base64') : Buffer.from(o.key!, 'utf8')));
    assert.deepEqual(ids.sort(), truthIds(matrixTruth.keys));
  });

  type Variant = { name: string; path: string; stdin?: Buffer; env?: Record<string, string> };
  /** Every variant gives the plain file's check line (and, for files, its keys output). */
  async function sameAsPlain(variants: Variant[]): Promise<void> {
    const [check, keys] = await Promise.all([rdbscope(['check', MATRIX]), rdbscope(['keys', MATRIX])]);
    assert.equal(check.code, 0, show(check));
    assert.equal(keys.code, 0, show(keys));
    const checkTail = check.out.slice(MATRIX.length);
    assert.ok(variants.length > 0);
    await Promise.all(
      variants.map(async (v) => {
        // keys for the file forms, check for all (each spawn costs ~0.3 s).
        const [c, k] = await Promise.all([rdbscope(['check', v.path], { input: v.stdin, env: v.env }), v.path === '-' && v.name !== 'stdin' ? null : rdbscope(['keys', v.path], { input: v.stdin, env: v.env })]);
        assert.equal(c.code, 0, `${v.name}: ${show(c)}`);
        assert.equal(c.out, `${v.path === '-' ? '<stdin>' : v.path}${checkTail}`, v.name);
        if (k) {
          assert.equal(k.code, 0, `${v.name}: ${show(k)}`);
          assert.ok(k.stdout.equals(keys.stdout), `${v.name}: keys output differs from the plain file's`);
        }
      }),
    );
  }

  test('stdin and gzip inputs give the same check line and keys output', async () => {
    const plain = readFileSync(MATRIX);
    await sameAsPlain([
      { name: 'stdin', path: '-', stdin: plain },
      { name: 'gzip', path: file('matrix.rdb.gz', gzipSync(plain)) },
      // Without igzip (ISA-L) whether or not it is installed: node's zlib.
      { name: 'gzip through zlib', path: file('matrix.rdb.gz'), env: { RDBSCOPE_GZIP_TOOL: 'none' } },
      { name: 'gzip on stdin', path: '-', stdin: gzipSync(plain) },
    ]);
  });

  test('LZ4 input (written by the lz4 CLI) gives the same check line and keys output', { skip: !findExecutable('lz4') && 'lz4 CLI not installed' }, async () => {
    const p = file('matrix.rdb.lz4');
    execFileSync('lz4', ['-q', '-f', MATRIX, p]);
    await sameAsPlain([{ name: 'lz4', path: p }, { name: 'lz4 on stdin', path: '-', stdin: readFileSync(p) }]);
  });

  test('zstd input (written by the zstd CLI) gives the same check line and keys output', { skip: !findExecutable('zstd') && 'zstd CLI not installed' }, async () => {
    const p = file('matrix.rdb.zst');
    execFileSync('zstd', ['-q', '-f', MATRIX, '-o', p]);
    await sameAsPlain([{ name: 'zstd', path: p }, { name: 'zstd on stdin', path: '-', stdin: readFileSync(p) }]);
    // Through libzstd when zstd-napi is installed; the zstd tool without it; fzstd without either.
    await sameAsPlain([
      { name: 'zstd via the zstd tool', path: p, env: { RDBSCOPE_ZSTD_LIB: 'none' } },
      { name: 'zstd via fzstd', path: p, env: ZSTD_JS },
    ]);
  });

  test('zstd input: a wrong CRC and bytes after the RDB give the plain file\'s lines, with and without the zstd tool', { skip: !findExecutable('zstd') && 'zstd CLI not installed' }, async () => {
    const plain = readFileSync(MATRIX);
    const badCrc = Buffer.from(plain);
    badCrc[badCrc.length - 1] = badCrc[badCrc.length - 1]! ^ 1;
    for (const [name, rdb, code] of [
      ['bad-crc', badCrc, 2],
      ['trailing', Buffer.concat([plain, Buffer.from('bytes after the RDB\n')]), 0],
    ] as const) {
      const raw = file(`${name}.rdb`, rdb);
      const z = file(`${name}.rdb.zst`, execFileSync('zstd', ['-q', '-c', raw]));
      const want = await rdbscope(['check', raw]);
      assert.equal(want.code, code, show(want));
      for (const env of ZSTD_ENVS) {
        const r = await rdbscope(['check', z], { env });
        assert.equal(r.code, code, show(r));
        assert.equal(r.stderr.replaceAll(z, raw), want.stderr);
        assert.equal(r.out.replaceAll(z, raw), want.out);
      }
    }
  });

  test('damaged zstd input: exit 2 and one line through every decoder, the same with and without the zstd tool', { skip: !findExecutable('zstd') && 'zstd CLI not installed' }, async () => {
    const z = Buffer.from(execFileSync('zstd', ['-q', '-c', MATRIX]));
    const flipped = Buffer.from(z);
    for (let i = 200; i < 240; i++) flipped[i] = flipped[i]! ^ 0x5a;
    // Flipped bytes may decode to wrong bytes that the parser rejects first: any line will do, as
    // long as it does not depend on the tool. A cut one always fails in the zstd layer.
    for (const [name, data, what] of [
      ['flipped.rdb.zst', flipped, /^: offset \d+: \S/],
      ['cut.rdb.zst', z.subarray(0, z.length >> 1), /^: offset \d+: zstd data ends unexpectedly/],
    ] as const) {
      const p = file(name, data);
      const runs = await Promise.all(ZSTD_ENVS.map((env) => rdbscope(['check', p], { env })));
      for (const r of runs) {
        assert.equal(r.code, 2, show(r));
        assert.equal(lines(r.stderr).length, 1, show(r));
        assert.ok(r.stderr.startsWith(`${p}: offset `), show(r));
        assert.match(r.stderr.slice(p.length), what, show(r));
      }
      // The tool's failure leaves the verdict to fzstd; libzstd's own stands (it checks the
      // content checksum, fzstd does not), and on a cut file it is fzstd's too.
      assert.equal(runs[1]!.stderr, runs[2]!.stderr, name);
      if (name.startsWith('cut')) assert.equal(runs[0]!.stderr, runs[2]!.stderr, name);
      // On stdin the tool's verdict (or the parser's, on what came out first) stands: still one line.
      const s = await rdbscope(['check', '-'], { input: data });
      assert.equal(s.code, 2, show(s));
      assert.equal(lines(s.stderr).length, 1, show(s));
      assert.match(s.stderr.slice('<stdin>'.length), what, show(s));
    }
  });

  describe('bad input: exit 2, one line `<file>: offset N: …`, no stack trace', () => {
    const shop = () => readFileSync(SHOP);
    const cases: { name: string; data: () => Buffer | Uint8Array }[] = [
      { name: 'empty file', data: () => Buffer.alloc(0) },
      { name: 'wrong magic', data: () => Buffer.concat([Buffer.from('RADIS0010'), shop().subarray(9)]) },
      { name: 'text file', data: () => Buffer.from('hello, this is not an RDB file\n') },
      { name: 'truncated', data: () => shop().subarray(0, 150_000) },
      { name: 'header only', data: () => shop().subarray(0, 9) },
      {
        name: 'flipped byte',
        data: () => {
          const b = Buffer.from(shop());
          b[20_000] ^= 0xff;
          return b;
        },
      },
      { name: 'version from the future', data: () => Buffer.concat([Buffer.from('REDIS0099'), shop().subarray(9)]) },
      {
        name: 'unknown type byte',
        data: () =>
          buildRdb({
            version: 10,
            checksum: 'zero',
            keys: [
              { key: 'fine', value: { type: 'string', value: 'v' } },
              { key: 'k', value: { type: 'raw', rdbType: 99, payload: Buffer.from([1, 0x76]) } },
            ],
          }),
      },
      { name: 'truncated gzip', data: () => gzipSync(shop()).subarray(0, 20_000) },
    ];

    // Every case through `check`; the other commands and stdin in turn (each spawn costs ~0.3 s).
    const others: string[][] = [['info'], ['dump'], ['keys'], ['keys', '--format', 'jsonl']];
    cases.forEach((c, i) => {
      test(c.name, async () => {
        const slug = c.name.replace(/\W+/g, '-');
        const path = file(`bad-${slug}.rdb`, c.data());
        const other = others[i % others.length];
        const runs: [string, string, Promise<Run>][] = [
          ['check', path, rdbscope(['check', path])],
          [other.join(' '), path, rdbscope([...other, path])],
        ];
        if (i % 3 === 0) runs.push(['check -', '<stdin>', rdbscope(['check', '-'], { input: readFileSync(path) })]);
        for (const [what, name, p] of runs) {
          const r = await p;
          const msg = `${what}: ${show(r)}`;
          assert.equal(r.code, 2, msg);
          const err = lines(r.stderr);
          assert.equal(err.length, 1, msg);
          assert.ok(err[0].startsWith(`${name}: offset `), msg);
          assert.match(err[0].slice(name.length), /^: offset \d+: \S.*$/, msg);
          assert.doesNotMatch(r.stderr, /^ {4}at /m, msg);
        }
        if (i % 3 === 1) {
          // analyze: the same line, then that no report was written.
          const out = join(tmp, `bad-out-${slug}`);
          const a = await rdbscope(['analyze', path, '--out', out, '--quiet']);
          assert.equal(a.code, 2, show(a));
          assert.match(lines(a.stderr)[0], /: offset \d+: \S/, show(a));
          assert.doesNotMatch(a.stderr, /^ {4}at /m);
          assert.ok(!existsSync(join(out, 'report.json')) && !existsSync(join(out, 'keys.csv')));
        }
      });
    });
  });

  test('keys --format csv: redis-rdb-tools header, one row per key, hostile keys exact', async () => {
    const r = await rdbscope(['keys', '--format', 'csv', MATRIX]);
    assert.equal(r.code, 0, show(r));
    const { rows, fields } = parseCsv(r.out);
    assert.deepEqual(fields.slice(0, 8), CSV_HEADER8);
    assert.equal(rows.length, matrixTruth.keys.length);
    const byId = new Map(matrixTruth.keys.map((k) => [idOf(k.db, truthKeyBytes(k)), k]));
    const got = new Set<string>();
    for (const row of rows) {
      const id = idOf(row.database, csvKeyBytes(row));
      const t = byId.get(id);
      assert.ok(t, `row for a key not in the truth: ${JSON.stringify(row)}`);
      got.add(id);
      assert.equal(row.type, t.type, id);
      assert.equal(row.num_elements, String(t.length), `${id} num_elements`);
      assert.equal(row.expire_at_ms, t.expire_at_ms === null ? '' : String(t.expire_at_ms), `${id} expire_at_ms`);
      assert.equal(row.expiry, t.expire_at_ms === null ? '' : new Date(t.expire_at_ms).toISOString(), `${id} expiry`);
      assert.match(row.size_in_bytes, /^[1-9]\d*$/);
    }
    assert.equal(got.size, rows.length, 'no key twice');
    // The hostile ones are there (and came back exactly, see csvKeyBytes).
    const hostile = ['key,with,commas', 'key "with" \'quotes\'', 'key\nwith\nnewlines', 'key\twith\ttabs\r\n', '=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", '-2+3', '@SUM(1+1)', '', 'nul\u0000inside'];
    for (const k of hostile) assert.ok(got.has(idOf(0, Buffer.from(k))), `hostile key ${JSON.stringify(k)}`);
    const binary = matrixTruth.keys.filter((k) => k.key_b64 !== undefined);
    assert.ok(binary.length >= 2);
    for (const k of binary) assert.ok(got.has(idOf(k.db, truthKeyBytes(k))), `binary key ${k.key_b64}`);
  });

  test('keys --format jsonl: every line parses, one per key', async () => {
    const r = await rdbscope(['keys', '--format', 'jsonl', MATRIX]);
    assert.equal(r.code, 0, show(r));
    const objs = lines(r.out).map((l) => JSON.parse(l) as { db: number; key?: string; key_b64?: string; type: string; memory_bytes: number; expire_at_ms: number | null });
    assert.equal(objs.length, matrixTruth.keys.length);
    const ids = objs.map((o) => idOf(o.db, o.key_b64 !== undefined ? Buffer.from(o.key_b64, 'base64') : Buffer.from(o.key!, 'utf8')));
    assert.deepEqual(ids.sort(), truthIds(matrixTruth.keys));
  });

  test('keys filters: --db, --type, --match, --min-bytes select exactly the expected keys', async () => {
    const T = matrixTruth.keys;
    const name = (k: TruthKey) => k.key ?? '';
    const after = (k: TruthKey) => k.extra?.memory_usage_after_reload ?? k.memory_usage ?? 0;
    const MIN = 22000;
    // The threshold sits in a gap of the truth, so a model within a few % selects the same keys.
    assert.ok(T.every((k) => Math.abs(after(k) - MIN) > 0.05 * MIN), 'no truth key near the --min-bytes threshold');
    const cases: { args: string[]; want: TruthKey[] }[] = [
      { args: ['--db', '0,15'], want: T.filter((k) => k.db === 0 || k.db === 15) },
      { args: ['--db', '1', '--db', '2'], want: T.filter((k) => k.db === 1 || k.db === 2) },
      { args: ['--type', 'zset'], want: T.filter((k) => k.type === 'zset') },
      { args: ['--type', 'hash,stream'], want: T.filter((k) => k.type === 'hash' || k.type === 'stream') },
      { args: ['--match', 'str:int:*'], want: T.filter((k) => name(k).startsWith('str:int:')) },
      { args: ['--match', 'db1[05]:*'], want: T.filter((k) => /^db1[05]:/.test(name(k))) },
      { args: ['--match', 'list:?????'], want: T.filter((k) => /^list:.{5}$/su.test(name(k))) },
      { args: ['--min-bytes', String(MIN), '--allocator', 'jemalloc16'], want: T.filter((k) => after(k) >= MIN) },
      { args: ['--db', '0', '--type', 'string', '--match', 'str:*', '--min-bytes', '1000', '--allocator', 'jemalloc16'], want: T.filter((k) => k.db === 0 && k.type === 'string' && name(k).startsWith('str:') && after(k) >= 1000) },
    ];
    await Promise.all(
      cases.map(async (c) => {
        assert.ok(c.want.length > 0, `${c.args.join(' ')} selects something`);
        const r = await rdbscope(['keys', ...c.args, MATRIX]);
        assert.equal(r.code, 0, show(r));
        const { rows } = parseCsv(r.out);
        assert.deepEqual(rows.map((row) => idOf(row.database, csvKeyBytes(row))).sort(), truthIds(c.want), c.args.join(' '));
      }),
    );
  });

  test('analyze writes report.json, namespaces.csv, keys.csv and report.md', async () => {
    const out = join(tmp, 'analyze-shop');
    const r = await rdbscope(['analyze', SHOP, '--out', out, '--quiet', '--allocator', 'jemalloc16']);
    assert.equal(r.code, 0, show(r));
    const written = readdirSync(out);
    for (const f of ['keys.csv', 'namespaces.csv', 'report.json', 'report.md']) assert.ok(written.includes(f), `${f} written (${written.join(', ')})`);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    assert.equal(report.schema, 'rdbscope.report');
    assert.equal(report.summary.keys, shopTruth.keys.length);
    const { rows } = parseCsv(readFileSync(join(out, 'keys.csv'), 'utf8'));
    assert.deepEqual(rows.map((row) => idOf(row.database, csvKeyBytes(row))).sort(), truthIds(shopTruth.keys));
    const ns = Papa.parse<Record<string, string>>(readFileSync(join(out, 'namespaces.csv'), 'utf8'), { header: true, skipEmptyLines: true });
    assert.deepEqual(ns.errors, []);
    assert.deepEqual(ns.data.map((n) => n.pattern).sort(), report.namespaces.map((n) => n.pattern).sort());
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.deepEqual(markdownTableProblems(md).problems, []);
  });

  test('report.md tables survive hostile key names', async () => {
    const rdb = file('hostile.rdb', hostileRdb());
    const outs = { hostile: join(tmp, 'analyze-hostile'), matrix: join(tmp, 'analyze-matrix') };
    const [h, m] = await Promise.all([
      rdbscope(['analyze', rdb, '--out', outs.hostile, '--quiet']),
      rdbscope(['analyze', MATRIX, '--out', outs.matrix, '--quiet']),
    ]);
    assert.equal(h.code, 0, show(h));
    assert.equal(m.code, 0, show(m));
    const mm = markdownTableProblems(readFileSync(join(outs.matrix, 'report.md'), 'utf8'));
    assert.deepEqual(mm.problems, [], 'matrix report.md');
    const { problems, rows } = markdownTableProblems(readFileSync(join(outs.hostile, 'report.md'), 'utf8'));
    assert.deepEqual(problems, [], 'hostile report.md');
    for (const k of [...HOSTILE_KEYS, HOSTILE_QUEUE]) {
      const shown = visibleInCell(k).slice(0, 80);
      assert.ok(rows.some((row) => row.includes(shown)), `a table row shows ${JSON.stringify(k)} as ${JSON.stringify(shown)}`);
    }
    assert.ok(rows.some((row) => row.includes('(binary)')), 'the binary key has a row');
    // keys.csv of the same run gives every key back exactly.
    const { rows: csv } = parseCsv(readFileSync(join(outs.hostile, 'keys.csv'), 'utf8'));
    const want = [...HOSTILE_KEYS.map((k) => Buffer.from(k)), HOSTILE_BINARY, Buffer.from(HOSTILE_QUEUE)].map((b) => idOf(0, b)).sort();
    assert.deepEqual(csv.map((row) => idOf(row.database, csvKeyBytes(row))).sort(), want);
  });

  test('analyze with an out-of-range option: a usage error (exit 1) before any work', async () => {
    const out = join(tmp, 'analyze-bad-option');
    for (const args of [['--max-children', '0'], ['--depth', '-1'], ['--top', 'x']]) {
      const r = await rdbscope(['analyze', MATRIX, '--out', out, '--quiet', ...args]);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, new RegExp(`^rdbscope: ${args[0]}: expected a (positive|non-negative) integer, got ${args[1]}\\n$`), show(r));
      assert.equal(existsSync(out), false, 'no report directory');
    }
  });

  test('analyze refuses to overwrite a report it did not write (or that changed since) without --force', async () => {
    const out = join(tmp, 'analyze-twice');
    const first = await rdbscope(['analyze', MATRIX, '--out', out, '--quiet']);
    assert.equal(first.code, 0, show(first));
    writeFileSync(join(out, 'report.json'), `${readFileSync(join(out, 'report.json'), 'utf8')} `);
    const before = readFileSync(join(out, 'report.json'));
    const again = await rdbscope(['analyze', MATRIX, '--out', out, '--quiet']);
    assert.equal(again.code, 1, show(again));
    assert.ok(again.stderr.includes(join(out, 'report.json')), `names the file: ${again.stderr}`);
    assert.doesNotMatch(again.stderr, /^ {4}at /m);
    assert.ok(readFileSync(join(out, 'report.json')).equals(before), 'report untouched');
    const forced = await rdbscope(['analyze', MATRIX, '--out', out, '--quiet', '--force']);
    assert.equal(forced.code, 0, show(forced));
  });

  test('analyze --fail-on queue-length: exit 3 naming the breach, 0 under the limit', async () => {
    const [over, under] = await Promise.all([
      rdbscope(['analyze', SHOP, '--out', join(tmp, 'budget-over'), '--quiet', '--fail-on', 'queue-length>10000']),
      rdbscope(['analyze', SHOP, '--out', join(tmp, 'budget-under'), '--quiet', '--fail-on', 'queue-length>100000']),
    ]);
    assert.equal(over.code, 3, show(over));
    assert.match(over.stderr, /queue-length>10000/);
    assert.match(over.stderr, /queue:email:pending/);
    assert.ok(existsSync(join(tmp, 'budget-over', 'report.json')), 'the report is still written');
    assert.equal(under.code, 0, show(under));
    assert.equal(under.stderr, '');
  });

  test('analyze --partial on a truncated file: exit 2, reports marked INCOMPLETE; without it no report', async () => {
    const size = 150_000;
    const cut = file('shop-truncated.rdb', readFileSync(SHOP).subarray(0, size));
    const outP = join(tmp, 'partial');
    const outN = join(tmp, 'not-partial');
    const [p, n] = await Promise.all([
      rdbscope(['analyze', cut, '--out', outP, '--quiet', '--partial']),
      rdbscope(['analyze', cut, '--out', outN, '--quiet']),
    ]);
    assert.equal(p.code, 2, show(p));
    // Keys read against the keys the file announces, not a share of a truncated copy's own size.
    const marker = /^INCOMPLETE: read (\d+) of the (\d+) keys the file announces \(RESIZEDB of db 0, the database reached\); complete records up to byte ([\d,]+) of ([\d,]+); offset (\d+): unexpected end of file/;
    const json = readFileSync(join(outP, 'report.json'), 'utf8');
    const report = JSON.parse(json) as Record<string, unknown>;
    assert.equal(Object.keys(report)[0], 'incomplete', 'first property');
    const m = marker.exec(String(report.incomplete));
    assert.ok(m, String(report.incomplete));
    const [read, announced, upTo, total, at] = [Number(m[1]), Number(m[2]), Number(m[3].replace(/,/g, '')), Number(m[4].replace(/,/g, '')), Number(m[5])];
    const dbKeys = shopTruth.keys.filter((k) => k.db === 0).length;
    assert.equal(announced, dbKeys, 'db 0 as RESIZEDB announces it');
    assert.equal(read, (report as unknown as Report).summary.keys);
    assert.ok(read > 0 && read < announced);
    assert.equal(total, size);
    assert.ok(upTo > 0 && upTo < at && at === size, `${upTo} < ${at}`);
    assert.doesNotMatch(String(report.incomplete), /% of the file/);
    // The CSV files start with their header; the marker is in a sidecar beside each.
    for (const f of ['keys.csv', 'namespaces.csv']) {
      const first = readFileSync(join(outP, f), 'utf8').split('\n')[0];
      assert.doesNotMatch(first, /INCOMPLETE/, f);
      assert.equal(readFileSync(join(outP, `${f}.INCOMPLETE`), 'utf8'), `${report.incomplete}\n`);
    }
    const { rows } = parseCsv(readFileSync(join(outP, 'keys.csv'), 'utf8'));
    assert.equal(rows.length, read, 'keys.csv: one row per key read');
    const mdFirst = readFileSync(join(outP, 'report.md'), 'utf8').split('\n')[0];
    assert.ok(mdFirst.includes(String(report.incomplete)), `report.md first line: ${mdFirst}`);
    assert.ok(p.out.startsWith(String(report.incomplete)), p.out);

    // A complete run into the same directory replaces the reports and drops the sidecars.
    const again = await rdbscope(['analyze', SHOP, '--out', outP, '--quiet']);
    assert.equal(again.code, 0, show(again));
    assert.deepEqual(readdirSync(outP).filter((f) => f.endsWith('.INCOMPLETE')), []);

    assert.equal(n.code, 2, show(n));
    assert.match(n.stderr, /offset \d+: /);
    assert.match(n.stderr, /use --partial to write what was read, marked INCOMPLETE/);
    const left = existsSync(outN) ? readdirSync(outN) : [];
    assert.ok(!left.includes('report.json') && !left.includes('keys.csv'), `no report without --partial: ${left.join(', ')}`);
    assert.deepEqual(left.filter((f) => f.startsWith('keys.csv')), [], 'no temporary keys.csv left behind');
  });

  test('a flipped byte in a value: every key read, checksum mismatch; a complete report with --partial, none without', async () => {
    const flipped = Buffer.from(readFileSync(SHOP));
    flipped[flipped.length - 20] ^= 0xff; // in the last value: the parse ends, the checksum does not match
    const f = file('shop-flipped.rdb', flipped);
    const outC = join(tmp, 'partial-checksum');
    const outN = join(tmp, 'checksum-no-partial');
    const [c, n] = await Promise.all([
      rdbscope(['analyze', f, '--out', outC, '--quiet', '--partial']),
      rdbscope(['analyze', f, '--out', outN, '--quiet']),
    ]);
    assert.equal(c.code, 2, show(c));
    const cj = JSON.parse(readFileSync(join(outC, 'report.json'), 'utf8')) as Report & { incomplete?: string };
    assert.equal(cj.incomplete, undefined, 'not INCOMPLETE');
    assert.equal(cj.summary.keys, shopTruth.keys.length);
    const warning = new RegExp(`^checksum mismatch: all ${shopTruth.keys.length} keys read; the file says [0-9a-f]{16}, its bytes give [0-9a-f]{16} \\(CRC-64\\)$`);
    assert.ok(cj.files[0].warnings.some((w) => warning.test(w)), cj.files[0].warnings.join('\n'));
    assert.equal(cj.files[0].checksum, 'mismatch');
    assert.match(readFileSync(join(outC, 'report.md'), 'utf8'), /## File warnings\n\n- checksum mismatch: all \d+ keys read/);
    assert.match(c.out, /^\S.*\n\[file warning\] checksum mismatch: all \d+ keys read/);
    assert.doesNotMatch(c.out, /INCOMPLETE/);
    assert.deepEqual(readdirSync(outC).filter((x) => x.endsWith('.INCOMPLETE')), []);
    assert.equal(n.code, 2, show(n));
    assert.match(n.stderr, /checksum [0-9a-f]{16} \(CRC-64 of the bytes before it\), found [0-9a-f]{16}\n/);
    assert.match(n.stderr, /every key was read but the checksum does not match; use --partial/);
    assert.equal(existsSync(join(outN, 'report.json')), false);
  });

  test('--partial is suggested only where a partial report would hold something', async () => {
    const notRdb = file('not-rdb.txt', Buffer.from('hello, this is no dump\n'));
    const badVersion = Buffer.from(readFileSync(SHOP));
    badVersion.write('0000', 5, 'latin1');
    const firstKeyCut = file('header-only.rdb', readFileSync(SHOP).subarray(0, 120));
    const runs = await Promise.all(
      [notRdb, file('future.rdb', badVersion), firstKeyCut].map((f) => rdbscope(['analyze', f, '--out', join(tmp, 'hint-' + f.split('/').pop()), '--quiet'])),
    );
    for (const r of runs) {
      assert.equal(r.code, 2, show(r));
      assert.doesNotMatch(r.stderr, /--partial/, show(r));
      assert.equal(lines(r.stderr).length, 1, show(r));
    }
    // With --partial and nothing read: no empty report, and it says why.
    const p = await rdbscope(['analyze', firstKeyCut, '--out', join(tmp, 'hint-partial'), '--quiet', '--partial']);
    assert.equal(p.code, 2, show(p));
    assert.match(p.stderr, /no report written \(nothing was read before the error\)/);
    assert.equal(existsSync(join(tmp, 'hint-partial')), false);
  });
});

test('analyze --out that cannot be a directory: one line, exit 1, no hang', { timeout: 60_000 }, async (t) => {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-out-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string, RegExp][] = [
    // node's recursive mkdir spins forever under /proc; the directory is made level by level.
    ['/proc/rdbscope-nope', /^rdbscope: --out \/proc\/rdbscope-nope: cannot create the output directory \(ENOENT/],
    [file, /^rdbscope: --out .*a-file: exists and is not a directory\n$/],
    [join(file, 'below'), /^rdbscope: --out .*below: cannot use it as the output directory \(ENOTDIR/],
  ];
  for (const [out, re] of cases) {
    const r = await runCli(['analyze', SHOP, '-q', '-o', out]);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, re);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
  }
  // merge's report directory and keys' output file say the same in one line.
  const more: [string[], RegExp][] = [
    [['merge', SHOP, SHOP, '-q', '-o', '/proc/rdbscope-nope'], /^rdbscope: --out \/proc\/rdbscope-nope: cannot create the output directory \(ENOENT/],
    [['keys', SHOP, '-q', '-o', dir], /^rdbscope: .* is a directory; give a file name\n$/],
    [['keys', SHOP, '-q', '-o', '/proc/rdbscope-nope'], /^rdbscope: cannot write \/proc\/rdbscope-nope: ENOENT: no such file or directory\n$/],
  ];
  for (const [args, re] of more) {
    const r = await runCli(args);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, re);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
  }
});

test('analyze/merge --out an existing directory nobody may write in: one line before any work, exit 1', { timeout: 60_000 }, async (t) => {
  await ensureBuilt();
  // Root may write in any ordinary directory; sysfs refuses new files to everyone.
  if (!existsSync('/sys/kernel')) return t.skip('no /sys/kernel here to stand for an unwritable directory');
  for (const args of [['analyze', SHOP, '-q', '-o', '/sys/kernel', '--format', 'json'], ['analyze', SHOP, '-q', '-o', '/sys/kernel'], ['merge', SHOP, '-q', '-o', '/sys/kernel']]) {
    const r = await runCli(args);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /^rdbscope: --out \/sys\/kernel: cannot write in the output directory \((EACCES|EPERM|EROFS)[^\n]*\)\n$/, show(r));
    assert.doesNotMatch(r.stderr, /internal error/);
  }
});

test('every report names the server model and allocator its figures assume', { timeout: 60_000 }, async (t) => {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-model-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cases: [string[], string][] = [
    [[], 'Redis 7.0, jemalloc'],
    [['--allocator', 'jemalloc16'], 'Redis 7.0, jemalloc16'],
    [['--redis-version', 'valkey-9.1'], 'Valkey 9.1, jemalloc'],
  ];
  for (const [i, [extra, want]] of cases.entries()) {
    const out = join(dir, String(i));
    const r = await runCli(['analyze', SHOP, '-o', out, ...extra]);
    assert.equal(r.code, 0, show(r));
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    // The headline names the figure it sums and the model.
    assert.match(
      lines(r.out)[0]!,
      new RegExp(`^343 keys, .* real bytes \\(sum of what DEL frees per key; instance estimate .* with tables and baseline; MEMORY USAGE sum .*; ${want}\\)$`),
    );
    assert.deepEqual(report.summary.memoryModels, [want]);
    const [server, allocator] = want.split(', ');
    const m = report.files[0].memoryModel;
    assert.deepEqual({ server: m.server, allocator: m.allocator }, { server, allocator });
    assert.equal(report.summary.bytes + m.tablesBytes + m.startupBytes, report.summary.estimatedUsedMemory);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, new RegExp(`\\| Memory model \\(server, allocator\\) \\| ${want} \\|`));
    assert.match(md, new RegExp(`real bytes\\*\\* \\(what deleting them frees\\) for ${want}`));
    assert.ok(readFileSync(join(out, 'report.html'), 'utf8').includes(want), 'report.html names the model');
  }
  const inputs = [join(dir, '0', 'report.json'), join(dir, '2', 'report.json')];
  // Sums over differently modelled figures mean nothing: refused, one line, exit 2 ...
  const refused = await runCli(['merge', ...inputs, '-o', join(dir, 'refused')]);
  assert.equal(refused.code, 2, show(refused));
  assert.equal(lines(refused.stderr).length, 1, show(refused));
  assert.match(refused.stderr, /different memory models \(Redis 7\.0, jemalloc; Valkey 9\.1, jemalloc\).*--allow-mixed-models/);
  assert.ok(!existsSync(join(dir, 'refused', 'report.json')));
  // ... unless asked for, and then said aloud on stderr and as the first finding.
  const merged = await runCli(['merge', ...inputs, '-o', join(dir, 'merged'), '--allow-mixed-models']);
  assert.equal(merged.code, 0, show(merged));
  assert.match(merged.stderr, /warning: merging figures of different memory models/);
  const mr = JSON.parse(readFileSync(join(dir, 'merged', 'report.json'), 'utf8'));
  assert.deepEqual(mr.summary.memoryModels, ['Redis 7.0, jemalloc', 'Valkey 9.1, jemalloc']);
  assert.equal(mr.findings[0].id, 'mixed-memory-models');
  // Same model: merges without a word.
  const same = await runCli(['merge', join(dir, '0', 'report.json'), join(dir, '0', 'report.json'), '-o', join(dir, 'same')]);
  assert.equal(same.code, 0, show(same));
  assert.equal(same.stderr, '');
  // diff: warns in every format, and on stderr, that byte deltas include the models' difference.
  const jem16 = join(dir, '1', 'report.json');
  const text = await runCli(['diff', join(dir, '0', 'report.json'), jem16]);
  assert.equal(text.code, 0, show(text));
  assert.match(text.out, /WARNING: The reports follow different memory models \(old: Redis 7\.0, jemalloc; new: Redis 7\.0, jemalloc16\): every byte change below includes the difference/);
  assert.match(text.stderr, /warning: The reports follow different memory models/);
  const json = await runCli(['diff', '--json', join(dir, '0', 'report.json'), jem16]);
  assert.match(JSON.parse(json.out).modelWarning, /different memory models/);
  const mdDiff = await runCli(['diff', '--md', join(dir, '0', 'report.json'), jem16]);
  assert.match(mdDiff.out, /\*\*Warning:\*\* The reports follow different memory models/);
  const page = join(dir, 'diff.html');
  const html = await runCli(['diff', '--html', page, join(dir, '0', 'report.json'), jem16]);
  assert.equal(html.code, 0, show(html));
  assert.ok(readFileSync(page, 'utf8').includes('"modelWarning":"The reports follow different memory models'), 'the diff page carries the warning it shows first');
  const plain = await runCli(['diff', '--json', join(dir, '0', 'report.json'), join(dir, '0', 'report.json')]);
  assert.equal(JSON.parse(plain.out).modelWarning, null);
  assert.equal(plain.stderr, '');
});

test('analyze twice into one directory: its own unchanged reports are replaced, anything else is refused', { timeout: 60_000 }, async (t) => {
  await ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-again-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'report');
  const first = await runCli(['analyze', SHOP, '-q', '-o', out]);
  assert.equal(first.code, 0, show(first));
  const again = await runCli(['analyze', SHOP, '-q', '-o', out]);
  assert.equal(again.code, 0, show(again));
  assert.deepEqual(readdirSync(out).sort(), ['.rdbscope-outputs.json', 'keys.csv', 'namespaces.csv', 'report.html', 'report.json', 'report.md']);
  // A report someone edited since, or a file rdbscope did not write, needs --force.
  writeFileSync(join(out, 'report.md'), 'my notes\n');
  const edited = await runCli(['analyze', SHOP, '-q', '-o', out]);
  assert.equal(edited.code, 1, show(edited));
  assert.match(edited.stderr, /^rdbscope: refusing to overwrite .*report\.md \(use --force/);
  assert.equal(readFileSync(join(out, 'report.md'), 'utf8'), 'my notes\n');
  const other = join(dir, 'other');
  mkdirSync(other);
  writeFileSync(join(other, 'report.json'), '{}');
  const foreign = await runCli(['analyze', SHOP, '-q', '-o', other]);
  assert.equal(foreign.code, 1, show(foreign));
  assert.equal((await runCli(['analyze', SHOP, '-q', '-o', other, '--force'])).code, 0);
});
