/**
 * `rdbscope diff <old> <new>`: what changed between two snapshots. Each side is an RDB file
 * (any input format, analysed on the fly in a parse worker like `analyze` does) or a
 * report.json written by `analyze`/`merge` (recognised by its content). Only the reports are
 * compared, so memory stays bounded on both sides.
 *
 * Also home of `loadReports`, the input step `merge` shares.
 */
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import type { AnalyzeOptions } from '../analyze/aggregate.ts';
import { evaluateBudgets, describeBreaches } from '../analyze/budget.ts';
import { parseReport } from '../report/json.ts';
import { redactReport } from '../analyze/redact.ts';
import type { Report, ReportOptions } from '../analyze/schema.ts';
import { diffReports, diffFigures } from '../analyze/diff.ts';
import { diffToJson, diffToMarkdown, diffToText } from '../report/diff.ts';
import { diffToHtml } from '../report/html.ts';
import { runFiles, jobsOption, intOption } from './analyze.ts';
import { NAMESPACE_DEFAULTS } from '../analyze/namespace.ts';
import { EXIT, UsageError, VERSION, baseJob, budgetsOf, filesFailureCode, memoryOptions, openOut, refuseExisting, reportFailure, writeText } from './common.ts';


/** Bad input (unreadable report, reports that cannot be combined): exit 2. */
export class InputError extends Error {}

export interface ModelCliOptions {
  separators?: string;
  maxChildren?: string;
  depth?: string;
  /** For RDB inputs (trend): lists, zsets and streams longer than this are queues. */
  queueThreshold?: string;
  redisVersion?: string;
  allocator?: string;
  jobs?: string;
}

/** True when the file (not stdin) starts, after white space, with `{`. */
export function looksLikeJson(file: string): boolean {
  if (file === '-') return false;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false; // the parse job reports unreadable files
  }
  try {
    const head = Buffer.alloc(256);
    const n = readSync(fd, head, 0, head.length, 0);
    for (let i = 0; i < n; i++) {
      const c = head[i];
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
      if (i === 0 && c === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
        i += 2; // UTF-8 byte order mark
        continue;
      }
      return c === 0x7b;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

const NAMESPACE_KEYS = ['separators', 'maxChildren', 'depth'] as const;

/**
 * Reads every input as a Report: JSON reports as they are, RDB files analysed (all of them in
 * parallel, one progress display). RDB files are analysed with the options of the first JSON
 * report among the inputs (so both sides are comparable), with the namespace options given on
 * the command line, else with `analyze`'s defaults. Returns null after reporting failures
 * (process.exitCode set).
 */
export async function loadReports(files: string[], o: ModelCliOptions, quiet: boolean): Promise<Report[] | null> {
  const given: Partial<Pick<ReportOptions, (typeof NAMESPACE_KEYS)[number]>> = {
    separators: o.separators,
    maxChildren: intOption('--max-children', o.maxChildren, true),
    depth: intOption('--depth', o.depth),
  };
  const memory = memoryOptions(o);
  const jobs = jobsOption(o.jobs);

  const reports: (Report | null)[] = files.map(() => null);
  const rdb: number[] = [];
  files.forEach((f, i) => {
    if (!looksLikeJson(f)) {
      rdb.push(i);
      return;
    }
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new InputError(`${f}: cannot read: ${(e as Error).message}`);
    }
    let r: Report;
    try {
      r = parseReport(text, f);
    } catch (e) {
      throw new InputError((e as Error).message);
    }
    for (const k of NAMESPACE_KEYS) {
      const v = given[k];
      if (v !== undefined && v !== r.options[k]) {
        const flag = k === 'maxChildren' ? '--max-children' : `--${k}`;
        throw new UsageError(`${f} was analysed with ${flag} ${JSON.stringify(r.options[k])}, not ${JSON.stringify(v)}: a report cannot be re-namespaced; drop ${flag} or give the RDB file`);
      }
    }
    const incomplete = (r as unknown as { incomplete?: unknown }).incomplete;
    if (typeof incomplete === 'string') process.stderr.write(`rdbscope: warning: ${f}: ${incomplete}\n`);
    reports[i] = r;
  });

  if (rdb.length > 0) {
    const like = reports.find((r): r is Report => r !== null)?.options;
    const analyze: AnalyzeOptions = {
      separators: given.separators ?? like?.separators ?? NAMESPACE_DEFAULTS.separators,
      maxChildren: given.maxChildren ?? like?.maxChildren ?? NAMESPACE_DEFAULTS.maxChildren,
      depth: given.depth ?? like?.depth ?? NAMESPACE_DEFAULTS.depth,
      maxNodes: like?.maxNodes,
      top: like?.top,
      bigElement: like?.bigElement,
      queueThreshold: intOption('--queue-threshold', o.queueThreshold) ?? like?.queueThreshold,
      queueLimit: like?.queueLimit,
      policy: like?.policy ?? null,
      maxmemory: like?.maxmemory ?? null,
      toolVersion: VERSION,
      nowMs: Date.now(),
    };
    const results = await runFiles(
      rdb.map((i) => files[i]),
      () => ({ ...baseJob('analyze'), memory, analyze }),
      jobs,
      quiet,
    );
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0) {
      for (const r of failed) reportFailure(r);
      process.exitCode = filesFailureCode(failed);
      return null;
    }
    results.forEach((r, j) => {
      reports[rdb[j]] = r.report!;
    });
  }
  return reports as Report[];
}

