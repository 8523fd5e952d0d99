/** What every command shares: exit codes, failure messages, output files, model options. */
import { closeSync, existsSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOutputs, ensureDir, parseFormats, type ReportFormat } from '../report/write.ts';
import { parseBudgets, type Budget } from '../analyze/budget.ts';
import type { Job, JobResult } from '../run/job.ts';
import type { RunOptions } from '../run/runner.ts';
import { progressDisplay } from './progress.ts';
import { ALLOCATORS, type AllocatorProfile } from '../memory/allocator.ts';
import { versionFromOption } from '../format/version.ts';

export const VERSION = '0.1.0';

export const EXIT = { ok: 0, usage: 1, input: 2, budget: 3 } as const;

/** Set by --debug: print stack traces of internal errors. */
export const flags = { debug: false };

/** One line per failure on stderr; stack traces only with --debug or for internal errors. */
export function reportFailure(r: JobResult): void {
  const e = r.error!;
  if (e.kind === 'pipe') return;
  if (e.kind === 'internal') {
    process.stderr.write(`rdbscope: internal error: ${e.message}\n`);
    if (flags.debug && e.stack) process.stderr.write(`${e.stack}\n`);
    return;
  }
  process.stderr.write(`${e.message}\n`);
}

/** Exit code of a failed job: bad input is 2, a closed output pipe 0, anything else internal (1). */
export function failureCode(r: JobResult): number {
  const kind = r.error?.kind;
  return kind === 'input' ? EXIT.input : kind === 'pipe' ? EXIT.ok : EXIT.usage;
}

export function baseJob(kind: Job['kind']): Omit<Job, 'path' | 'file'> {
  return { kind, outFd: -1, rows: null, filter: null, memory: null, analyze: null, redact: false };
}

export async function withProgress(quiet: boolean, run: (opts: RunOptions) => Promise<JobResult>): Promise<JobResult> {
  const display = await progressDisplay(quiet);
  try {
    return await run({ onProgress: (p) => display.update(p) });
  } finally {
    display.stop();
  }
}

/** Open `--out` (or stdout for `-`/absent); refuses to overwrite without --force. */
export function openOut(out: string | undefined, force: boolean): { fd: number; close(): void } {
  if (!out || out === '-') return { fd: 1, close() {} };
  let fd: number;
  try {
    fd = openSync(out, force ? 'w' : 'wx');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(out).isDirectory()) throw new UsageError(`${out} is a directory; give a file name`);
    if (code === 'EEXIST') throw new UsageError(`${out} exists; use --force to overwrite it`);
    throw new UsageError(`cannot write ${out}: ${errnoText(e)}`);
  }
  return { fd, close: () => closeSync(fd) };
}

/** `EACCES: permission denied` from a node fs error (without the repeated path). */
function errnoText(e: unknown): string {
  return (e as Error).message.replace(/, \w+ '.*'$/, '');
}

/**
 * A report directory, made (level by level) if missing, and proven writable before any long
 * work: one usage line (exit 1) instead of an internal error after the parse. Returns whether
 * it was created (to be removed again when nothing is written).
 */
export function prepareOutDir(dir: string): boolean {
  const created = !existsSync(dir);
  try {
    ensureDir(dir);
  } catch (e) {
    throw new UsageError(`--out ${(e as Error).message}`);
  }
  const probe = join(dir, `.rdbscope-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe);
  } catch (e) {
    if (created) rmSync(dir, { recursive: true, force: true });
    throw new UsageError(`--out ${dir}: cannot write in the output directory (${errnoText(e)})`);
  }
  return created;
}

export class UsageError extends Error {}

/** Runs `f`, turning what it throws into a UsageError (bad option values). */
export function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export const formatsOf = (text: string): ReportFormat[] => asUsage(() => parseFormats(text));
export const budgetsOf = (texts: string[] | undefined): Budget[] => asUsage(() => parseBudgets(texts ?? []));

/** Refuses up front (before a long analysis) to replace existing output files without --force. */
export function refuseExisting(paths: (string | undefined)[], force: boolean): void {
  asUsage(() => checkOutputs(paths.filter((p): p is string => p !== undefined && p !== '' && p !== '-'), force));
}

/** Text to an output descriptor from openOut (1: stdout, through its stream). */
export function writeText(fd: number, text: string): void {
  if (fd === 1) process.stdout.write(text);
  else writeFileSync(fd, text);
}

/**
 * Exit code when some of several files failed: 1 if any failure was internal, 0 if every one
 * was the output's reader going away (a closed pipe), else 2.
 */
export function filesFailureCode(failed: JobResult[]): number {
  if (failed.some((r) => r.error?.kind === 'internal')) return EXIT.usage;
  return failed.every((r) => r.error?.kind === 'pipe') ? EXIT.ok : EXIT.input;
}

export function memoryOptions(o: { allocator?: string; redisVersion?: string }): Job['memory'] {
  const allocator = (o.allocator ?? 'jemalloc') as AllocatorProfile;
  if (!ALLOCATORS.includes(allocator)) throw new UsageError(`--allocator must be one of ${ALLOCATORS.join(', ')}`);
  if (o.redisVersion && !versionFromOption(o.redisVersion)) throw new UsageError(`--redis-version: expected X.Y, got ${o.redisVersion}`);
  return { allocator, version: o.redisVersion ?? null };
}

