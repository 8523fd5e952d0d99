import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { Aggregator } from '../src/analyze/aggregate.ts';
import { RecordFiller, makeFileInfo, makeRecord, type RecordSpec } from './helpers/record.ts';
import { csvField, keysCsvHeader, keysCsvRow, KEYS_CSV_COLUMNS } from '../src/report/csv.ts';
import { CsvRowStage } from '../src/report/csv-row.ts';
import { keyJsonl } from '../src/report/jsonl.ts';
import { escapeMarkdown, mdCode, reportToMarkdown } from '../src/report/markdown.ts';
import { KeyRedactor, keyHash, redactReport } from '../src/analyze/redact.ts';
import { keyBytes } from '../src/core/keyname.ts';
import { namespacesCsv } from '../src/report/namespaces-csv.ts';
import { parseReport, reportToJson } from '../src/report/json.ts';
import { KeysCsvWriter, LineWriter, OutputExistsError, checkOutputs, parseFormats, plannedOutputs, writeReports } from '../src/report/write.ts';
import type { Report } from '../src/analyze/schema.ts';

const HOSTILE: (string | Uint8Array)[] = [
  'plain:key',
  'comma,key',
  'quote"key"',
  'line\nbreak',
  'cr\rkey',
  '=HYPERLINK("http://x","y")',
  '=cmd|\' /C calc\'!A0',
  '+1+1',
  '-2',
  '@SUM(A1)',
  '\tTAB',
  "'already-quoted",
  '',
  '用户:ünïcödé:😀',
  'pipe|and`backtick`<script>*_[x](y)',
  new Uint8Array([0x62, 0x69, 0x6e, 0x3a, 0xff, 0xfe, 0x2c, 0x22, 0x0a]),
  new Uint8Array([0x3d, 0x80]),
  new Uint8Array([0xc3]),
];

const asBytes = (k: string | Uint8Array): Uint8Array => (typeof k === 'string' ? new Uint8Array(Buffer.from(k, 'utf8')) : k);

function sampleReport(specs: RecordSpec[], opts = {}): Report {
  const agg = new Aggregator({ nowMs: 1_700_000_000_000, ...opts });
  const f = new RecordFiller();
  const info = makeFileInfo({ ctimeS: 1_700_000_000, usedMem: 123456 });
  agg.beginFile('dump|1.rdb', info);
  for (const s of specs) agg.add(f.fill(s));
  agg.addFile(info, 'dump|1.rdb', 999999);
  return agg.toReport();
}

/** The text outside inline code spans (a run of n backticks up to the next run of exactly n). */
function outsideCode(md: string): string {
  let out = '';
  let i = 0;
  while (i < md.length) {
    if (md[i] !== '`') {
      out += md[i++];
      continue;
    }
    let n = 0;
    while (md[i + n] === '`') n++;
    const fence = '`'.repeat(n);
    let j = i + n;
    let close = -1;
    while ((j = md.indexOf(fence, j)) >= 0) {
      if (md[j + n] !== '`' && md[j - 1] !== '`') {
        close = j;
        break;
      }
      j += n;
    }
    if (close < 0) {
      out += fence;
      i += n;
    } else i = close + n;
  }
  return out;
}

function hostileSpecs(): RecordSpec[] {
  return HOSTILE.map((k, i) => ({ key: k, memoryBytes: 1000 - i, type: i % 3 === 0 ? 'list' : 'string', length: i % 3 === 0 ? 20000 + i : 5, expireAtMs: i % 2 ? 1_700_000_000_000 + i * 1000 : -1 }));
}

