/** What every command shares: exit codes, failure messages, output files, model options. */
import { closeSync, openSync } from 'node:fs';
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
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${out} exists; use --force to overwrite it`);
    throw new UsageError(`cannot write ${out}: ${(e as Error).message}`);
  }
  return { fd, close: () => closeSync(fd) };
}

export class UsageError extends Error {}

export function memoryOptions(o: { allocator?: string; redisVersion?: string }): Job['memory'] {
  const allocator = (o.allocator ?? 'jemalloc') as AllocatorProfile;
  if (!ALLOCATORS.includes(allocator)) throw new UsageError(`--allocator must be one of ${ALLOCATORS.join(', ')}`);
  if (o.redisVersion && !versionFromOption(o.redisVersion)) throw new UsageError(`--redis-version: expected X.Y, got ${o.redisVersion}`);
  return { allocator, version: o.redisVersion ?? null };
}

