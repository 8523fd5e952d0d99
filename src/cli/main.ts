/**
 * The command line: parses options, runs each file through a parse worker, prints results,
 * and maps outcomes to exit codes (0 done, 1 usage or internal error, 2 bad input, 3 budget).
 */
import { Command } from 'commander';
import { openSync, closeSync } from 'node:fs';
import { runJob, type RunOptions } from '../run/runner.ts';
import type { Job, JobResult } from '../run/job.ts';
import { ALLOCATORS, type AllocatorProfile } from '../memory/allocator.ts';
import { versionFromOption } from '../format/version.ts';
import { infoReport, infoText } from './info.ts';
import { progressDisplay } from './progress.ts';

export const EXIT = { ok: 0, usage: 1, input: 2, budget: 3 } as const;

let debug = false;

/** One line per failure on stderr; stack traces only with --debug or for internal errors. */
export function reportFailure(r: JobResult): void {
  const e = r.error!;
  if (e.kind === 'pipe') return;
  if (e.kind === 'internal') {
    process.stderr.write(`rdbscope: internal error: ${e.message}\n`);
    if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
    return;
  }
  process.stderr.write(`${e.message}\n`);
}

/** Exit code of a failed job: bad input is 2, a closed output pipe 0, anything else internal (1). */
function failureCode(r: JobResult): number {
  const kind = r.error?.kind;
  return kind === 'input' ? EXIT.input : kind === 'pipe' ? EXIT.ok : EXIT.usage;
}

function baseJob(kind: Job['kind']): Omit<Job, 'path' | 'file'> {
  return { kind, outFd: -1, rows: null, header: false, filter: null, memory: null, fileIndex: 0, analyze: null, redact: false };
}

async function withProgress(quiet: boolean, run: (opts: RunOptions) => Promise<JobResult>): Promise<JobResult> {
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

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('rdbscope')
    .description('Offline analyzer for Redis and Valkey RDB snapshots (plain, gzip, LZ4 or zstd; - for stdin).')
    .version(VERSION)
    .option('--debug', 'print stack traces of internal errors')
    .option('-q, --quiet', 'no progress on stderr')
    .hook('preAction', (cmd) => {
      debug = !!cmd.opts().debug;
    });

  program
    .command('dump')
    .description('one JSON object per key per line (db, key or key_b64, type, encoding, expire_at_ms, length, value)')
    .argument('<file>', 'RDB file, optionally compressed; - for stdin')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .option('--force', 'overwrite --out if it exists')
    .action(async (file: string, o: { out?: string; force?: boolean }) => {
      const out = openOut(o.out, !!o.force);
      try {
        const r = await withProgress(true, (ro) => runJob(file, { ...baseJob('dump'), outFd: out.fd }, ro));
        if (!r.ok) return fail(r);
      } finally {
        out.close();
      }
    });

  program
    .command('info')
    .description('header, producer, aux fields, per-db key and expiry counts, functions, modules, checksum status')
    .argument('<file>', 'RDB file, optionally compressed; - for stdin')
    .option('--json', 'machine-readable output')
    .action(async (file: string, o: { json?: boolean }) => {
      const r = await withProgress(!!program.opts().quiet, (ro) => runJob(file, baseJob('info'), ro));
      if (!r.ok) return fail(r);
      const report = infoReport(file === '-' ? '<stdin>' : file, r.info, r.keys);
      process.stdout.write(o.json ? JSON.stringify(report, null, 2) + '\n' : infoText(report));
      if (r.info.checksum === 'mismatch') {
        process.stderr.write(`${report.file}: offset ${r.info.bytes - 8}: checksum ${r.info.computedChecksum} (CRC-64 of the bytes before it), found ${r.info.storedChecksum}\n`);
        process.exitCode = EXIT.input;
      }
    });

  program
    .command('check')
    .description('full structural walk plus checksum; exit 0 when sound, 2 with the offset of the first defect')
    .argument('<file>', 'RDB file, optionally compressed; - for stdin')
    .action(async (file: string) => {
      const r = await withProgress(!!program.opts().quiet, (ro) => runJob(file, baseJob('check'), ro));
      if (!r.ok) return fail(r);
      const name = file === '-' ? '<stdin>' : file;
      const sum = r.info.checksum === 'ok' ? 'checksum ok' : r.info.checksum === 'disabled' ? 'checksum not computed by the server' : 'no checksum (RDB < 5)';
      process.stdout.write(`${name}: ok: RDB ${r.info.rdbVersion}, ${r.keys} keys, ${r.info.bytes} bytes, ${sum}\n`);
    });

  return program;
}

function fail(r: JobResult): void {
  reportFailure(r);
  process.exitCode = failureCode(r);
}

export const VERSION = '0.1.0';

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride((err) => {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
    throw err;
  });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('commander.')) return;
    if (e instanceof UsageError) {
      process.stderr.write(`rdbscope: ${e.message}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    process.stderr.write(`rdbscope: internal error: ${(e as Error).message}\n`);
    if (debug) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = EXIT.usage;
  }
}
