/** Small byte-level text helpers shared by the decoders and the memory model. */

const INT64_MAX = '9223372036854775807';
const INT64_MIN_ABS = '9223372036854775808';

/**
 * True when `b[s, e)` is the canonical decimal form of a signed 64-bit integer (what Redis'
 * string2ll accepts: no sign but '-', no leading zeros, no "-0").
 */
export function isCanonicalInt(b: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  if (n === 0 || n > 20) return false;
  let i = s;
  const neg = b[i] === 45;
  if (neg) {
    i++;
    if (i === e) return false;
  }
  const digits = e - i;
  if (b[i] === 48) return digits === 1 && !neg;
  for (let k = i; k < e; k++) {
    const c = b[k];
    if (c < 48 || c > 57) return false;
  }
  if (digits < 19) return true;
  if (digits > 19) return false;
  const limit = neg ? INT64_MIN_ABS : INT64_MAX;
  for (let k = 0; k < 19; k++) {
    const d = b[i + k] - limit.charCodeAt(k);
    if (d !== 0) return d < 0;
  }
  return true;
}

/** A zset score written as text (old ZSET type, ziplist/listpack entries); NaN when malformed. */
export function parseScore(b: Uint8Array, s: number, e: number): number {
  if (e <= s || e - s > 512) return NaN;
  const c0 = b[s];
  // What /^\s/ matches among Latin-1 characters.
  if (c0 === 32 || (c0 >= 9 && c0 <= 13) || c0 === 0xa0) return NaN;
  let t = '';
  for (let i = s; i < e; i++) t += String.fromCharCode(b[i]);
  if (e - s <= 9 && (c0 < 48 || c0 > 57)) {
    const lower = t.toLowerCase();
    if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
    if (lower === '-inf' || lower === '-infinity') return -Infinity;
  }
  return Number(t);
}

/** Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF), no allocation. */
export function isValidUtf8(b: Uint8Array, s: number, e: number): boolean {
  let i = s;
  while (i < e) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c < 0xc2 || c > 0xf4) return false;
    if (c < 0xe0) {
      if (i + 1 >= e || (b[i + 1] & 0xc0) !== 0x80) return false;
      i += 2;
    } else if (c < 0xf0) {
      if (i + 2 >= e) return false;
      const c1 = b[i + 1];
      if ((c1 & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80) return false;
      if (c === 0xe0 && c1 < 0xa0) return false;
      if (c === 0xed && c1 > 0x9f) return false;
      i += 3;
    } else {
      if (i + 3 >= e) return false;
      const c1 = b[i + 1];
      if ((c1 & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80 || (b[i + 3] & 0xc0) !== 0x80) return false;
      if (c === 0xf0 && c1 < 0x90) return false;
      if (c === 0xf4 && c1 > 0x8f) return false;
      i += 4;
    }
  }
  return true;
}
