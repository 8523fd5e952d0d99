/**
 * `rdbscope merge <report.json>…`: one report from the reports of cluster shards, exactly as
 * if the shards had been analysed together (`mergeReports`: sums, namespaces merged with the
 * same collapsing rules, top lists re-ranked, file sections concatenated, findings
 * recomputed). An input that is not a JSON report is taken for an RDB file and analysed first,
 * with the options of the JSON reports among the inputs.
 *
 * Inputs may be directories (every report.json beneath) or quoted globs (cli/inputs.ts).
 *
 * Output (`--out`):
 *   absent or `-`          one format on stdout (json unless --format says md, html or csv)
 *   a file ending in .json, .md, .html or .csv: that format into that file
 *   anything else          a directory, written like `analyze --out` (--format, default all;
 *                          namespaces.csv but no keys.csv, which needs the keys themselves)
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { mergeReports } from '../analyze/merge.ts';
import { formatBytes, formatCount } from '../core/units.ts';
import { reportToJson } from '../report/json.ts';
import { reportToMarkdown } from '../report/markdown.ts';
import { namespacesCsv } from '../report/namespaces-csv.ts';
import { reportToHtml } from '../report/html.ts';
import { redactReport } from '../analyze/redact.ts';
import type { Report } from '../analyze/schema.ts';
import { plannedOutputs, writeReports, type ReportFormat } from '../report/write.ts';
import { EXIT, UsageError, formatsOf, openOut, refuseExisting, writeText } from './common.ts';
import { InputError, loadReports, looksLikeJson, type ModelCliOptions } from './diff.ts';
import { expandInputs } from './inputs.ts';

export interface MergeCliOptions extends ModelCliOptions {
  out?: string;
  format?: string;
  force?: boolean;
  redact?: boolean;
}

const BY_EXTENSION: Record<string, ReportFormat> = { '.json': 'json', '.md': 'md', '.markdown': 'md', '.html': 'html', '.htm': 'html', '.csv': 'csv' };

function render(r: Report, f: ReportFormat): string {
  return f === 'json' ? reportToJson(r) : f === 'md' ? reportToMarkdown(r) : f === 'html' ? reportToHtml(r) : namespacesCsv(r);
}

export async function mergeCommand(files: string[], o: MergeCliOptions, quiet = false): Promise<void> {
  if (files.length === 0) throw new UsageError('merge: give at least one report');
  const out = o.out === undefined || o.out === '' ? '-' : o.out;
  const ext = extname(out).toLowerCase();
  // Where the result goes: one format to stdout or a file, or a directory of reports.
  let single: ReportFormat | null = null;
  let formats: ReportFormat[] = [];
  if (out === '-' || BY_EXTENSION[ext] !== undefined) {
    const implied = out === '-' ? 'json' : BY_EXTENSION[ext];
    const asked = o.format === undefined ? [implied] : formatsOf(o.format);
    if (asked.length !== 1) throw new UsageError(`--format: ${out === '-' ? 'stdout' : out} takes one format; give a directory as --out for several`);
    if (out !== '-' && asked[0] !== implied) throw new UsageError(`--out ${out} is a .${implied} file but --format asks for ${asked[0]}`);
    single = asked[0];
    if (out !== '-') refuseExisting([out], !!o.force);
  } else {
    formats = formatsOf(o.format ?? 'all');
    refuseExisting(plannedOutputs(out, formats, false), !!o.force);
  }

  let reports: Report[] | null;
  let merged: Report;
  try {
    const inputs = expandInputs(files);
    if (inputs.every(looksLikeJson)) {
      const m = await foldReports(inputs, o, quiet || out === '-');
      if (m === null) return;
      merged = m;
    } else {
      reports = await loadReports(inputs, o, quiet || out === '-');
      if (reports === null) return;
      // Keys can only be ranked together when they are named the same way.
      const anyRedacted = reports.some((r) => r.redacted);
      const named = anyRedacted ? reports.map(redactReport) : reports;
      merged = named.length === 1 ? named[0] : mergeReportsOrFail(named, files);
    }
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    process.stderr.write(`rdbscope: ${e.message}\n`);
    process.exitCode = EXIT.input;
    return;
  }
  if (o.redact) merged = redactReport(merged);
  merged = withCommonLabels(merged);

  if (single !== null) {
    const w = openOut(out, !!o.force);
    try {
      const text = render(merged, single);
      writeText(w.fd, text);
    } finally {
      w.close();
    }
    if (out !== '-') summary(merged, [out]);
    return;
  }
  const written = writeReports(merged, out, formats, { force: !!o.force });
  summary(merged, written);
}

/**
 * report.json inputs, read and merged one at a time: memory holds the merge so far and one
 * report, whatever the number of shards (100 shard reports of 2.9 MB: peak RSS 397 MB when
 * all were loaded first). Merging is associative (sums, tries merged by the same rules, top
 * lists re-ranked, findings recomputed at the end of each step), so the result is the same.
 */
async function foldReports(inputs: string[], o: MergeCliOptions, quiet: boolean): Promise<Report | null> {
  // Keys can only be ranked together when they are named the same way: one redacted input redacts all.
  const anyRedacted = inputs.some(isRedacted);
  let acc: Report | null = null;
  for (const f of inputs) {
    const loaded = await loadReports([f], o, quiet);
    if (loaded === null) return null;
    const r = anyRedacted ? redactReport(loaded[0]) : loaded[0];
    acc = acc === null ? r : mergeReportsOrFail([acc, r], [inputs[0], f]);
  }
  return acc;
}

/** report.json writes `redacted` among its first properties: its head tells. */
function isRedacted(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    return /"redacted":\s*true/.test(head.toString('utf8', 0, n));
  } finally {
    closeSync(fd);
  }
}

/**
 * Each file keeps the labels of the run that read it; the merged report's own labels are the
 * pairs all its files share (a fleet merge over shards keeps `cluster`, drops `shard`).
 */
export function withCommonLabels(r: Report): Report {
  const [first, ...rest] = r.files.map((f) => f.labels ?? {});
  if (!first) return r;
  const common: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) if (rest.every((l) => l[k] === v)) common[k] = v;
  const { labels: _old, ...plain } = r;
  return Object.keys(common).length ? { ...plain, labels: common } : plain;
}

function mergeReportsOrFail(reports: Report[], files: string[]): Report {
  try {
    return mergeReports(reports);
  } catch (e) {
    throw new InputError(`cannot merge ${files.join(', ')}: ${(e as Error).message}`);
  }
}

function summary(r: Report, written: string[]): void {
  const s = r.summary;
  process.stdout.write(`${s.files} files merged: ${formatCount(s.keys)} keys, ${formatBytes(s.bytes)} estimated\nreports: ${written.join(', ')}\n`);
}
