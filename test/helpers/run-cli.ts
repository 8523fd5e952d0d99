/**
 * Running the command line as users do: `node bin/rdbscope.js …` (the compiled dist/, built
 * first when missing or older than src/; the lock is the one test/cli.test.ts uses, so test
 * files running in parallel build once).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const cliPath = join(repoRoot, 'bin', 'rdbscope.js');
export const fixture = (name: string): string => join(repoRoot, 'fixtures', name);

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Build dist/ when missing or older than src/. */
export async function ensureBuilt(): Promise<void> {
  const main = join(repoRoot, 'dist', 'cli', 'main.js');
  const stale = () => !existsSync(main) || statSync(main).mtimeMs < newestMtime(join(repoRoot, 'src'));
  if (!stale()) return;
  const lock = join(tmpdir(), `rdbscope-build-lock-${Buffer.from(repoRoot).toString('hex').slice(-32)}`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held for too long`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (stale()) {
      // tsc emits even with type errors (e.g. in a file someone is editing); fail only without a CLI.
      const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, encoding: 'utf8' });
      if (!existsSync(main)) throw new Error(`building dist/ failed:\n${r.stdout}${r.stderr}`);
    }
  } finally {
    rmdirSync(lock);
  }
}

export interface CliRun {
  code: number | null;
  stdout: Buffer;
  out: string;
  stderr: string;
}

/** Runs the CLI with `args` (asynchronously, so tests overlap); `input` is piped to stdin; `env` is added to the environment. */
export function runCli(args: string[], opts: { cwd?: string; input?: Buffer; env?: Record<string, string> } = {}): Promise<CliRun> {
  return new Promise((done, fail) => {
    const env = opts.env ? { ...process.env, ...opts.env } : process.env;
    const cp = spawn(process.execPath, [cliPath, ...args], { cwd: opts.cwd ?? repoRoot, stdio: ['pipe', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    cp.stdout.on('data', (d: Buffer) => out.push(d));
    cp.stderr.on('data', (d: Buffer) => err.push(d));
    cp.stdin.on('error', () => {}); // the CLI may exit before reading all of stdin
    cp.once('error', fail);
    cp.once('close', (code) => {
      const stdout = Buffer.concat(out);
      done({ code, stdout, out: stdout.toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    cp.stdin.end(opts.input ?? Buffer.alloc(0));
  });
}

export const showRun = (r: CliRun): string => `exit ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.out.slice(0, 3000)}`;
