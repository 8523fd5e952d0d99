import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aggregator } from '../src/analyze/aggregate.ts';
import { RecordFiller, makeFileInfo, type RecordSpec } from './helpers/record.ts';
import { OTHER_NAMESPACE, escapeLabelValue, openMetricsText } from '../src/report/openmetrics.ts';
import { parseReport } from '../src/report/json.ts';
import type { Report } from '../src/analyze/schema.ts';
import { ensureBuilt, fixture, runCli, showRun } from './helpers/run-cli.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A reader of the exposition written for this test (not the module's code run backwards): the
 * samples with their label values unescaped, checking HELP/TYPE come before each family.
 */
function parseExposition(text: string): Sample[] {
  assert.ok(text.endsWith('# EOF\n'), 'ends with # EOF');
  const lines = text.slice(0, -1).split('\n');
  const typed = new Set<string>();
  const samples: Sample[] = [];
  for (const line of lines) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        assert.equal(meta[3], 'gauge');
        typed.add(meta[2]);
      }
      continue;
    }
    if (line === '# EOF') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/s.exec(line);
    assert.ok(m, `sample line: ${JSON.stringify(line)}`);
    assert.ok(typed.has(m[1]), `${m[1]} has a TYPE line before its samples`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const body = m[2].slice(1, -1);
      let i = 0;
      while (i < body.length) {
        const n = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(body.slice(i));
        assert.ok(n, `label at ${i} of ${JSON.stringify(body)}`);
        i += n[0].length;
        let v = '';
        for (;;) {
          const c = body[i++];
          assert.ok(c !== undefined, 'unterminated label value');
          assert.notEqual(c, '\n');
          if (c === '"') break;
          if (c === '\\') {
            const e = body[i++];
            assert.ok(e === '\\' || e === '"' || e === 'n', `escape \\${e}`);
            v += e === 'n' ? '\n' : e;
          } else v += c;
        }
        assert.equal(labels[n[1]], undefined, `label ${n[1]} repeated`);
        labels[n[1]] = v;
        if (body[i] === ',') i++;
      }
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  const ids = samples.map((s) => s.name + JSON.stringify(Object.entries(s.labels).sort()));
  assert.equal(new Set(ids).size, ids.length, 'no series twice');
  return samples;
}

const pick = (samples: Sample[], name: string, where: Record<string, string> = {}): Sample[] =>
  samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
const value = (samples: Sample[], name: string, where: Record<string, string> = {}): number => {
  const found = pick(samples, name, where);
  assert.equal(found.length, 1, `one ${name} ${JSON.stringify(where)}`);
  return found[0].value;
};
const sum = (samples: Sample[], name: string): number => pick(samples, name).reduce((a, s) => a + s.value, 0);

const HOSTILE_KEYS: (string | Uint8Array)[] = [
  'quote"key',
  'back\\slash',
  'line\nbreak:1',
  'cr\rkey',
  'brace}",evil="1',
  '# EOF',
  '用户:ünïcödé:😀',
  new Uint8Array([0x62, 0x69, 0x6e, 0x3a, 0xff, 0xfe, 0x22, 0x0a]),
];

/** A namespace word for `i` without digits (letters mixed with digits would fold into `*`). */
const word = (i: number): string => `ns${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}`;

function hostileReport(): Report {
  const agg = new Aggregator({ nowMs: 1_700_000_000_000, queueThreshold: 10 });
  const f = new RecordFiller();
  const info = makeFileInfo({ ctimeS: 1_700_000_000, usedMem: 123456 });
  agg.beginFile('dumps/na"me\\\n.rdb', info);
  const specs: RecordSpec[] = HOSTILE_KEYS.map((key, i) => ({ key, db: i % 2, type: i % 2 ? 'list' : 'stream', length: 100 + i, memoryBytes: 5000 + i, streamGroups: i % 2 ? 0 : 1, streamMaxPending: i % 2 ? 0 : 50 + i, expireAtMs: i % 3 ? -1 : 1_700_000_100_000 }));
  for (let i = 0; i < 300; i++) specs.push({ key: `${word(i % 150)}:item:${i}`, memoryBytes: 100 + i, expireAtMs: i % 4 ? -1 : 1_700_000_100_000 });
  for (const s of specs) agg.add(f.fill(s));
  agg.addFile(info, 'dumps/na"me\\\n.rdb', 999999, { server: 'Redis 7.0', allocator: 'jemalloc' });
  return agg.toReport();
}

