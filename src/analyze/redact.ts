/**
 * `--redact`: every key name becomes one token, `<pattern>#<hash>`, e.g. `session:*#3f2a9c1d`,
 * the same in every section of every report (report.json, report.md, report.html, findings,
 * keys.csv / JSONL, diffs). `KeyRedactor.redact` is the one function that makes it:
 * - hash = the first 8 hex digits of sha256(the key's bytes): stable across runs and files,
 *   so a key can be followed from one report to the next without being named;
 * - pattern = the key's own namespace pattern (identifier-like segments become `*`, as in the
 *   namespace trie), stricter: any remaining segment holding a digit, an `@`, a non-ASCII
 *   character or a folded part also becomes `*`. Plain-word segments stay readable.
 * The pattern depends only on the key and the separators/depth options, never on the other
 * keys of the file: keys.csv is streamed before the namespace trie is final, and a pattern
 * taken from the trie would give the same key a second token. So a token's pattern can be
 * narrower than the namespace row the key is counted in (a level collapsed by --max-children).
 * Namespace patterns themselves are kept as they are.
 */

import { createHash } from 'node:crypto';
import type { KeyEntry, Report } from './schema.ts';
import { keyBytes } from '../core/keyname.ts';
import { Segmenter, type NamespaceOptions } from './namespace.ts';
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
      // A word the trie only partly folded (`aby_*` from `aby_211`) hides all of it.
      else out += sep + (STRICT.test(body) || body.includes('*') ? '*' : body);
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
  const redactor = new KeyRedactor(report.options);
  // structuredClone keeps shared entries shared (a type's biggest key is also the head of its
  // big-keys list): each object is redacted once, or its token would be hashed a second time.
  const done = new Set<object>();
  const fix = (e: KeyEntry): void => {
    if (done.has(e)) return;
    done.add(e);
    const bytes = keyBytes(e.key, e.keyB64);
    e.key = redactor.redact(bytes);
    e.keyB64 = null;
  };
  // Every key entry wherever it sits (an object with `key` and `keyB64`), so a section added
  // to the schema later is redacted too.
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.key === 'string' && 'keyB64' in o) fix(o as unknown as KeyEntry);
    for (const x of Object.values(o)) walk(x);
  };
  // Findings quote keys in their text: they are made again from the redacted sections.
  for (const [name, v] of Object.entries(r)) if (name !== 'findings') walk(v);
  for (const f of r.files) f.warnings = f.warnings.map(redactWarning);
  r.redacted = true;
  r.findings = computeFindings(r, { policy: r.options.policy, maxmemory: r.options.maxmemory });
  return r;
}
