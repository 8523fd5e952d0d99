/**
 * `rdbscope analyze` and `rdbscope keys` over one or more files: one job (a parse worker and
 * a consumer worker) per file,
 * `--jobs` at a time, per-file reports merged exactly; reports written only when every file
 * was read to the end (or, with --partial, marked INCOMPLETE).
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { runJob, type Progress, type RunOptions } from '../run/runner.ts';
import { peek } from '../input/peek.ts';
import type { Job, JobResult } from '../run/job.ts';
import type { AnalyzeOptions } from '../analyze/aggregate.ts';
import { mergeReports } from '../analyze/merge.ts';
import { evaluateBudgets, describeBreaches } from '../analyze/budget.ts';
import { parseSize } from '../core/units.ts';
import { foreignOutputs, writeManifest, writeReports, plannedOutputs, PARQUET_FILES, REPORT_FILES } from '../report/write.ts';
import { keysCsvHeader } from '../report/csv.ts';
import type { Report } from '../analyze/schema.ts';
import { redactReport } from '../analyze/redact.ts';
import { openMetricsText } from '../report/openmetrics.ts';
import { formatBytes, formatCount, formatPercent } from '../core/units.ts';
import { foldingNotes, partLabel, shortRanking } from '../analyze/ranking.ts';
import { progressDisplay } from './progress.ts';
import { UsageError, baseJob, prepareOutDir, budgetsOf, filesFailureCode, formatsOf, memoryOptions, openOut, refuseExisting, reportFailure, EXIT, VERSION } from './common.ts';

/** Run `job` over every file, `jobs` at a time, with one progress display over all of them. */
export async function runFiles(files: string[], job: (i: number) => Omit<Job, 'path' | 'file'>, jobs: number, quiet: boolean): Promise<JobResult[]> {
  const display = await progressDisplay(quiet);
  const live = new Map<number, Progress>();
  const totals = files.map((f) => {
    try {
      return f === '-' ? null : statSync(f).size;
    } catch {
      return null;
    }
  });
  const results: JobResult[] = new Array(files.length);
  let next = 0;
  const onProgress = (i: number): RunOptions['onProgress'] => (p) => {
    live.set(i, p);
    let bytes = 0;
    let keys = 0;
    for (const q of live.values()) {
      bytes += q.bytes;
      keys += q.keys;
    }
    const known = totals.every((t) => t !== null);
    display.update({ file: files.length === 1 ? p.file : `${files.length} files`, bytes, keys, total: known ? totals.reduce((a, b) => a! + b!, 0) : null });
  };
  const lane = async () => {
    while (next < files.length) {
      const i = next++;
      results[i] = await runJob(files[i], job(i), { onProgress: onProgress(i) });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, files.length)) }, lane));
  } finally {
    display.stop();
  }
  return results;
}

export function jobsOption(v: string | undefined): number {
  if (v === undefined) return availableParallelism();
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--jobs: expected a positive integer, got ${v}`);
  return n;
}

/** A non-negative integer option (at least 1 with `positive`); undefined when not given. */
export function intOption(name: string, v: string | undefined, positive = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name}: expected a non-negative integer, got ${v}`);
  if (positive && n === 0) throw new UsageError(`${name}: expected a positive integer, got ${n}`);
  return n;
}

export function sizeOption(name: string, v: string | undefined): number | null {
  if (v === undefined) return null;
  try {
    return parseSize(v);
  } catch {
    throw new UsageError(`${name}: expected a size such as 512mb or 1073741824, got ${v}`);
  }
}

export interface KeysCliOptions {
  format?: string;
  label?: string[];
  labels?: string[];
  out?: string;
  force?: boolean;
  db?: string[];
  type?: string[];
  match?: string;
  minBytes?: string;
  redisVersion?: string;
  allocator?: string;
  redact?: boolean;
  jobs?: string;
}

const TYPES = ['string', 'list', 'set', 'zset', 'hash', 'stream', 'module'];