/** `promtool check metrics` on `text`: null when promtool is absent, else its exit code and output. */
function promtool(text: string): { code: number | null; output: string } | null {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) return null;
  return { code: r.status, output: r.stdout + r.stderr };
}

/** The strict OpenMetrics parser of Python's prometheus_client (Debian python3-prometheus-client), or null when absent. */
function openMetricsParse(text: string): { code: number | null; output: string } | null {
  const script = 'import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as p\nprint(sum(len(f.samples) for f in p(sys.stdin.read())))';
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', script], { input: text, encoding: 'utf8' });
    if (r.error || /No module named/.test(r.stderr)) continue;
    return { code: r.status, output: r.stdout + r.stderr };
  }
  return null;
}

describe('openMetricsText', () => {
  test('label values: backslash, double quote and line feed escaped, nothing else touched', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd\re}{,='), 'a\\\\b\\"c\\nd\re}{,=');
    assert.equal(escapeLabelValue('ok:ünï😀'), 'ok:ünï😀');
    assert.equal(escapeLabelValue('lone\uD800'), 'lone\uFFFD');
  });

  test('figures equal the report, sums over labels equal the totals, hostile names come back exact', () => {
    const r = hostileReport();
    const text = openMetricsText(r, { env: 'pr"od\\\n}' });
    const s = parseExposition(text);
    for (const x of s) assert.equal(x.labels.env, 'pr"od\\\n}', `${x.name} carries the user label`);
    assert.equal(value(s, 'rdbscope_keys'), r.summary.keys);
    assert.equal(value(s, 'rdbscope_key_bytes'), r.summary.bytes);
    assert.equal(value(s, 'rdbscope_no_ttl_keys'), r.summary.noTtlKeys);
    assert.equal(value(s, 'rdbscope_no_ttl_bytes'), r.summary.noTtlBytes);
    assert.equal(value(s, 'rdbscope_estimated_used_memory_bytes'), r.summary.estimatedUsedMemory);
    assert.equal(value(s, 'rdbscope_used_memory_at_save_bytes'), 123456);
    assert.equal(value(s, 'rdbscope_snapshot_timestamp_seconds'), 1_700_000_000);
    assert.equal(value(s, 'rdbscope_report_complete'), 1);
    assert.equal(value(s, 'rdbscope_namespaces'), r.namespaces.length);
    assert.ok(r.namespaces.length > 100, `enough namespaces to hit the default cap (${r.namespaces.length})`);
    // The default cap: 100 namespaces plus <other>, adding up to the totals.
    assert.equal(pick(s, 'rdbscope_namespace_bytes').length, 101);
    for (const [metric, total] of [
      ['rdbscope_namespace_keys', r.summary.keys],
      ['rdbscope_namespace_bytes', r.summary.bytes],
      ['rdbscope_namespace_no_ttl_keys', r.summary.noTtlKeys],
      ['rdbscope_namespace_no_ttl_bytes', r.summary.noTtlBytes],
    ] as const)
      assert.equal(sum(s, metric), total, metric);
    for (const n of r.namespaces.slice(0, 100)) {
      assert.equal(value(s, 'rdbscope_namespace_bytes', { namespace: n.pattern }), n.bytes);
      assert.equal(value(s, 'rdbscope_namespace_no_ttl_keys', { namespace: n.pattern }), n.noTtlKeys);
    }
    assert.equal(value(s, 'rdbscope_namespace_keys', { namespace: OTHER_NAMESPACE }), r.namespaces.slice(100).reduce((a, n) => a + n.keys, 0));
    for (const d of r.databases) {
      assert.equal(value(s, 'rdbscope_db_keys', { db: String(d.db) }), d.keys);
      assert.equal(value(s, 'rdbscope_db_no_ttl_bytes', { db: String(d.db) }), d.noTtlBytes);
    }
    for (const t of r.types) assert.equal(value(s, 'rdbscope_type_bytes', { type: t.type }), t.bytes);
    // Every hostile key is a queue here; its label reads back as the report's key text.
    assert.equal(r.queues.length, HOSTILE_KEYS.length);
    for (const q of r.queues) {
      assert.equal(value(s, 'rdbscope_queue_length', { key: q.key, db: String(q.db), type: q.type }), q.length);
      if (q.pending !== null) assert.equal(value(s, 'rdbscope_queue_pending', { key: q.key }), q.pending);
    }
    assert.equal(pick(s, 'rdbscope_queue_pending').length, r.queues.filter((q) => q.pending !== null).length);
    assert.ok(r.queues.some((q) => q.key.includes('"')) && r.queues.some((q) => q.key.includes('\n')) && r.queues.some((q) => q.key.includes('\\x')));
    const info = pick(s, 'rdbscope_file_info');
    assert.equal(info.length, 1);
    assert.deepEqual(
      { ...info[0].labels, env: undefined },
      { env: undefined, file: 'dumps/na"me\\\n.rdb', server: 'redis', version: r.files[0].producerVersion, rdb_version: String(r.files[0].rdbVersion), model: 'Redis 7.0', allocator: 'jemalloc' },
    );
    assert.equal(value(s, 'rdbscope_file_keys', { file: 'dumps/na"me\\\n.rdb' }), r.summary.keys);
  });

  test('the cap option, the report-s own labels, an incomplete report, bad label names', () => {
    const r = hostileReport();
    const labelled = { ...r, labels: { cluster: 'eu-1', env: 'from-report' } } as Report;
    const s = parseExposition(openMetricsText(labelled, { env: 'given' }, { maxNamespaces: 3 }));
    assert.equal(pick(s, 'rdbscope_namespace_keys').length, 4);
    assert.equal(sum(s, 'rdbscope_namespace_bytes'), r.summary.bytes);
    for (const x of s) assert.deepEqual([x.labels.cluster, x.labels.env], ['eu-1', 'given']);
    const partial = parseExposition(openMetricsText({ incomplete: 'INCOMPLETE: stopped at offset 9', ...r } as Report));
    assert.equal(value(partial, 'rdbscope_report_complete'), 0);
    assert.throws(() => openMetricsText(r, { '1x': 'a' }), /label "1x"/);
    assert.throws(() => openMetricsText(r, { __name__: 'a' }), /reserved/);
    assert.throws(() => openMetricsText(r, { namespace: 'a' }), /sets it itself/);
    assert.throws(() => openMetricsText(r, {}, { maxNamespaces: 0 }), /positive integer/);
  });

  test('a real namespace named like the <other> bucket folds into it (no series twice, sums exact)', () => {
    const agg = new Aggregator({ nowMs: 1_700_000_000_000 });
    const f = new RecordFiller();
    const info = makeFileInfo({ ctimeS: 1_700_000_000 });
    agg.beginFile('x.rdb', info);
    for (const [key, memoryBytes] of [['<other>', 9000], ['a:1', 10], ['b:1', 20], ['c:1', 30]] as const) agg.add(f.fill({ key, memoryBytes }));
    agg.addFile(info, 'x.rdb');
    const r = agg.toReport();
    assert.equal(r.namespaces[0].pattern, OTHER_NAMESPACE);
    const s = parseExposition(openMetricsText(r, {}, { maxNamespaces: 2 }));
    assert.equal(value(s, 'rdbscope_namespace_bytes', { namespace: OTHER_NAMESPACE }), r.namespaces[0].bytes + r.namespaces.slice(2).reduce((a, n) => a + n.bytes, 0));
    assert.equal(sum(s, 'rdbscope_namespace_bytes'), r.summary.bytes);
  });

  test('promtool check metrics accepts the export of hostile names', (t) => {
    const res = promtool(openMetricsText(hostileReport(), { env: 'a"b\\c\nd' }));
    if (res === null) return t.skip('promtool not installed (Debian package prometheus; .ci/run installs it)');
    assert.equal(res.code, 0, res.output);
    assert.equal(res.output.trim(), '', 'no lint problems');
  });

  test('the strict OpenMetrics parser (prometheus_client) reads the export of hostile names', (t) => {
    const text = openMetricsText(hostileReport(), { env: 'a"b\\c\nd' });
    const res = openMetricsParse(text);
    if (res === null) return t.skip('python3 prometheus_client not installed (Debian package python3-prometheus-client; .ci/run installs it)');
    assert.equal(res.code, 0, res.output);
    assert.equal(Number(res.output.trim()), parseExposition(text).length);
  });
});

