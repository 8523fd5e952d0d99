/**
 * The per-key JSONL layout (`rdbscope keys --format jsonl`), one object per line:
 *
 *   {"db":0,"key":"cache:1","type":"string","encoding":"embstr","memory_bytes":72,
 *    "length":5,"largest_element_bytes":5,"expire_at_ms":null}
 *
 * `key` is the exact key text when the key is valid UTF-8; otherwise `key` is absent and
 * `key_b64` holds the bytes in base64. `expire_at_ms` is null without TTL. With a redactor,
 * `key` is `pattern#hash`. Encoded straight into bytes like keys.csv.
 */

import type { KeyRecord } from '../types.ts';
import { decodeUtf8, isValidUtf8, toBase64 } from '../analyze/keyname.ts';
import type { KeyRedactor } from './redact.ts';
import { ByteSink, FieldCache } from './sink.ts';

const typeNames = new FieldCache(JSON.stringify);
const encodingNames = new FieldCache(JSON.stringify);

const ascii = (t: string): Uint8Array => new TextEncoder().encode(t);
const P_DB = ascii('{"db":');
const P_KEY = ascii(',"key":');
const P_KEY_B64 = ascii(',"key_b64":"');
const P_TYPE = ascii(',"type":');
const P_ENCODING = ascii(',"encoding":');
const P_MEMORY = ascii(',"memory_bytes":');
const P_LENGTH = ascii(',"length":');
const P_LARGEST = ascii(',"largest_element_bytes":');
const P_EXPIRE = ascii(',"expire_at_ms":');
const P_NULL_END = ascii('null}\n');
const P_END = ascii('}\n');

function put(out: ByteSink, b: Uint8Array): void {
  out.bytes(b, 0, b.length);
}

/** Appends one JSON line (with its newline) for a record to `out`. */
export function writeKeyJsonl(out: ByteSink, rec: KeyRecord, redactor?: KeyRedactor | null): void {
  const b = rec.key;
  const n = rec.keyLength;
  put(out, P_DB);
  out.num(rec.db);
  if (redactor !== undefined && redactor !== null) {
    put(out, P_KEY);
    out.text(JSON.stringify(redactor.redact(b, 0, n)));
  } else if (isValidUtf8(b, 0, n)) {
    let plain = true;
    for (let i = 0; i < n; i++) {
      const c = b[i];
      if (c < 0x20 || c === 34 || c === 92 || c === 0x7f) {
        plain = false;
        break;
      }
    }
    put(out, P_KEY);
    if (plain) {
      // Valid UTF-8 without anything JSON must escape: the bytes are the JSON text.
      out.byte(34);
      out.bytes(b, 0, n);
      out.byte(34);
    } else out.text(JSON.stringify(decodeUtf8(b, 0, n)));
  } else {
    put(out, P_KEY_B64);
    out.ascii(toBase64(b, 0, n));
    out.byte(34);
  }
  put(out, P_TYPE);
  const t = typeNames.get(rec.type);
  out.bytes(t, 0, t.length);
  put(out, P_ENCODING);
  const e = encodingNames.get(rec.encoding);
  out.bytes(e, 0, e.length);
  put(out, P_MEMORY);
  out.num(rec.memoryBytes);
  put(out, P_LENGTH);
  out.num(rec.length);
  put(out, P_LARGEST);
  // -1: not known (a small packed value analysis did not decode): null.
  if (rec.largestElement >= 0) out.num(rec.largestElement);
  else out.ascii('null');
  put(out, P_EXPIRE);
  if (rec.expireAtMs === -1) put(out, P_NULL_END);
  else {
    out.num(rec.expireAtMs);
    put(out, P_END);
  }
}

const lineSink = new ByteSink(1 << 12);

/** One JSON line (with its newline) for a record, as a string. */
export function keyJsonl(rec: KeyRecord, redactor?: KeyRedactor | null): string {
  lineSink.reset();
  writeKeyJsonl(lineSink, rec, redactor);
  return lineSink.toString();
}
