/**
 * `--redact`: key names become `<namespace pattern>#<hash>`, e.g. `session:*#3f2a9c1d`, where
 * hash = the first 8 hex digits of sha256(key bytes). Stable across runs and files, so the
 * same key can be followed from one report to the next without being named.
 *
 * Two flavours:
 * - `redactReport` (report.json, report.md, namespaces.csv): the pattern is where the key is
 *   counted in the report's namespace trie, so it matches a `namespaces` entry. Namespace
 *   patterns themselves are kept: a literal segment is only there if its level had at most
 *   --max-children distinct values.
 * - `KeyRedactor` (keys.csv / JSONL, streamed before the trie is final): the key's own pattern
 *   (identifiers → `*`), stricter: any remaining segment holding a digit, an `@` or a non-ASCII
 *   character also becomes `*`. The hash is the same in both, so keys can be matched up.
 */

import { createHash } from 'node:crypto';
import type { KeyEntry, QueueEntry, Report } from './schema.ts';
import { keyBytes } from '../core/keyname.ts';
import { Segmenter, type NamespaceOptions } from './namespace.ts';
import { trieOfReport } from './merge.ts';
import { computeFindings } from './findings.ts';

/** First 8 hex digits of sha256 of `b[s, e)`. */
export function keyHash(b: Uint8Array, s = 0, e = b.length): string {
  return createHash('sha256').update(b.subarray(s, e)).digest('hex').slice(0, 8);
}

const STRICT = /[0-9@]|[^\x20-\x7e]/;

export class KeyRedactor {
  private readonly seg: Segmenter;
  constructor(opts: NamespaceOptions = {}) {
    this.seg = new Segmenter(opts);
  }

  /** The strict pattern of the key (see the module comment). */
  pattern(b: Uint8Array, s = 0, e = b.length): string {
    let out = '';
    let first = true;
    this.seg.forEachLabel(b, s, e, (label) => {
      const sep = first ? '' : label[0];
      const body = first ? label : label.slice(1);
      first = false;
      if (body === '*' || /^<[a-z]+>$/.test(body) || body === '{*}') out += label;
      else out += sep + (STRICT.test(body) ? '*' : body);
    });
    return out;
  }

  redact(b: Uint8Array, s = 0, e = b.length): string {
    return this.pattern(b, s, e) + '#' + keyHash(b, s, e);
  }
}

/** Parser warnings name keys as `key "…"` (JSON-quoted, maybe followed by `...`): hide them. */
export function redactWarning(w: string): string {
  return w.replace(/\bkey "(?:[^"\\]|\\.)*"(?:\.\.\.)?/g, 'key <redacted>');
}

/** A redacted copy of the report (the input is not changed). Already redacted reports come back as they are. */
export function redactReport(report: Report): Report {
  if (report.redacted) return report;
  const r = structuredClone(report);
  const trie = trieOfReport(report);
  const cache = new Map<string, string>();
  const fix = <T extends KeyEntry | QueueEntry | null>(e: T): T => {
    if (e === null) return e;
    const id = e.keyB64 ?? 't:' + e.key;
    let red = cache.get(id);
    if (red === undefined) {
      const bytes = keyBytes(e.key, e.keyB64);
      red = trie.patternOf(bytes, 0, bytes.length) + '#' + keyHash(bytes);
      cache.set(id, red);
    }
    e.key = red;
    e.keyB64 = null;
    return e;
  };
  r.bigKeys.forEach(fix);
  for (const l of Object.values(r.bigKeysByType)) l?.forEach(fix);
  r.noTtl.biggest.forEach(fix);
  r.bigElements.keys.forEach(fix);
  r.queues.forEach(fix);
  fix(r.queueStats.longest);
  fix(r.queueStats.mostPending);
  for (const t of r.types) fix(t.biggest);
  for (const n of r.namespaces) fix(n.largest);
  for (const n of r.noTtl.namespaces) fix(n.largest);
  for (const f of r.files) f.warnings = f.warnings.map(redactWarning);
  r.redacted = true;
  r.findings = computeFindings(r, { policy: r.options.policy, maxmemory: r.options.maxmemory });
  return r;
}
