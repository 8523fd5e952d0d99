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
 *   absent or `-`          one format on stdout (json unless --format says md, html, csv or openmetrics)
 *   a file ending in .json, .md, .html, .csv or .prom: that format into that file
 *   anything else          a directory, written like `analyze --out` (--format, default all;
 *                          namespaces.csv but no keys.csv, which needs the keys themselves)
 */
import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { modelsOf } from '../analyze/merge.ts';
import { formatBytes, formatCount } from '../core/units.ts';
import { reportToJson } from '../report/json.ts';
import { reportToMarkdown } from '../report/markdown.ts';
import { namespacesCsv } from '../report/namespaces-csv.ts';
import { reportToHtml } from '../report/html.ts';
import { redactReport } from '../analyze/redact.ts';
import type { Report } from '../analyze/schema.ts';
import { plannedOutputs, writeAtomically, writeReports, type ReportFormat } from '../report/write.ts';
import { openMetricsText } from '../report/openmetrics.ts';
import { EXIT, UsageError, formatsOf, openOut, prepareOutDir, refuseExisting, writeText } from './common.ts';
import { InputError, loadReports, looksLikeJson, type ModelCliOptions } from './diff.ts';
import { expandInputs } from './inputs.ts';
import { foldReports, mergeReportsOrFail, type FoldResult } from './merge-fold.ts';
import { spawnWorker } from '../run/spawn.ts';

export interface MergeCliOptions extends ModelCliOptions {
  out?: string;
  format?: string;
  force?: boolean;
  redact?: boolean;
  allowMixedModels?: boolean;
}

const BY_EXTENSION: Record<string, ReportFormat> = { '.json': 'json', '.md': 'md', '.markdown': 'md', '.html': 'html', '.htm': 'html', '.csv': 'csv', '.prom': 'openmetrics' };

function render(r: Report, f: ReportFormat): string {
  return f === 'json' ? reportToJson(r) : f === 'md' ? reportToMarkdown(r) : f === 'html' ? reportToHtml(r) : f === 'openmetrics' ? openMetricsText(r) : namespacesCsv(r);
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
      const m = await foldInWorker(inputs, o, quiet || out === '-');
      if (m === null) return;
      merged = m;
      const models = modelsOf([merged]);
      if (models.length > 1) warnMixed(models);
    } else {
      reports = await loadReports(inputs, o, quiet || out === '-');
      if (reports === null) return;
      // Keys can only be ranked together when they are named the same way.
      const anyRedacted = reports.some((r) => r.redacted);
      const named = anyRedacted ? reports.map(redactReport) : reports;
      merged = named.length === 1 ? named[0] : mergeOrFail(named, files, !!o.allowMixedModels);
    }
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    process.stderr.write(`rdbscope: ${e.message}\n`);
    process.exitCode = EXIT.input;
    return;
  }
  if (o.redact) merged = redactReport(merged);
  merged = withCommonLabels(merged);

  if (single === 'openmetrics' && out !== '-') {
    writeAtomically(out, render(merged, single), !!o.force);
    summary(merged, [out]);
    return;
  }
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
  prepareOutDir(out);
  const written = writeReports(merged, out, formats, { force: !!o.force });
  summary(merged, written);
}

/**
 * foldReports in a worker whose old generation is capped: the merge's live data is a few
 * reports, but V8 let the main thread's heap grow far past that (100 shard reports of 3 MB:
 * 249 MB peak RSS; 168 MB under a 96 MB heap limit). Should the data not fit the cap after
 * all, the worker runs out of memory and the fold runs again here, without one.
 */
async function foldInWorker(inputs: string[], o: MergeCliOptions, quiet: boolean): Promise<Report | null> {
  const largest = Math.max(...inputs.map((f) => statSync(f).size));
  const capMb = Math.max(96, Math.ceil((32 * largest) / 1e6));
  const result = await new Promise<FoldResult | 'oom'>((resolve, reject) => {
    const w = spawnWorker(import.meta.url, 'merge-worker', { workerData: { inputs, o: { ...o }, quiet }, resourceLimits: { maxOldGenerationSizeMb: capMb } });
    w.once('message', (m: FoldResult) => resolve(m));
    w.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? resolve('oom') : reject(e)));
  });
  const r = result === 'oom' ? await foldReports(inputs, o, quiet).catch((e: unknown) => asFailure(e)) : result;
  if (r === null || 'schema' in r) return r as Report | null;
  if (r.failure === 'usage') throw new UsageError(r.message);
  throw new InputError(r.message);
}

function asFailure(e: unknown): FoldResult {
  if (e instanceof UsageError) return { failure: 'usage', message: e.message };
  if (e instanceof InputError) return { failure: 'input', message: e.message };
  throw e;
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

function warnMixed(models: string[]): void {
  process.stderr.write(`rdbscope: warning: merging figures of different memory models (${models.join('; ')}): the sums mix them\n`);
}

function mergeOrFail(reports: Report[], files: string[], allowMixedModels: boolean): Report {
  const models = modelsOf(reports);
  if (models.length > 1 && allowMixedModels) warnMixed(models);
  return mergeReportsOrFail(reports, files, allowMixedModels);
}

function summary(r: Report, written: string[]): void {
  const s = r.summary;
  const models = s.memoryModels?.length ? `; ${s.memoryModels.join('; ')}` : '';
  process.stdout.write(`${s.files} files merged: ${formatCount(s.keys)} keys, ${formatBytes(s.bytes)} real bytes (what DEL frees${models})\nreports: ${written.join(', ')}\n`);
}