describe('analyze --format openmetrics', () => {
  test('metrics.prom beside report.json with equal figures, accepted by promtool; -o - to stdout', async (t) => {
    await ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'rdbscope-om-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'r');
    const run = await runCli(['analyze', fixture('shop-7.0.rdb'), '-q', '-o', out, '--format', 'json,openmetrics', '--metrics-max-namespaces', '5']);
    assert.equal(run.code, 0, showRun(run));
    assert.deepEqual(readdirSync(out).sort(), ['.rdbscope-outputs.json', 'metrics.prom', 'report.json'], 'no temporary file left');
    const r = parseReport(readFileSync(join(out, 'report.json'), 'utf8'));
    const text = readFileSync(join(out, 'metrics.prom'), 'utf8');
    const s = parseExposition(text);
    assert.equal(value(s, 'rdbscope_keys'), r.summary.keys);
    assert.equal(value(s, 'rdbscope_key_bytes'), r.summary.bytes);
    assert.equal(value(s, 'rdbscope_estimated_used_memory_bytes'), r.summary.estimatedUsedMemory);
    assert.equal(pick(s, 'rdbscope_namespace_bytes').length, 6);
    assert.equal(sum(s, 'rdbscope_namespace_no_ttl_bytes'), r.summary.noTtlBytes);
    for (const q of r.queues) assert.equal(value(s, 'rdbscope_queue_length', { key: q.key }), q.length);
    assert.equal(pick(s, 'rdbscope_file_info')[0].labels.version, r.files[0].producerVersion);

    // A second run replaces its own metrics.prom without --force.
    const again = await runCli(['analyze', fixture('shop-7.0.rdb'), '-q', '-o', out, '--format', 'json,openmetrics', '--metrics-max-namespaces', '5']);
    assert.equal(again.code, 0, showRun(again));

    const piped = await runCli(['analyze', fixture('shop-7.0.rdb'), '-q', '-o', '-', '--format', 'openmetrics', '--metrics-max-namespaces', '5']);
    assert.equal(piped.code, 0, showRun(piped));
    assert.equal(piped.out, text);
    assert.equal(existsSync(join(repoDash())), false);

    const refused = await runCli(['analyze', fixture('shop-7.0.rdb'), '-q', '-o', '-', '--format', 'json,openmetrics']);
    assert.equal(refused.code, 1, showRun(refused));
    assert.match(refused.stderr, /only --format openmetrics can go to stdout/);
  });

  test('promtool check metrics accepts the export of a real dump', async (t) => {
    if (promtool('# EOF\n') === null) return t.skip('promtool not installed (Debian package prometheus; .ci/run installs it)');
    await ensureBuilt();
    const run = await runCli(['analyze', fixture('incident-7.0.rdb'), '-q', '-o', '-', '--format', 'openmetrics', '--queue-threshold', '1']);
    assert.equal(run.code, 0, showRun(run));
    assert.ok(parseExposition(run.out).some((x) => x.name === 'rdbscope_queue_length'));
    const check = promtool(run.out)!;
    assert.equal(check.code, 0, check.output);
    assert.equal(check.output.trim(), '');
  });
});

/** `-o -` must not create a directory named `-` (in the CLI's working directory, the repo root). */
function repoDash(): string {
  return join(fixture('..'), '-');
}