export async function keysCommand(files: string[], o: KeysCliOptions, quiet: boolean): Promise<void> {
  const format = o.format ?? 'csv';
  if (format !== 'csv' && format !== 'jsonl' && format !== 'parquet') throw new UsageError(`--format must be csv, jsonl or parquet, got ${format}`);
  const labels = labelsOption(o);
  if (format === 'parquet') {
    if (!o.out || o.out === '-') throw new UsageError('--format parquet: give the output file with --out FILE');
    oneFileForParquet(files);
  }
  const dbs = o.db?.flatMap((d) => d.split(',')).map((d) => {
    if (!/^\d+$/.test(d)) throw new UsageError(`--db: expected a database number, got ${d}`);
    return Number(d);
  });
  const types = o.type?.flatMap((t) => t.split(','));
  for (const t of types ?? []) if (!TYPES.includes(t)) throw new UsageError(`--type must be one of ${TYPES.join(', ')}, got ${t}`);
  const memory = memoryOptions(o);
  const out = openOut(o.out, !!o.force);
  try {
    if (format === 'csv') writeSync(out.fd, keysCsvHeader());
    const results = await runFiles(files, () => ({
      ...baseJob('keys'),
      outFd: out.fd,
      rows: format,
      labels,
      filter: { dbs: dbs ?? null, types: types ?? null, match: o.match ?? null, minBytes: sizeOption('--min-bytes', o.minBytes) ?? 0 },
      memory,
      redact: !!o.redact,
    }), jobsOption(o.jobs), quiet);
    const failed = results.filter((r) => !r.ok);
    for (const r of failed) reportFailure(r);
    if (failed.length) process.exitCode = filesFailureCode(failed);
  } finally {
    out.close();
  }
}

export interface AnalyzeCliOptions extends Omit<KeysCliOptions, 'format' | 'out'> {
  out?: string;
  format?: string;
  keys?: boolean;
  keysFormat?: string;
  separators?: string;
  maxChildren?: string;
  depth?: string;
  top?: string;
  bigElement?: string;
  queueThreshold?: string;
  policy?: string;
  maxmemory?: string;
  failOn?: string[];
  partial?: boolean;
  metricsMaxNamespaces?: string;
}

