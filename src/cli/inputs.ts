/**
 * `merge`'s inputs: a directory stands for every report.json beneath it, a pattern with `*`,
 * `?` or `[…]` for the paths it matches (the shell may have expanded it already; quoted, it
 * reaches us as it is, which is what CI and Kubernetes steps do). Anything else is a file.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join, sep } from 'node:path';
import { Glob } from '../analyze/glob.ts';
import { UsageError } from './common.ts';

const WILD = /[*?[]/;
const encoder = new TextEncoder();

export function expandInputs(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (a !== '-' && isDir(a)) {
      const found = reportsBeneath(a);
      if (found.length === 0) throw new UsageError(`${a}: no report.json beneath this directory`);
      out.push(...found);
    } else if (WILD.test(a) && !exists(a)) {
      const found = matchPath(a);
      if (found.length === 0) throw new UsageError(`${a}: matches no file`);
      out.push(...found.flatMap((f) => (isDir(f) ? reportsBeneath(f) : [f])));
    } else out.push(a);
  }
  return out;
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Every entry under `dir` (not a directory) that `accept`s, in sorted path order (so shard order is stable). */
export function filesBeneath(dir: string, accept: (e: Dirent) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (accept(e)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const reportsBeneath = (dir: string): string[] => filesBeneath(dir, (e) => e.name === 'report.json');

/** Paths matching `pattern`, one path segment at a time (wildcards never cross a `/`). */
function matchPath(pattern: string): string[] {
  const parts = pattern.split(sep);
  let bases = [parts[0] === '' ? sep : parts[0]];
  if (WILD.test(parts[0])) bases = matchIn('.', parts[0]).map((n) => n);
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const b of bases) {
      if (!WILD.test(part)) {
        const p = join(b, part);
        if (exists(p)) next.push(p);
      } else if (isDir(b)) next.push(...matchIn(b, part).map((n) => join(b, n)));
    }
    bases = next;
  }
  return bases.sort();
}

function matchIn(dir: string, segment: string): string[] {
  const g = new Glob(segment);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => {
    const b = encoder.encode(n);
    return g.match(b, 0, b.length);
  }).sort();
}
