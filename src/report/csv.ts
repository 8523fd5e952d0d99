/**
 * The per-key CSV layout (`keys.csv`, `rdbscope keys --format csv`), one row per key:
 *
 *   database,type,key,size_in_bytes,encoding,num_elements,len_largest_element,expiry,expire_at_ms,key_b64,memory_usage
 *
 * The first eight columns are those of redis-rdb-tools' memory report. `size_in_bytes` is the
 * key's real bytes (what a DEL would free: value, key, dict and expires entries), the figure
 * report.json ranks and sums, so the column adds up to the instance estimate less its tables
 * and baseline; `memory_usage` is what `MEMORY USAGE key` would say (redis-cli's figure).
 * Sizes are raw integers; `expiry` is ISO-8601 UTC (empty without TTL); `expire_at_ms` the
 * raw expiry.
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

import type { KeyRecord } from '../core/types.ts';
import { escapeInvalidUtf8, isValidUtf8, toBase64 } from '../core/keyname.ts';
import { ByteSink, FieldCache, KEY_ESCAPE, KEY_NON_ASCII, copyKey, escapeTable, isDateMs, putField, putIso, putNum } from './sink.ts';
import type { KeyRedactor } from '../analyze/redact.ts';

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
  'memory_usage',
] as const;

const HEADER = KEYS_CSV_COLUMNS.join(',') + '\n';

/** The header line (with its newline). */
export function keysCsvHeader(): string {
  return HEADER;
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

const typeFields = new FieldCache(csvField);
const encodingFields = new FieldCache(csvField);
/** Bytes that make a CSV field need quotes. */
const CSV_QUOTED = escapeTable([44, 34, 10, 13]);

/** Room a row needs besides its key, type and encoding: separators, five numbers, a date. */
const ROW_FIXED = 256;

/**
 * Appends one CSV row (with its newline) for a record to `out`. Hot path: room is ensured
 * once, then bytes go straight into the buffer.
 */
export function writeKeysCsvRow(out: ByteSink, rec: KeyRecord, redactor?: KeyRedactor | null): void {
  const b = rec.key;
  const n = rec.keyLength;
  let b64 = false;
  const type = typeFields.get(rec.type);
  const enc = encodingFields.get(rec.encoding);
  out.ensure(2 * n + ROW_FIXED + type.length + enc.length);
  let o = out.buf;
  let p = putNum(out, out.pos, rec.db);
  o[p++] = 44;
  p = putField(o, p, type);
  o[p++] = 44;
  if (redactor !== undefined && redactor !== null) {
    out.pos = p;
    out.text(csvField(redactor.redact(b, 0, n)));
    out.ensure(ROW_FIXED + enc.length);
    o = out.buf;
    p = out.pos;
  } else {
    // Optimistic single pass: copy the bytes while looking for what needs quoting or is not
    // ASCII; rewind for the rare keys that need more.
    const formula = n > 0 && isFormulaStart(b[0]!);
    const start = p;
    if (formula) o[p++] = 39;
    const cls = copyKey(o, p, rec, CSV_QUOTED);
    p += n;
    const quote = (cls & KEY_ESCAPE) !== 0;
    const ascii = (cls & KEY_NON_ASCII) === 0;
    b64 = formula;
    if (!ascii && !isValidUtf8(b, 0, n)) {
      // Not UTF-8: a readable rendering here, the exact bytes in key_b64.
      out.pos = start;
      b64 = true;
      out.text(csvField(escapeInvalidUtf8(b, 0, n)));
      out.ensure(ROW_FIXED + enc.length);
      o = out.buf;
      p = out.pos;
    } else if (quote) {
      p = start;
      o[p++] = 34;
      if (formula) o[p++] = 39;
      for (let i = 0; i < n; i++) {
        const c = b[i]!;
        if (c === 34) o[p++] = 34;
        o[p++] = c;
      }
      o[p++] = 34;
    }
  }
  o[p++] = 44;
  p = putNum(out, p, rec.realBytes);
  o[p++] = 44;
  p = putField(o, p, enc);
  o[p++] = 44;
  p = putNum(out, p, rec.length);
  o[p++] = 44;
  // -1: not known (a small packed value analysis did not decode): an empty field.
  if (rec.largestElement >= 0) p = putNum(out, p, rec.largestElement);
  o[p++] = 44;
  const exp = rec.expireAtMs;
  if (exp !== -1) {
    if (isDateMs(exp)) p = putIso(o, p, exp);
    o[p++] = 44;
    p = putNum(out, p, exp);
  } else o[p++] = 44;
  o[p++] = 44;
  out.pos = p;
  if (b64) out.ascii(toBase64(b, 0, n));
  out.ensure(32);
  p = out.pos;
  out.buf[p++] = 44;
  p = putNum(out, p, rec.memoryBytes);
  out.buf[p++] = 10;
  out.pos = p;
}

const rowSink = new ByteSink(1 << 12);

/** One CSV row (with its newline) for a record, as a string. */
export function keysCsvRow(rec: KeyRecord, redactor?: KeyRedactor | null): string {
  rowSink.reset();
  writeKeysCsvRow(rowSink, rec, redactor);
  return rowSink.toString();
}