describe('keys.csv', () => {
  test('header', () => {
    assert.ok(keysCsvHeader().startsWith('database,type,key,size_in_bytes,encoding,num_elements,len_largest_element,expiry'));
    assert.deepEqual(keysCsvHeader().trim().split(','), [...KEYS_CSV_COLUMNS]);
  });

  test('hostile and binary keys round-trip through papaparse', () => {
    const f = new RecordFiller();
    let csv = keysCsvHeader();
    for (const [i, k] of HOSTILE.entries()) csv += keysCsvRow(f.fill({ key: k, db: i % 2, memoryBytes: 100 + i, length: i, expireAtMs: i === 3 ? 1_700_000_000_123 : -1 }));
    const parsed = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true });
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.data.length, HOSTILE.length);
    for (const [i, k] of HOSTILE.entries()) {
      const row = parsed.data[i];
      const bytes = row['key_b64'] !== '' ? new Uint8Array(Buffer.from(row['key_b64'], 'base64')) : new Uint8Array(Buffer.from(row['key'], 'utf8'));
      assert.deepEqual([...bytes], [...asBytes(k)], `key ${i}`);
      assert.ok(!/^[=+\-@\t\r]/.test(row['key']), `key ${i} is neutralised: ${JSON.stringify(row['key'])}`);
      assert.equal(row['size_in_bytes'], String(100 + i));
      assert.equal(row['database'], String(i % 2));
    }
    assert.equal(parsed.data[3]['expiry'], '2023-11-14T22:13:20.123Z');
    assert.equal(parsed.data[3]['expire_at_ms'], '1700000000123');
    assert.equal(parsed.data[0]['expiry'], '');
    assert.equal(parsed.data[0]['key_b64'], '', 'exact keys carry no base64');
    assert.equal(parsed.data[5]['key'], '\'=HYPERLINK("http://x","y")');
  });

  test('streamed keys.csv rows (WebAssembly for the common row, JS for the rest): numbers and dates as String() and toISOString() write them, in order', () => {
    // Values on both sides of the writer's fast paths (digit counts, 2^31, 2^53, the fast
    // date range, field cache slots), keys that need quoting or a formula guard.
    const nums = [0, 7, 9, 10, 99, 100, 12345, 99999999, 1e8, 2 ** 32 - 1, 2 ** 32, 1e15 + 1, 2 ** 53 - 1, 2 ** 53, 1.5, -1, -7, NaN];
    const exps = [-1, 0, 999, 86_399_999, 86_400_000, 951_782_400_000, 1_700_000_000_123, 4_107_542_399_999, 253_402_300_799_999,
      253_402_300_800_000, -2, 1.5, 8.64e15, 9e15];
    const keys: (string | Uint8Array)[] = [...HOSTILE, 'a', 'exactly8', 'nine:byte', 'user:1000:session:abcdef', 'x'.repeat(4096), 'y'.repeat(4097), 'tab\tinside', 'end,'];
    const names = ['string', 'listpack', 'a,b', 'q"uote', '=f', 'n'.repeat(31), 'n'.repeat(32), ...Array.from({ length: 70 }, (_, i) => `enc${i}`)];
    let seed = 42;
    const pick = <T,>(xs: T[]): T => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return xs[seed % xs.length]!;
    };
    const specs: RecordSpec[] = [];
    for (let i = 0; i < 6000; i++) {
      specs.push({
        key: pick(keys), db: pick([0, 1, 15, 2 ** 31, 2 ** 32 + 5]), encoding: pick(names),
        memoryBytes: pick(nums), length: pick(nums), largestElement: pick(nums), expireAtMs: pick(exps),
      });
    }
    const dir = mkdtempSync(join(tmpdir(), 'rdbscope-rows-'));
    try {
      const path = join(dir, 'keys.csv');
      const w = KeysCsvWriter.open(path);
      const f = new RecordFiller();
      for (const s of specs) w.write(f.fill(s));
      assert.equal(w.rows, specs.length);
      w.close();
      const parsed = Papa.parse<Record<string, string>>(readFileSync(path, 'utf8'), { header: true, skipEmptyLines: true });
      assert.deepEqual(parsed.errors, []);
      assert.equal(parsed.data.length, specs.length);
      specs.forEach((s, i) => {
        const row = parsed.data[i]!;
        const exp = s.expireAtMs!;
        const want = {
          database: String(s.db), type: 'string', size_in_bytes: String(s.memoryBytes), encoding: s.encoding,
          num_elements: String(s.length), len_largest_element: s.largestElement! >= 0 ? String(s.largestElement) : '',
          expiry: exp === -1 || Math.abs(exp) > 8.64e15 ? '' : new Date(exp).toISOString(), expire_at_ms: exp === -1 ? '' : String(exp),
        };
        const got = Object.fromEntries(Object.keys(want).map((c) => [c, c === 'encoding' ? row[c]!.replace(/^'/, '') : row[c]]));
        assert.deepEqual(got, want, `row ${i}`);
        const bytes = row['key_b64'] !== '' ? Buffer.from(row['key_b64']!, 'base64') : Buffer.from(row['key']!, 'utf8');
        assert.deepEqual([...bytes], [...asBytes(s.key)], `key of row ${i}`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The module takes the common row itself and declines the rest without staging anything.
    const stage = new CsvRowStage(csvField);
    const got: Uint8Array[] = [];
    const sink = { put: (b: Uint8Array, lines: number) => got.push(b.slice(), new Uint8Array([lines])) };
    const plain = makeRecord({ key: 'cache:item:42', memoryBytes: 72, length: 5, expireAtMs: 1_700_000_000_123 });
    assert.equal(stage.add(plain, sink), true);
    assert.equal(stage.add(makeRecord({ key: 'comma,key' }), sink), false);
    assert.equal(stage.add(makeRecord({ key: '=formula' }), sink), false);
    assert.equal(stage.add(makeRecord({ key: 'k', memoryBytes: 1.5 }), sink), false);
    assert.equal(stage.staged, 1);
    stage.drain(sink);
    assert.equal(Buffer.from(got[0]!).toString(), keysCsvRow(plain));
    assert.deepEqual([...got[1]!], [1]);
  });

  test('expiry out of Date range is left empty', () => {
    const row = keysCsvRow(makeRecord({ key: 'k', expireAtMs: 9e15 })).trim().split(',');
    assert.equal(row[7], '');
    assert.equal(row[8], '9000000000000000');
  });

  test('redacted rows carry no key bytes', () => {
    const red = new KeyRedactor();
    const row = keysCsvRow(makeRecord({ key: 'session:ab12cd34ef56ab12cd34ef56ab12cd34' }), red);
    const cells = Papa.parse<string[]>(row).data[0];
    const h = createHash('sha256').update('session:ab12cd34ef56ab12cd34ef56ab12cd34').digest('hex').slice(0, 8);
    assert.equal(cells[2], `session:*#${h}`);
    assert.equal(cells[9], '');
  });
});

describe('keys JSONL', () => {
  test('text, binary, null expiry', () => {
    const a = JSON.parse(keyJsonl(makeRecord({ key: 'a"b\n', memoryBytes: 72, length: 5, largestElement: 5 })));
    assert.deepEqual(a, { db: 0, key: 'a"b\n', type: 'string', encoding: 'embstr', memory_bytes: 72, real_bytes: 72, length: 5, largest_element_bytes: 5, expire_at_ms: null });
    const b = JSON.parse(keyJsonl(makeRecord({ key: new Uint8Array([0xff, 0x00]), expireAtMs: 5 })));
    assert.equal(b.key, undefined);
    assert.equal(b.key_b64, '/wA=');
    assert.equal(b.expire_at_ms, 5);
    const u = JSON.parse(keyJsonl(makeRecord({ key: '用户' })));
    assert.equal(u.key, '用户');
  });
});

describe('markdown', () => {
  test('escaping', () => {
    // A newline becomes a visible backslash-n (a backslash before a letter is literal in Markdown).
    assert.equal(escapeMarkdown('a|b*c_d[e]<f>`g`\\h\ni'), 'a\\|b\\*c\\_d\\[e\\]\\<f\\>\\`g\\`\\\\h\\ni');
    assert.equal(mdCode('a|b'), '`a\\|b`');
    assert.equal(mdCode('x`y'), '``x`y``');
    assert.equal(mdCode('`start'), '`` `start ``');
    assert.equal(mdCode('line\nbreak'), '`line\\nbreak`');
    assert.equal(mdCode(''), '*(empty)*');
    assert.ok(mdCode('x'.repeat(500)).length < 130);
  });

  test('tables stay well-formed with hostile keys', () => {
    const r = sampleReport(hostileSpecs(), { queueThreshold: 10000 });
    const md = reportToMarkdown(r);
    const lines = md.split('\n');
    // Every table row has as many unescaped pipes as its header.
    let width = -1;
    for (const line of lines) {
      if (!line.startsWith('|')) {
        width = -1;
        continue;
      }
      const cells = line.replace(/\\\\/g, '').replace(/\\\|/g, '').split('|').length;
      if (width === -1) width = cells;
      else assert.equal(cells, width, `row ${JSON.stringify(line)}`);
    }
    assert.ok(!outsideCode(md).includes('<script>'), 'raw HTML only ever inside code spans');
    assert.ok(md.includes('<script>'));
    assert.ok(!/\r/.test(md));
    assert.ok(md.includes('`pipe\\|and'), md);
    assert.match(md, /## Findings/);
    assert.match(md, /## Top namespaces/);
    assert.match(md, /## Keys without TTL/);
    assert.match(md, /## Queues/);
    assert.match(md, /## Big keys/);
    assert.match(md, /dump\\\|1\.rdb/);
  });
});

describe('redaction', () => {
  test('stable short hash of the key bytes', () => {
    const key = new Uint8Array(Buffer.from('session:ab12'));
    assert.equal(keyHash(key), createHash('sha256').update(key).digest('hex').slice(0, 8));
    const red = new KeyRedactor();
    assert.equal(red.redact(key), red.redact(new Uint8Array(Buffer.from('session:ab12'))));
    assert.match(red.redact(new Uint8Array(Buffer.from('user:john@example.com:cart'))), /^user:\*:cart#[0-9a-f]{8}$/);
    assert.match(red.redact(new Uint8Array(Buffer.from('12345'))), /^<number>#[0-9a-f]{8}$/);
  });

  test('a redacted report names no key', () => {
    const specs: RecordSpec[] = [];
    for (let i = 0; i < 20; i++) specs.push({ key: `session:secret${i}x`, memoryBytes: 100 + i });
    specs.push({ key: 'cache:product:1', memoryBytes: 5000, type: 'list', length: 50000 });
    specs.push({ key: new Uint8Array([0x73, 0x3a, 0xff]), memoryBytes: 6000 });
    const r = sampleReport(specs, { maxChildren: 5 });
    const red = redactReport(r);
    assert.equal(red.redacted, true);
    assert.equal(r.redacted, false, 'input untouched');
    const json = reportToJson(red);
    assert.ok(!json.includes('secret'), 'no key text left');
    assert.ok(!json.includes('"keyB64": "'), 'no key bytes left');
    const h = createHash('sha256').update('cache:product:1').digest('hex').slice(0, 8);
    assert.ok(red.queues.some((q) => q.key === `cache:product:*#${h}`));
    // One token per key: the one keys.csv gives it, wherever the key is listed.
    const redactor = new KeyRedactor(r.options);
    for (const [i, k] of r.bigKeys.entries()) assert.equal(red.bigKeys[i].key, redactor.redact(keyBytes(k.key, k.keyB64)));
    for (const [i, t] of r.types.entries()) assert.equal(red.types[i].biggest?.key, t.biggest && redactor.redact(keyBytes(t.biggest.key, t.biggest.keyB64)));
    assert.ok(!reportToMarkdown(red).includes('secret'));
    assert.ok(!namespacesCsv(red).includes('secret'));
    assert.equal(redactReport(red), red, 'idempotent');
  });
});

describe('namespaces.csv and report.json', () => {
  test('namespaces.csv parses back, formulas neutralised', () => {
    const r = sampleReport([
      { key: '=evil:1', memoryBytes: 10 },
      { key: 'ok:1', memoryBytes: 20 },
      { key: '-x,"y"', memoryBytes: 5 },
    ]);
    const rows = Papa.parse<Record<string, string>>(namespacesCsv(r), { header: true, skipEmptyLines: true });
    assert.deepEqual(rows.errors, []);
    assert.deepEqual(
      rows.data.map((x) => [x['pattern'], x['keys'], x['bytes']]),
      [
        ['ok:*', '1', '20'],
        ["'=evil:*", '1', '10'],
        ['\'-x,"y"', '1', '5'],
      ],
    );
  });

  test('report.json round trip and validation', () => {
    const r = sampleReport(hostileSpecs());
    assert.deepEqual(parseReport(reportToJson(r)), JSON.parse(JSON.stringify(r)));
    assert.throws(() => parseReport('{'), /not JSON/);
    assert.throws(() => parseReport('{"schema":"x"}'), /not an rdbscope report/);
    assert.throws(() => parseReport(JSON.stringify({ ...r, schemaVersion: 3 })), /version 3 is not supported/);
    assert.throws(() => parseReport(JSON.stringify({ ...r, schemaVersion: 1 })), /version 1 is not supported.*MEMORY USAGE, not real bytes/);
    const partial: Record<string, unknown> = { ...r };
    delete partial['namespaces'];
    assert.throws(() => parseReport(JSON.stringify(partial)), /no namespaces section/);
    // Sections the issue requires.
    for (const k of ['namespaces', 'bigKeys', 'noTtl', 'queues', 'databases', 'types', 'findings']) assert.ok(k in r, k);
    for (const n of r.namespaces) for (const f of ['pattern', 'keys', 'bytes', 'noTtlKeys', 'noTtlBytes']) assert.ok(f in n);
    for (const e of [...r.bigKeys, ...r.queues]) for (const f of ['db', 'key', 'type', 'length', 'bytes']) assert.ok(f in e);
  });
});

describe('writing', () => {
  test('formats', () => {
    assert.deepEqual(parseFormats('all'), ['json', 'csv', 'md', 'html']);
    assert.deepEqual(parseFormats('html'), ['html']);
    assert.deepEqual(parseFormats('md,json'), ['json', 'md']);
    assert.deepEqual(parseFormats('markdown'), ['md']);
    assert.deepEqual(parseFormats('all,openmetrics'), ['json', 'csv', 'md', 'html', 'openmetrics']);
    assert.deepEqual(parseFormats('prometheus'), ['openmetrics']);
    assert.throws(() => parseFormats('xml'), /expected all, json, csv, md, html or openmetrics/);
  });

  test('writes the reports, refuses to overwrite unless forced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdbscope-report-'));
    try {
      const r = sampleReport(hostileSpecs());
      const written = writeReports(r, join(dir, 'out'), ['json', 'csv', 'md']);
      assert.deepEqual(
        written.map((p) => p.slice(dir.length + 5)),
        ['report.json', 'namespaces.csv', 'report.md'],
      );
      assert.deepEqual(parseReport(readFileSync(written[0], 'utf8')).summary, r.summary);
      assert.throws(() => writeReports(r, join(dir, 'out'), ['md']), (e: unknown) => e instanceof OutputExistsError && /refusing to overwrite .*report\.md \(use --force/.test(e.message));
      writeReports(r, join(dir, 'out'), ['md'], { force: true, redact: true });
      assert.match(readFileSync(join(dir, 'out', 'report.md'), 'utf8'), /key names redacted/);
      const planned = plannedOutputs(join(dir, 'out'), ['csv'], true);
      assert.throws(() => checkOutputs(planned, false), OutputExistsError);
      checkOutputs([join(dir, 'out', 'keys.csv')], false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('KeysCsvWriter streams rows in chunks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rdbscope-keys-'));
    try {
      const path = join(dir, 'keys.csv');
      const w = KeysCsvWriter.open(path);
      const f = new RecordFiller();
      for (let i = 0; i < 30000; i++) w.write(f.fill({ key: `k:${i},x`, memoryBytes: i }));
      w.close();
      assert.equal(w.rows, 30000);
      const rows = Papa.parse<Record<string, string>>(readFileSync(path, 'utf8'), { header: true, skipEmptyLines: true });
      assert.equal(rows.data.length, 30000);
      assert.equal(rows.data[29999]['key'], 'k:29999,x');
      assert.throws(() => KeysCsvWriter.open(path), OutputExistsError);
      writeFileSync(path, 'old');
      KeysCsvWriter.open(path, { force: true }).close();
      assert.equal(readFileSync(path, 'utf8'), keysCsvHeader());
      const lw = LineWriter.open(join(dir, 'x.txt'));
      lw.write('a\n');
      lw.close();
      assert.ok(existsSync(join(dir, 'x.txt')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