export async function analyzeCommand(files: string[], o: AnalyzeCliOptions, quiet: boolean): Promise<void> {
  const outDir = o.out ?? 'rdbscope-report';
  const formats = formatsOf(o.format ?? 'all');
  // `-o -`: the metrics alone on stdout, for a pipe into a Pushgateway.
  const toStdout = outDir === '-';
  if (toStdout && (formats.length !== 1 || formats[0] !== 'openmetrics')) throw new UsageError('-o -: only --format openmetrics can go to stdout; give a directory for the other reports');
  const metrics = { maxNamespaces: intOption('--metrics-max-namespaces', o.metricsMaxNamespaces, true) };
  const budgets = budgetsOf(o.failOn);
  const diffOnly = budgets.filter((b) => b.diff);
  if (diffOnly.length) throw new UsageError(`--fail-on ${diffOnly[0].text}: compares two snapshots; use it with rdbscope diff`);
  const analyze: AnalyzeOptions = {
    separators: o.separators,
    maxChildren: intOption('--max-children', o.maxChildren, true),
    depth: intOption('--depth', o.depth),
    top: intOption('--top', o.top),
    bigElement: sizeOption('--big-element', o.bigElement) ?? undefined,
    queueThreshold: intOption('--queue-threshold', o.queueThreshold),
    policy: o.policy ?? null,
    maxmemory: sizeOption('--maxmemory', o.maxmemory),
    toolVersion: VERSION,
    nowMs: Date.now(),
  };
  const memory = memoryOptions(o);
  const labels = labelsOption(o);
  const keysFormat = o.keysFormat ?? 'csv';
  if (keysFormat !== 'csv' && keysFormat !== 'parquet') throw new UsageError(`--keys-format must be csv or parquet, got ${keysFormat}`);
  const parquet = keysFormat === 'parquet';
  if (parquet) oneFileForParquet(files);
  if (parquet && toStdout) throw new UsageError('-o -: Parquet output needs a directory');
  // keys.csv comes with the csv format; keys.parquet and namespaces.parquet whenever asked for.
  const withKeys = o.keys !== false && (parquet || formats.includes('csv'));
  const planned = toStdout ? [] : plannedOutputs(outDir, formats, withKeys && !parquet);
  if (parquet) planned.push(...(withKeys ? [join(outDir, PARQUET_FILES.keys)] : []), join(outDir, PARQUET_FILES.namespaces));
  // A partial run marks its CSV files with a sidecar (a first line would be read as the header).
  const sidecars = planned.filter((p) => p.endsWith('.csv')).map((p) => p + INCOMPLETE_SUFFIX);
  // Files an earlier run wrote here, unchanged since, are replaced without --force.
  refuseExisting(foreignOutputs(outDir, [...planned, ...sidecars]), !!o.force);
  const replace = !!o.force || planned.some((p) => existsSync(p));
  const createdDir = toStdout ? false : prepareOutDir(outDir);
  // keys.csv / keys.parquet stream during the parse into a temporary file, renamed once the run is sound.
  const keysPath = join(outDir, parquet ? PARQUET_FILES.keys : REPORT_FILES.keysCsv);
  const keysTmp = `${keysPath}.partial-${process.pid}`;
  let keysFd = -1;
  if (withKeys) {
    keysFd = openSync(keysTmp, 'w');
    if (!parquet) writeSync(keysFd, keysCsvHeader());
  }
  let results: JobResult[];
  try {
    results = await runFiles(files, () => ({
      ...baseJob('analyze'),
      outFd: keysFd,
      rows: withKeys ? keysFormat : null,
      labels,
      memory,
      analyze,
      redact: !!o.redact,
    }), jobsOption(o.jobs), quiet);
  } finally {
    if (keysFd >= 0) closeSync(keysFd);
  }
  const failed = results.filter((r) => !r.ok);
  for (const r of failed) reportFailure(r);
  // A file read to its end whose only defect is its checksum gives a complete report (with --partial).
  const broken = failed.filter((r) => !checksumOnly(r));
  const reports = results.map((r) => r.report).filter((r): r is Report => !!r);
  // A partial report only when it holds something: a sound file, or keys read before the error.
  const readSome = results.some((r) => r.ok) || failed.some((r) => r.report !== undefined && (r.keys > 0 || checksumOnly(r)));
  if (failed.length && (!o.partial || !readSome)) {
    if (withKeys) rmSync(keysTmp, { force: true });
    if (createdDir) rmSync(outDir, { recursive: true, force: true });
    const hint = o.partial ? (failed.some((r) => r.error?.kind === 'input') ? 'nothing was read before the error' : null) : partialHint(failed, readSome);
    if (hint) process.stderr.write(`rdbscope: no report written (${hint})\n`);
    process.exitCode = filesFailureCode(failed);
    return;
  }
  for (const r of failed) if (checksumOnly(r) && r.report) r.report.files[0]?.warnings.unshift(checksumWarning(r));
  const merged = withLabels(reports.length === 1 ? reports[0] : mergeReports(reports), labels);
  // Redacted once here, so the terminal, the budgets and every report quote the same tokens.
  const report = o.redact ? redactReport(merged) : merged;
  const incomplete = broken.length ? incompleteLine(files, results) : null;
  // report.json carries the marker as its first property.
  const marked = incomplete ? ({ incomplete, ...report } as Report) : report;
  if (toStdout) {
    process.stdout.write(openMetricsText(marked, {}, metrics));
    if (!quiet) printSummary(report, [], incomplete, process.stderr);
    if (incomplete) process.exitCode = EXIT.input;
    else failOnBudgets(report, budgets);
    return;
  }
  const written = writeReports(marked, outDir, formats, { force: replace, redact: !!o.redact, metrics });
  // report.md starts with it; report.json, report.html and metrics.prom (rdbscope_report_complete 0)
  // carry it inside (a line before <!doctype> would break the page, OpenMetrics allows no comments).
  for (const p of written) if (incomplete && p.endsWith('.md')) prependLine(p, `> **${incomplete}**`);
  if (withKeys) {
    // Parquet has no room for a marker: an incomplete run's keys.parquet keeps its .partial
    // name, so that it is never taken for a whole snapshot.
    if (!parquet || !incomplete) {
      renameSync(keysTmp, keysPath);
      written.push(keysPath);
    }
  }
  if (parquet && !incomplete) written.push(await writeNamespacesFile(outDir, report, labels, !!o.redact, replace));
  // The CSV files' marker: a sidecar beside each, removed again by a later complete run.
  for (const side of sidecars) {
    if (incomplete && existsSync(side.slice(0, -INCOMPLETE_SUFFIX.length))) {
      writeFileSync(side, incomplete + '\n');
      written.push(side);
    } else rmSync(side, { force: true });
  }
  writeManifest(outDir, written);
  printSummary(report, written, incomplete);
  if (failed.length) {
    process.exitCode = filesFailureCode(failed);
    return;
  }
  failOnBudgets(report, budgets);
}

