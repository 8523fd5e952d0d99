/**
 * Progress on stderr: an `ora` spinner on a TTY (percent of bytes, MB/s, keys, ETA), a plain
 * line every few seconds otherwise, nothing with --quiet.
 */
import type { Progress } from '../run/runner.ts';

export interface ProgressDisplay {
  update(p: Progress): void;
  stop(): void;
}

function describe(p: Progress, startedMs: number): string {
  const secs = Math.max((Date.now() - startedMs) / 1000, 0.001);
  const mbs = p.bytes / 1e6 / secs;
  const parts = [p.file];
  if (p.total) {
    const frac = Math.min(p.bytes / p.total, 1);
    parts.push(`${(frac * 100).toFixed(1)}%`);
    if (frac > 0.01 && frac < 1) parts.push(`ETA ${formatSeconds((secs / frac) * (1 - frac))}`);
  } else parts.push(`${(p.bytes / 1e6).toFixed(0)} MB`);
  parts.push(`${mbs.toFixed(0)} MB/s`, `${p.keys.toLocaleString('en-US')} keys`);
  return parts.join('  ');
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
}

export async function progressDisplay(quiet: boolean): Promise<ProgressDisplay> {
  const started = Date.now();
  if (quiet) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const { default: ora } = await import('ora');
    const spinner = ora({ stream: process.stderr, text: 'starting' }).start();
    return {
      update: (p) => {
        spinner.text = describe(p, started);
      },
      stop: () => spinner.stop(),
    };
  }
  let last = started;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 5000) return;
      last = now;
      process.stderr.write(`rdbscope: ${describe(p, started)}\n`);
    },
    stop() {},
  };
}
