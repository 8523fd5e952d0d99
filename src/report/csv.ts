/**
 * The per-key CSV layout (`keys.csv`, `rdbscope keys --format csv`), one row per key:
 *
 *   database,type,key,size_in_bytes,encoding,num_elements,len_largest_element,expiry,expire_at_ms,key_b64
 *
 * The first eight columns are those of redis-rdb-tools' memory report. Sizes are raw
 * integers; `expiry` is ISO-8601 UTC (empty without TTL); `expire_at_ms` the raw expiry.
 *
 * Key safety (RFC 4180 + spreadsheet formula injection):
 * - a field holding `,` `"` CR or LF is quoted, with `"` doubled;
 * - a key starting with `=` `+` `-` `@` TAB or CR is prefixed with `'` so spreadsheets do not
 *   run it as a formula;
 * - a key that is not valid UTF-8 is written readably (`\xNN` for the bad bytes).
 * Whenever the `key` column is not the exact key (the two cases above), `key_b64` holds the
 * key bytes in base64; otherwise it is empty. So: key = key_b64 ? base64decode(key_b64) : key.
 * With a redactor, `key` is `pattern#hash` and `key_b64` is always empty.
 *
 * Encoded straight into bytes for speed (millions of rows; `writeKeysCsvRow` into a ByteSink,
 * `keysCsvRow` when a string is wanted); papaparse reads it back (see the tests).
 */

import type { KeyRecord } from '../types.ts';
import { escapeInvalidUtf8, isValidUtf8, toBase64 } from '../analyze/keyname.ts';
import { ByteSink, isDateMs, writeIso } from './sink.ts';
import type { KeyRedactor } from './redact.ts';

export const KEYS_CSV_COLUMNS = [
  'database',
  'type',
  'key',
  'size_in_bytes',
  'encoding',
  'num_elements',
  'len_largest_element',
  'expiry',
  'expire_at_ms',
  'key_b64',
] as const;

const HEADER = KEYS_CSV_COLUMNS.join(',') + '\n';

/** The header line (with its newline). */
export function keysCsvHeader(): string {
  return HEADER;
}

/** ISO-8601 UTC of an expiry (exactly what Date.toISOString gives), '' when none or out of a Date's range. */
export function isoExpiry(ms: number): string {
  if (ms === -1 || !isDateMs(ms)) return '';
  const out = new ByteSink(32);
  writeIso(out, ms);
  return out.toString();
}

/** True for the first characters spreadsheets treat as a formula. */
function isFormulaStart(c: number): boolean {
  return c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13;
}

/** Quotes a CSV field when needed and neutralises formulas (for text fields other than the key). */
export function csvField(s: string): string {
  let t = s;
  if (t.length > 0 && isFormulaStart(t.charCodeAt(0))) t = "'" + t;
  if (/[",\r\n]/.test(t)) t = '"' + t.replace(/"/g, '""') + '"';
  return t;
}

const fieldCache = new Map<string, Uint8Array>();
/** `csvField` bytes for the few distinct type / encoding strings. */
function cachedField(s: string): Uint8Array {
  let f = fieldCache.get(s);
  if (f === undefined) {
    f = new TextEncoder().encode(csvField(s));
    if (fieldCache.size < 256) fieldCache.set(s, f);
  }
  return f;
}

function writeField(out: ByteSink, f: Uint8Array): void {
  out.bytes(f, 0, f.length);
}

/** Appends one CSV row (with its newline) for a record to `out`. Hot path. */
export function writeKeysCsvRow(out: ByteSink, rec: KeyRecord, redactor?: KeyRedactor | null): void {
  const b = rec.key;
  const n = rec.keyLength;
  let b64 = false;
  out.num(rec.db);
  out.byte(44);
  writeField(out, cachedField(rec.type));
  out.byte(44);
  if (redactor !== undefined && redactor !== null) {
    out.text(csvField(redactor.redact(b, 0, n)));
  } else {
    // Optimistic single pass: copy the bytes while looking for what needs quoting or is not
    // ASCII; rewind for the rare keys that need more.
    const formula = n > 0 && isFormulaStart(b[0]);
    const start = out.pos;
    out.ensure(n + 1);
    const o = out.buf;
    let p = start;
    if (formula) o[p++] = 39;
    let quote = false;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = b[i];
      if (c === 44 || c === 34 || c === 10 || c === 13) quote = true;
      else if (c >= 0x80) ascii = false;
      o[p++] = c;
    }
    out.pos = p;
    b64 = formula;
    if (!ascii && !isValidUtf8(b, 0, n)) {
      // Not UTF-8: a readable rendering here, the exact bytes in key_b64.
      out.pos = start;
      b64 = true;
      out.text(csvField(escapeInvalidUtf8(b, 0, n)));
    } else if (quote) {
      out.pos = start;
      out.ensure(2 * n + 3);
      const q = out.buf;
      p = start;
      q[p++] = 34;
      if (formula) q[p++] = 39;
      for (let i = 0; i < n; i++) {
        const c = b[i];
        if (c === 34) q[p++] = 34;
        q[p++] = c;
      }
      q[p++] = 34;
      out.pos = p;
    }
  }
  out.byte(44);
  out.num(rec.memoryBytes);
  out.byte(44);
  writeField(out, cachedField(rec.encoding));
  out.byte(44);
  out.num(rec.length);
  out.byte(44);
  // -1: not known (a small packed value analysis did not decode): an empty field.
  if (rec.largestElement >= 0) out.num(rec.largestElement);
  out.byte(44);
  const exp = rec.expireAtMs;
  if (exp !== -1) {
    if (isDateMs(exp)) writeIso(out, exp);
    out.byte(44);
    out.num(exp);
  } else out.byte(44);
  out.byte(44);
  if (b64) out.ascii(toBase64(b, 0, n));
  out.byte(10);
}

const rowSink = new ByteSink(1 << 12);

/** One CSV row (with its newline) for a record, as a string. */
export function keysCsvRow(rec: KeyRecord, redactor?: KeyRedactor | null): string {
  rowSink.reset();
  writeKeysCsvRow(rowSink, rec, redactor);
  return rowSink.toString();
}