function failOnBudgets(report: Report, budgets: ReturnType<typeof budgetsOf>): void {
  const verdict = evaluateBudgets(report, budgets);
  if (verdict.breaches.length) {
    for (const line of describeBreaches(verdict)) process.stderr.write(`rdbscope: budget exceeded: ${line}\n`);
    process.exitCode = EXIT.budget;
  }
}

/**
 * `--label name=value` (repeatable) and `--labels name=value,name=value`: where a shard's
 * report belongs (cluster, shard, environment). Names are identifiers, so they can be
 * Parquet column names (`label_<name>`) and metric labels as they are.
 */
export function labelsOption(o: { label?: string[]; labels?: string[] }): Record<string, string> {
  const out: Record<string, string> = {};
  const pairs = [...(o.label ?? []), ...(o.labels ?? []).flatMap((l) => l.split(','))];
  for (const p of pairs) {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--label: expected name=value with a name of letters, digits and _, got ${p}`);
    if (name in out && out[name] !== p.slice(eq + 1)) throw new UsageError(`--label: ${name} given twice`);
    out[name] = p.slice(eq + 1);
  }
  return out;
}

/** The report with the run's labels at the top and on each file (shards keep theirs through merge). */
function withLabels(r: Report, labels: Record<string, string>): Report {
  if (Object.keys(labels).length === 0) return r;
  return { ...r, labels, files: r.files.map((f) => ({ ...f, labels })) };
}

/** Parquet rows carry one snapshot's identity: one input file per run (one run per shard). */
function oneFileForParquet(files: string[]): void {
  if (files.length > 1) throw new UsageError('Parquet output takes one input file per run: run one analyze per shard (each with its --label) and merge the reports');
}

async function writeNamespacesFile(outDir: string, report: Report, labels: Record<string, string>, redact: boolean, force: boolean): Promise<string> {
  const { writeNamespacesParquet } = await import('../report/keys-parquet.ts');
  const path = join(outDir, PARQUET_FILES.namespaces);
  const fd = openSync(path, force ? 'w' : 'wx');
  try {
    writeNamespacesParquet(fd, redact ? redactReport(report) : report, labels);
  } finally {
    closeSync(fd);
  }
  return path;
}


/** Marks a CSV file of an INCOMPLETE report: `keys.csv.INCOMPLETE` holds the INCOMPLETE line. */
export const INCOMPLETE_SUFFIX = '.INCOMPLETE';

/** The file was read to its end and only its checksum disagrees: every key is in its report. */
function checksumOnly(r: JobResult): boolean {
  return r.error?.kind === 'input' && r.info?.checksum === 'mismatch' && r.report !== undefined;
}

function checksumWarning(r: JobResult): string {
  const i = r.info;
  return `checksum mismatch: all ${formatCount(r.keys)} keys read; the file says ${i.storedChecksum}, its bytes give ${i.computedChecksum} (CRC-64)`;
}

/** What to tell a user whose run wrote no report: --partial only where it would write something. */
function partialHint(failed: JobResult[], readSome: boolean): string | null {
  if (!readSome || failed.every((r) => r.error?.kind !== 'input')) return null;
  if (failed.every(checksumOnly)) return 'every key was read but the checksum does not match; use --partial to write the report anyway, with a checksum warning';
  return 'use --partial to write what was read, marked INCOMPLETE';
}

/**
 * `INCOMPLETE: read K of the N keys the file announces (RESIZEDB of db 0, …); complete records
 * up to byte X of Y; offset Z: <reason>` for the first file that could not be read to its end.
 * Keys read against keys announced is the honest share: a truncated copy's size is its own.
 * Databases after the stop are not counted: each announces its size only where it starts.
 */
function incompleteLine(files: string[], results: JobResult[]): string {
  const i = results.findIndex((r) => !r.ok && !checksumOnly(r));
  const r = results[i];
  const size = (() => {
    try {
      const p = peek(files[i]);
      return p && p.format === 'rdb' ? p.size : null;
    } catch {
      return null;
    }
  })();
  // The report covers the records before the one that failed.
  const at = r.complete ?? r.error?.offset ?? r.bytes;
  const dbs = Object.entries(r.info?.databases ?? {}).filter(([, d]) => d.resizeKeys > 0);
  const announced = dbs.reduce((n, [, d]) => n + d.resizeKeys, 0);
  const keys = announced > 0
    ? `read ${formatCount(r.keys)} of the ${formatCount(announced)} keys the file announces (RESIZEDB of ${dbs.length === 1 ? 'db' : 'dbs'} ${dbs.map(([db]) => db).join(', ')}, the ${dbs.length === 1 ? 'database' : 'databases'} reached)`
    : `read ${formatCount(r.keys)} ${r.keys === 1 ? 'key' : 'keys'} (the file announces no key count)`;
  const bytes = `complete records up to byte ${formatCount(at)} of ${size !== null ? formatCount(size) : 'the decompressed RDB'}`;
  const where = r.error?.offset !== undefined ? `offset ${r.error.offset}: ` : '';
  const reason = r.error?.expected ?? r.error?.message ?? 'unknown error';
  return `INCOMPLETE: ${files.length > 1 ? `${files[i]}: ` : ''}${keys}; ${bytes}; ${where}${reason}`;
}

function prependLine(path: string, line: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, line + '\n');
    writeSync(fd, readFileSync(path)); // report files are small
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Parser warnings shown in the terminal summary; the rest are in the reports. */
const SUMMARY_WARNINGS = 5;
/** Findings shown in the terminal summary; the rest are in the reports. */
export const SUMMARY_FINDINGS = 5;

/** The short ranked namespace list: the groups that explain most of the memory. */
function rankingLines(r: Report): string[] {
  const ranking = r.namespaceRanking ?? [];
  if (ranking.length === 0) return [];
  const { rows, share } = shortRanking(ranking);
  const lines = [`Top namespaces (${formatPercent(share)} of the memory):`];
  const width = Math.min(40, Math.max(...rows.map((g) => g.pattern.length)));
  for (const g of rows) {
    const parts = g.parts.slice(0, 4).map((p) => `${partLabel(g, p.pattern)} ${formatBytes(p.bytes)}`);
    if (g.parts.length > 4) parts.push(`${g.parts.length - 4} more`);
    lines.push(`  ${g.pattern.padEnd(width)}  ${formatBytes(g.bytes).padStart(10)}  ${formatPercent(g.share).padStart(4)}  ${formatCount(g.keys)} ${g.keys === 1 ? 'key' : 'keys'}${parts.length ? `  (${parts.join(', ')})` : ''}`);
  }
  for (const n of foldingNotes(r)) lines.push(`  note: ${n}`);
  return lines;
}

function printSummary(r: Report, written: string[], incomplete: string | null, to: NodeJS.WritableStream = process.stdout): void {
  const s = r.summary as unknown as Record<string, number | null>;
  const lines: string[] = [];
  if (incomplete) lines.push(incomplete);
  const modelList = r.summary.memoryModels ?? [];
  const models = modelList.length ? `; ${modelList.join('; ')}` : '';
  // Name the figure summed: real bytes (what DEL frees) add up to the instance estimate,
  // MEMORY USAGE (redis-cli's figure) does not.
  const est = r.summary.estimatedUsedMemory;
  const usage = r.summary.memoryUsageBytes;
  lines.push(
    `${formatCount(Number(s.keys))} keys, ${formatBytes(Number(s.bytes))} real bytes (sum of what DEL frees per key` +
      `${est !== null ? `; instance estimate ${formatBytes(est)} with tables and baseline` : ''}` +
      `${usage !== undefined && usage > 0 ? `; MEMORY USAGE sum ${formatBytes(usage)}` : ''}${models})`,
  );
  const warnings = r.files.flatMap((f) => f.warnings.map((w) => `${r.files.length > 1 ? `${f.name}: ` : ''}${w}`));
  for (const w of warnings.slice(0, SUMMARY_WARNINGS)) lines.push(`[file warning] ${w}`);
  if (warnings.length > SUMMARY_WARNINGS) lines.push(`[file warning] … ${warnings.length - SUMMARY_WARNINGS} more in the reports`);
  lines.push(...rankingLines(r));
  // Findings come ranked by bytes at stake: the first few are the ones to act on.
  for (const f of r.findings.slice(0, SUMMARY_FINDINGS)) lines.push(`[${f.severity}] ${f.message}`);
  const more = r.findings.length - SUMMARY_FINDINGS;
  if (more > 0) {
    const where = written.find((p) => p.endsWith('.md')) ?? written.find((p) => p.endsWith('.html')) ?? written.find((p) => p.endsWith('.json'));
    lines.push(`… ${formatCount(more)} more ${more === 1 ? 'finding' : 'findings'}${where ? ` in ${basename(where)}` : ''}`);
  }
  if (written.length) lines.push(`reports: ${written.join(', ')}`);
  to.write(lines.join('\n') + '\n');
}
