/**
 * A growable byte buffer that per-key rows are encoded into directly (no intermediate
 * strings): key bytes are copied as they are, numbers and dates written as ASCII digits.
 * This is what makes keys.csv / JSONL cheap for millions of keys.
 */

import { decodeUtf8 } from '../core/keyname.ts';
import type { KeyRecord } from '../core/types.ts';

const encoder = new TextEncoder();

/** "00" … "99" as bytes: PAIRS[2n], PAIRS[2n + 1]. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

export class ByteSink {
  buf: Uint8Array;
  pos = 0;

  constructor(size = 1 << 16) {
    this.buf = new Uint8Array(size);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = c;
  }

  /** Any text, UTF-8 encoded. */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += encoder.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  /** Text known to be ASCII. */
  ascii(s: string): void {
    this.ensure(s.length);
    const out = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) out[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** An integer in decimal (other numbers through String()). */
  num(n: number): void {
    if (n >= 0 && n <= MAX_SAFE && Math.floor(n) === n) {
      this.ensure(16);
      this.pos = putUint(this.buf, this.pos, n);
      return;
    }
    if (!Number.isSafeInteger(n)) {
      this.ascii(String(n));
      return;
    }
    this.ensure(17);
    this.buf[this.pos++] = 45;
    this.pos = putUint(this.buf, this.pos, -n);
  }

  /** The bytes written so far as text (they must be valid UTF-8). */
  toString(): string {
    return decodeUtf8(this.buf, 0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Encoded bytes of the few distinct type / encoding names a row writer prints, found by
 * identity (the parser hands over the same literal every time): a Map lookup per column per
 * row was a tenth of a keys.csv row's cost.
 */
export class FieldCache {
  /** How many names are kept; past that, other names are encoded on every call. */
  static readonly SLOTS = 64;
  private readonly keys: string[] = [];
  private readonly vals: Uint8Array[] = [];

  /** `encode` renders a name as the output format writes it (CSV field, JSON string). */
  constructor(private readonly encode: (s: string) => string) {}

  get(s: string): Uint8Array {
    const i = this.index(s);
    return i >= 0 ? this.vals[i]! : encoder.encode(this.encode(s));
  }

  /** The slot of `s` (0, 1, … in order of first sight), or -1 when all SLOTS hold other names. */
  index(s: string): number {
    const k = this.keys;
    for (let i = 0; i < k.length; i++) if (k[i] === s) return i;
    if (k.length >= FieldCache.SLOTS) return -1;
    k.push(s);
    this.vals.push(encoder.encode(this.encode(s)));
    return k.length - 1;
  }

  /** The encoded name in slot `i` (from index()). */
  at(i: number): Uint8Array {
    return this.vals[i]!;
  }
}

/**
 * Writes the integer 0 ≤ n ≤ 2^53 in decimal at `o[p]` (room for 16 digits already ensured);
 * returns the position after it. For row writers that ensure room once per row.
 */
function putUint(o: Uint8Array, p: number, n: number): number {
  if (n <= 0x7fffffff) return putSmall(o, p, n | 0);
  // Up to 2^53: high part, then the low 8 digits.
  const hi = Math.floor(n / 1e8);
  const lo = n - hi * 1e8;
  if (hi <= 0x7fffffff) p = putSmall(o, p, hi);
  else {
    const hh = Math.floor(hi / 1e8);
    p = putSmall(o, p, hh);
    p = putPadded(o, p, hi - hh * 1e8, 8);
  }
  return putPadded(o, p, lo, 8);
}

/** copyKey's report: the key holds a byte the format escapes / a byte above ASCII. */
export const KEY_ESCAPE = 1;
export const KEY_NON_ASCII = 2;

/**
 * Copies `rec`'s key to `o[p]` (room ensured) and returns KEY_* bits: `escape[c]` is 1 for
 * the ASCII bytes the output format quotes or escapes.
 */
export function copyKey(o: Uint8Array, p: number, rec: KeyRecord, escape: Uint8Array): number {
  const b = rec.key;
  const n = rec.keyLength;
  let cls = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    cls |= c >= 0x80 ? KEY_NON_ASCII : escape[c]!;
    o[p + i] = c;
  }
  return cls;
}

/** An `escape` table for copyKey: 1 for the listed ASCII bytes. */
export function escapeTable(bytes: number[]): Uint8Array {
  const t = new Uint8Array(128);
  for (const c of bytes) t[c] = 1;
  return t;
}

/** Copies the (short) bytes `f` to `o[p]` (room ensured); returns the position after them. */
export function putField(o: Uint8Array, p: number, f: Uint8Array): number {
  for (let i = 0; i < f.length; i++) o[p++] = f[i]!;
  return p;
}

/**
 * Writes a number at `out.buf[p]` for row writers that ensured room for the row (24 bytes
 * per number): the fast path for safe unsigned integers, else ByteSink.num. Returns the
 * position after it.
 */
export function putNum(out: ByteSink, p: number, v: number): number {
  if (v >= 0 && v <= MAX_SAFE && Math.floor(v) === v) return putUint(out.buf, p, v);
  out.pos = p;
  out.num(v);
  return out.pos;
}

/** 0 ≤ v < 2^31, in as many digits as it has. */
function putSmall(o: Uint8Array, p: number, v: number): number {
  let digits = 1;
  if (v >= 10) digits = v >= 1e9 ? 10 : v >= 1e8 ? 9 : v >= 1e7 ? 8 : v >= 1e6 ? 7 : v >= 1e5 ? 6 : v >= 1e4 ? 5 : v >= 1e3 ? 4 : v >= 100 ? 3 : 2;
  return putPadded(o, p, v, digits);
}

/** `n` as exactly `width` digits, zero-padded (0 ≤ n < 2^31, n < 10^width). */
function putPadded(o: Uint8Array, p: number, n: number, width: number): number {
  let v = n | 0;
  const end = p + width;
  p = end;
  let w = width;
  while (w >= 2) {
    const q = (v / 100) | 0;
    const r = (v - q * 100) << 1;
    o[--p] = PAIRS[r + 1]!;
    o[--p] = PAIRS[r]!;
    v = q;
    w -= 2;
  }
  if (w === 1) o[--p] = 48 + v;
  return end;
}

const DATE_MAX = 8.64e15;
/** Years 0..9999 are written digit by digit; the rest through Date.toISOString. */
const FAST_MIN = -62167219200000;
const FAST_MAX = 253402300799999;

/** The date part (`YYYY-MM-DDT`) of the last day written: expiries cluster, so it is reused. */
let lastDay = NaN;
const dayPrefix = new Uint8Array(11);

function setDay(day: number): void {
  // Civil date from days since the epoch (H. Hinnant's algorithm).
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  let y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  for (let i = 3; i >= 0; i--) {
    dayPrefix[i] = 48 + (y % 10);
    y = Math.floor(y / 10);
  }
  dayPrefix[4] = 45;
  dayPrefix[5] = 48 + ((m / 10) | 0);
  dayPrefix[6] = 48 + (m % 10);
  dayPrefix[7] = 45;
  dayPrefix[8] = 48 + ((d / 10) | 0);
  dayPrefix[9] = 48 + (d % 10);
  dayPrefix[10] = 84; // T
  lastDay = day;
}

/**
 * Writes `ms` as ISO-8601 UTC exactly like Date.toISOString at `o[p]` (room for 27 bytes
 * ensured, the caller checks the Date range); returns the position after it.
 */
export function putIso(o: Uint8Array, p: number, ms: number): number {
  if (ms < FAST_MIN || ms > FAST_MAX || !Number.isInteger(ms)) {
    const t = new Date(ms).toISOString();
    for (let i = 0; i < t.length; i++) o[p++] = t.charCodeAt(i);
    return p;
  }
  const day = Math.floor(ms / 86400000);
  if (day !== lastDay) setDay(day);
  let rem = ms - day * 86400000; // < 2^31: integer arithmetic from here
  for (let i = 0; i < 11; i++) o[p++] = dayPrefix[i];
  const h = (rem / 3600000) | 0;
  rem -= h * 3600000;
  const mi = (rem / 60000) | 0;
  rem -= mi * 60000;
  const sec = (rem / 1000) | 0;
  const milli = rem - sec * 1000;
  o[p++] = PAIRS[h << 1];
  o[p++] = PAIRS[(h << 1) + 1];
  o[p++] = 58;
  o[p++] = PAIRS[mi << 1];
  o[p++] = PAIRS[(mi << 1) + 1];
  o[p++] = 58;
  o[p++] = PAIRS[sec << 1];
  o[p++] = PAIRS[(sec << 1) + 1];
  o[p++] = 46;
  const hundreds = (milli / 100) | 0;
  const rest = (milli - hundreds * 100) << 1;
  o[p++] = 48 + hundreds;
  o[p++] = PAIRS[rest];
  o[p++] = PAIRS[rest + 1];
  o[p++] = 90; // Z
  return p;
}

/** True when `ms` can be written as a date. */
export function isDateMs(ms: number): boolean {
  return ms >= -DATE_MAX && ms <= DATE_MAX;
}
