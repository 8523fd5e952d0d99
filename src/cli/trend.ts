/**
 * `rdbscope trend <report.json | rdb | directory>…`: series over many snapshots, leaks, growing
 * queues and days to maxmemory. Inputs go through `loadReports` (the step `diff` and `merge`
 * use: report.json read as is, RDB files analysed in parse workers); directories contribute
 * every report.json and *.rdb[.gz|.lz4|.zst] beneath them. Snapshots are ordered by the save
 * time recorded in the file (aux `ctime`), by file mtime only when a file has none (with a
 * warning), never by name.
 */
import { closeSync, statSync, writeFileSync } from 'node:fs';
import { filesBeneath } from './inputs.ts';
import type { Report } from '../analyze/schema.ts';
import { buildTrend, TREND_DEFAULTS, type TrendInput, type TrendResult } from '../analyze/trend.ts';
import { evaluateTrendBudgets, parseTrendBudget, type TrendBudget } from '../analyze/trend-budget.ts';
import { trendToJson, trendToMarkdown, trendToText } from '../report/trend.ts';
import { trendToHtml } from '../report/html.ts';
import { openMetricsText } from '../report/openmetrics.ts';
import { trendMetricFamilies } from '../report/trend-metrics.ts';
import { intOption, sizeOption } from './analyze.ts';
import { InputError, loadReports, type ModelCliOptions } from './diff.ts';
import { EXIT, UsageError, VERSION, asUsage, openOut, refuseExisting, writeText } from './common.ts';

export interface TrendCliOptions extends ModelCliOptions {
  json?: boolean;
  md?: boolean;
  openmetrics?: boolean;
  metricsMaxNamespaces?: string;
  html?: string;
  out?: string;
  force?: boolean;
  window?: string;
  minGrowths?: string;
  maxmemory?: string;
  alertAt?: string;
  failOn?: string[];
}

const SNAPSHOT_FILE = /^report\.json$|\.rdb(\.(gz|lz4|zst))?$/i;

/** Files named on the command line as they are; directories walked (sorted, for a stable input order). */
export function expandTrendInputs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (a === '-') throw new UsageError('trend reads files and directories, not stdin');
    let isDir = false;
    try {
      isDir = statSync(a).isDirectory();
    } catch {
      /* a missing file is reported by the input step, with its name */
    }
    if (!isDir) out.push(a);
    else {
      let found: string[];
      try {
        found = filesBeneath(a, (e) => e.isFile() && SNAPSHOT_FILE.test(e.name));
      } catch (e) {
        throw new InputError(`${a}: cannot read the directory: ${(e as Error).message}`);
      }
      if (found.length === 0) throw new InputError(`${a}: no report.json or .rdb[.gz|.lz4|.zst] file beneath it`);
      out.push(...found);
    }
  }
  return out;
}

/** `70%` or `0.7` → 0.7. */
function fraction(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(v);
  const f = m === null ? NaN : m[2] ? Number(m[1]) / 100 : Number(m[1]);
  if (!(f > 0 && f <= 1)) throw new UsageError(`${name}: expected a percentage such as 70% (or a fraction such as 0.7), got ${v}`);
  return f;
}

/** Save time of a report: its files' latest `ctime`, else the input file's mtime. */
function timed(source: string, report: Report): TrendInput {
  const saved = report.summary.savedAtMaxMs;
  if (saved !== null) return { source, report, savedAtMs: saved, timeSource: 'ctime' };
  return { source, report, savedAtMs: Math.round(statSync(source).mtimeMs), timeSource: 'file-mtime' };
}

export async function trendCommand(args: string[], o: TrendCliOptions, quiet: boolean): Promise<TrendResult | null> {
  if ([o.json, o.md, o.openmetrics].filter(Boolean).length > 1) throw new UsageError('--json, --md and --openmetrics: choose one output format');
  const maxNamespaces = intOption('--metrics-max-namespaces', o.metricsMaxNamespaces, true);
  const window = intOption('--window', o.window, true) ?? TREND_DEFAULTS.window;
  const minGrowths = intOption('--min-growths', o.minGrowths, true) ?? TREND_DEFAULTS.minGrowths;
  if (minGrowths > window) throw new UsageError(`--min-growths ${minGrowths}: at most --window (${window})`);
  const maxmemory = sizeOption('--maxmemory', o.maxmemory);
  const alertAt = fraction('--alert-at', o.alertAt, TREND_DEFAULTS.alertAt);
  const budgets: TrendBudget[] = asUsage(() => (o.failOn ?? []).map(parseTrendBudget));
  if (maxmemory === null && budgets.some((b) => b.kind === 'days')) throw new UsageError('--fail-on days-to-…: give --maxmemory');
  refuseExisting([o.out, o.html], !!o.force);

  let result: TrendResult;
  try {
    const files = expandTrendInputs(args);
    if (files.length < 2) throw new UsageError(`trend needs at least two snapshots, got ${files.length}`);
    const reports = await loadReports(files, o, quiet);
    if (reports === null) return null;
    // A report marked INCOMPLETE holds part of a snapshot: as a point it would read as a drop.
    const inputs: TrendInput[] = [];
    const left: string[] = [];
    reports.forEach((r, i) => {
      if (typeof (r as Report & { incomplete?: unknown }).incomplete === 'string') left.push(files[i]);
      else inputs.push(timed(files[i], r));
    });
    for (const f of left) process.stderr.write(`rdbscope: warning: ${f}: left out of the trend (an INCOMPLETE report)\n`);
    if (inputs.length < 2) throw new UsageError(`trend needs at least two complete snapshots, got ${inputs.length}`);
    result = buildTrend(inputs, { window, minGrowths, maxmemory, alertAt }, VERSION);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    process.stderr.write(`rdbscope: ${e.message}\n`);
    process.exitCode = EXIT.input;
    return null;
  }
  const { trend, last } = result;
  // The text summary lists the warnings itself; other outputs get them on stderr.
  if (o.json || o.md || o.openmetrics || (o.out && o.out !== '-')) for (const w of trend.warnings) process.stderr.write(`rdbscope: warning: ${w}\n`);
  const htmlFd = o.html ? openOut(o.html, !!o.force).fd : -1;
  const out = openOut(o.out, !!o.force);
  try {
    // OpenMetrics: the newest snapshot as `analyze --format openmetrics` exports it, plus the trend's gauges.
    const metrics = (): string => openMetricsText(last, {}, { maxNamespaces, extra: trendMetricFamilies(trend) });
    writeText(out.fd, o.json ? trendToJson(trend) : o.md ? trendToMarkdown(trend) : o.openmetrics ? metrics() : trendToText(trend));
    if (htmlFd >= 0) writeFileSync(htmlFd, trendToHtml(trend));
  } finally {
    out.close();
    if (htmlFd >= 0) closeSync(htmlFd);
  }
  const breaches = evaluateTrendBudgets(trend, last, budgets);
  if (breaches.length) {
    for (const line of breaches) process.stderr.write(`rdbscope: budget exceeded: ${line}\n`);
    process.exitCode = EXIT.budget;
  }
  return result;
}
