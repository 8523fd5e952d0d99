/**
 * Edges said aloud: append-only files written by real servers (test/data/aof, made by
 * scripts/make-aof-fixtures.ts) and bytes after an RDB's end. An AOF is named as one (exit 2,
 * one line, no --partial hint); the RDB preamble of an AOF is analysed and the commands after
 * it counted in a file warning that the terminal, report.md and report.html all show.
 */
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ensureBuilt, fixture, repoRoot, runCli, showRun } from './helpers/run-cli.ts';
import type { Report } from '../src/analyze/schema.ts';

const aof = (name: string): string => join(repoRoot, 'test', 'data', 'aof', name);
const AOF_LINE = /: offset 0: this is an append-only file \(AOF\), not an RDB snapshot; rdbscope reads RDB files, e\.g\. the BGSAVE dump or the AOF's RDB preamble base file \(appendonly\.aof\.N\.base\.rdb\)\n$/;

let tmp: string;
before(async () => {
  await ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'rdbscope-aof-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function htmlData(html: string): Report {
  const m = /<script type="application\/json" id="rdbscope-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'report.html embeds its data');
  return (JSON.parse(m[1]) as { report: Report }).report;
}

/** Runs analyze on `file`; the warning must be in report.json, report.md, the page data and the terminal. */
async function warnedEverywhere(file: string, out: string, warning: RegExp): Promise<Report> {
  const r = await runCli(['analyze', file, '--out', out, '-q']);
  assert.equal(r.code, 0, showRun(r));
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  assert.ok(report.files[0].warnings.some((w) => warning.test(w)), `report.json: ${report.files[0].warnings.join(' | ')}`);
  assert.match(r.out, new RegExp(`^\\[file warning\\] ${warning.source.replace(/^\^/, '')}`, 'm'), 'terminal');
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), new RegExp(`^- ${warning.source.replace(/^\^/, '')}`, 'm'), 'report.md');
  const page = htmlData(readFileSync(join(out, 'report.html'), 'utf8'));
  assert.ok(page.files[0].warnings.some((w) => warning.test(w)), 'report.html data');
  return report;
}

describe('append-only files', () => {
  test('the RDB preamble of an AOF (Redis 4.0): analysed, the commands after it counted aloud', async () => {
    const file = aof('preamble-redis-4.0.14.aof');
    const info = await runCli(['info', '--json', file]);
    assert.equal(info.code, 0, showRun(info));
    const i = JSON.parse(info.out) as { bytes: number; trailingBytes: number; keys: number; aux: Record<string, string> };
    assert.equal(i.aux['aof-preamble'], '1');
    assert.ok(i.trailingBytes > 0);
    assert.equal(i.bytes + i.trailingBytes, statSync(file).size);
    const report = await warnedEverywhere(
      file,
      join(tmp, 'preamble'),
      new RegExp(`^offset ${i.bytes}: RDB preamble of an AOF: ${i.trailingBytes} bytes of AOF commands after it not analysed`),
    );
    // The preamble holds what BGREWRITEAOF saw: 20 strings and the list; the 5 later SETs are commands.
    assert.equal(report.summary.keys, 21);
    assert.equal(i.keys, 21);
  });

  test('bytes after the checksum that are no AOF: counted as ignored', async () => {
    const file = join(tmp, 'shop-tail.rdb');
    writeFileSync(file, Buffer.concat([readFileSync(fixture('shop-7.0.rdb')), Buffer.from('garbage after the end\n')]));
    const size = statSync(fixture('shop-7.0.rdb')).size;
    await warnedEverywhere(file, join(tmp, 'tail'), new RegExp(`^offset ${size}: 22 bytes after the end of the RDB \\(EOF opcode and checksum\\) ignored, as Redis ignores them$`));
    // Compressed input too: the count is of decompressed bytes.
    const gz = join(tmp, 'shop-tail.rdb.gz');
    writeFileSync(gz, gzipSync(readFileSync(file)));
    const r = await runCli(['info', gz]);
    assert.equal(r.code, 0, showRun(r));
    assert.match(r.out, new RegExp(`offset ${size}: 22 bytes after the end of the RDB`));
  });

  test('the RDB base file of a Redis 7 multi-part AOF: analysed, with a note on the .incr.aof', async () => {
    await warnedEverywhere(aof('appendonly-7.0.base.rdb'), join(tmp, 'base'), /^the RDB base file of a multi-part AOF: the writes made after it \(in the \.incr\.aof files its manifest names\) are not in it$/);
  });

  test('a plain AOF, an incremental AOF, a manifest: named, exit 2, one line, no --partial hint', async () => {
    const gz = join(tmp, 'plain.aof.gz');
    writeFileSync(gz, gzipSync(readFileSync(aof('plain-7.0.base.aof'))));
    const cases: [string, RegExp][] = [
      [aof('plain-7.0.base.aof'), AOF_LINE],
      [aof('appendonly-7.0.incr.aof'), AOF_LINE],
      [gz, AOF_LINE],
      [aof('appendonly-7.0.aof.manifest'), /: offset 0: this is the manifest of a multi-part append-only file \(AOF, Redis 7\+\), not an RDB snapshot; rdbscope reads RDB files, e\.g\. the BGSAVE dump or the base file the manifest names when it is an RDB \(appendonly\.aof\.N\.base\.rdb\)\n$/],
    ];
    for (const [file, re] of cases) {
      for (const args of [['analyze', file, '--out', join(tmp, 'aof-out'), '-q'], ['info', file], ['keys', file, '-q']]) {
        const r = await runCli(args);
        assert.equal(r.code, 2, showRun(r));
        assert.ok(r.stderr.startsWith(file), showRun(r));
        assert.match(r.stderr, re, args.join(' '));
        assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
      }
    }
  });
});