export interface DiffCliOptions extends ModelCliOptions {
  json?: boolean;
  md?: boolean;
  html?: string;
  out?: string;
  force?: boolean;
  failOn?: string[];
  redact?: boolean;
}

/** Creates `path` (refusing to replace it unless `force`); checked before the long part. */
function claimFile(path: string, force: boolean): number {
  return openOut(path, force).fd;
}

export async function diffCommand(oldFile: string, newFile: string, o: DiffCliOptions, quiet: boolean): Promise<void> {
  if (o.json && o.md) throw new UsageError('--json and --md: choose one output format');
  if (oldFile === '-' && newFile === '-') throw new UsageError('only one side can be read from stdin');
  const budgets = budgetsOf(o.failOn);
  refuseExisting([o.out, o.html], !!o.force);
  let reports: Report[] | null;
  try {
    reports = await loadReports([oldFile, newFile], o, quiet);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    process.stderr.write(`rdbscope: ${e.message}\n`);
    process.exitCode = EXIT.input;
    return;
  }
  if (reports === null) return;
  let [before, after] = reports;
  if (o.redact) {
    before = redactReport(before);
    after = redactReport(after);
  }
  let diff;
  try {
    diff = diffReports(before, after, { oldSource: oldFile === '-' ? '<stdin>' : oldFile, newSource: newFile === '-' ? '<stdin>' : newFile, toolVersion: VERSION });
  } catch (e) {
    process.stderr.write(`rdbscope: cannot compare ${oldFile} and ${newFile}: ${(e as Error).message}\n`);
    process.exitCode = EXIT.input;
    return;
  }
  // Also on stderr: stdout may be a JSON file nobody reads before acting on the numbers.
  if (diff.modelWarning) process.stderr.write(`rdbscope: warning: ${diff.modelWarning}\n`);
  // Outputs are opened only now: a failed analysis leaves no empty files behind.
  const htmlFd = o.html ? claimFile(o.html, !!o.force) : -1;
  const out = openOut(o.out, !!o.force);
  try {
    writeText(out.fd, o.json ? diffToJson(diff) : o.md ? diffToMarkdown(diff) : diffToText(diff));
    if (htmlFd >= 0) writeFileSync(htmlFd, diffToHtml(diff));
  } finally {
    out.close();
    if (htmlFd >= 0) closeSync(htmlFd);
  }
  const verdict = evaluateBudgets(after, budgets, diffFigures(diff));
  if (verdict.breaches.length > 0) {
    for (const line of describeBreaches(verdict)) process.stderr.write(`rdbscope: budget exceeded: ${line}\n`);
    process.exitCode = EXIT.budget;
  }
}
