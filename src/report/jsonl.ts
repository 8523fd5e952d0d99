/**
 * The per-key JSONL layout (`rdbscope keys --format jsonl`), one object per line:
 *
 *   {"db":0,"key":"cache:1","type":"string","encoding":"embstr","memory_bytes":72,
 *    "real_bytes":72,"length":5,"largest_element_bytes":5,"expire_at_ms":null}
 *
 * `memory_bytes` is MEMORY USAGE as estimated, `real_bytes` what a DEL of the key would free
 * (KeyRecord.realBytes).
 *
 * `key` is the exact key text when the key is valid UTF-8; otherwise `key` is absent and
 * `key_b64` holds the bytes in base64. `expire_at_ms` is null without TTL. With a redactor,
 * `key` is `pattern#hash`. Encoded straight into bytes like keys.csv.
 */

import type { KeyRecord } from '../core/types.ts';
import { decodeUtf8, isValidUtf8, toBase64 } from '../core/keyname.ts';
import type { KeyRedactor } from '../analyze/redact.ts';
import { ByteSink, FieldCache, KEY_ESCAPE, KEY_NON_ASCII, copyKey, escapeTable, putField, putNum } from './sink.ts';

const typeNames = new FieldCache(JSON.stringify);
const encodingNames = new FieldCache(JSON.stringify);
/** Bytes a JSON string escapes: control characters, `"` and `\`. */
const JSON_ESCAPED = escapeTable([...Array.from({ length: 0x20 }, (_, i) => i), 34, 92]);

const ascii = (t: string): Uint8Array => new TextEncoder().encode(t);
const P_DB = ascii('{"db":');
const P_KEY = ascii(',"key":');
const P_KEY_B64 = ascii(',"key_b64":"');
const P_TYPE = ascii(',"type":');
const P_ENCODING = ascii(',"encoding":');
const P_MEMORY = ascii(',"memory_bytes":');
const P_REAL = ascii(',"real_bytes":');
const P_LENGTH = ascii(',"length":');
const P_LARGEST = ascii(',"largest_element_bytes":');
const P_EXPIRE = ascii(',"expire_at_ms":');
const P_NULL_END = ascii('null}\n');
const P_END = ascii('}\n');

const P_NULL = ascii('null');

/** Room a line needs besides its key, type and encoding: the fixed text and six numbers. */
const LINE_FIXED = 256;

/**
 * Appends one JSON line (with its newline) for a record to `out`. Hot path, like keys.csv
 * rows: room is ensured once (again only after a key written through ByteSink), then bytes
 * go straight into the buffer.
 */
export function writeKeyJsonl(out: ByteSink, rec: KeyRecord, redactor?: KeyRedactor | null): void {
  const b = rec.key;
  const n = rec.keyLength;
  const type = typeNames.get(rec.type);
  const enc = encodingNames.get(rec.encoding);
  out.ensure(n + LINE_FIXED + type.length + enc.length);
  let o = out.buf;
  let p = putField(o, out.pos, P_DB);
  p = putNum(out, p, rec.db);
  if (redactor !== undefined && redactor !== null) {
    p = putField(o, p, P_KEY);
    out.pos = p;
    out.text(JSON.stringify(redactor.redact(b, 0, n)));
    out.ensure(LINE_FIXED + type.length + enc.length);
  } else {
    // Optimistic single pass: copy the bytes while looking for what JSON must escape or is
    // not ASCII; rewind for the rare keys that need more.
    const start = p;
    p = putField(o, p, P_KEY);
    o[p++] = 34;
    const cls = copyKey(o, p, rec, JSON_ESCAPED);
    p += n;
    const plain = (cls & KEY_ESCAPE) === 0;
    const ascii = (cls & KEY_NON_ASCII) === 0;
    o[p++] = 34;
    out.pos = p;
    if (!ascii && !isValidUtf8(b, 0, n)) {
      out.pos = putField(o, start, P_KEY_B64);
      out.ascii(toBase64(b, 0, n));
      out.byte(34);
      out.ensure(LINE_FIXED + type.length + enc.length);
    } else if (!plain) {
      out.pos = putField(o, start, P_KEY);
      out.text(JSON.stringify(decodeUtf8(b, 0, n)));
      out.ensure(LINE_FIXED + type.length + enc.length);
    }
  }
  o = out.buf;
  p = putField(o, out.pos, P_TYPE);
  p = putField(o, p, type);
  p = putField(o, p, P_ENCODING);
  p = putField(o, p, enc);
  p = putField(o, p, P_MEMORY);
  p = putNum(out, p, rec.memoryBytes);
  p = putField(o, p, P_REAL);
  p = putNum(out, p, rec.realBytes);
  p = putField(o, p, P_LENGTH);
  p = putNum(out, p, rec.length);
  p = putField(o, p, P_LARGEST);
  // -1: not known (a small packed value analysis did not decode): null.
  p = rec.largestElement >= 0 ? putNum(out, p, rec.largestElement) : putField(o, p, P_NULL);
  p = putField(o, p, P_EXPIRE);
  p = rec.expireAtMs === -1 ? putField(o, p, P_NULL_END) : putField(o, putNum(out, p, rec.expireAtMs), P_END);
  out.pos = p;
}

const lineSink = new ByteSink(1 << 12);

/** One JSON line (with its newline) for a record, as a string. */
export function keyJsonl(rec: KeyRecord, redactor?: KeyRedactor | null): string {
  lineSink.reset();
  writeKeyJsonl(lineSink, rec, redactor);
  return lineSink.toString();
}
