/**
 * Byte sizes of Redis' building blocks (docs/memory-model.md, sections 3 and 5): sds headers,
 * listpack and ziplist entries, zset score text, and the dict growth a load replays.
 */
import { isCanonicalInt } from '../core/text.ts';
import { backlenSize } from '../format/listpack.ts';

export function sdsHeader(len: number): number {
  return len === 0 ? 3 : len < 32 ? 1 : len < 256 ? 3 : len < 65536 ? 5 : len < 4294967296 ? 9 : 17;
}

/** 7.4 hash-table fields (`mstr`): header by length. */
export function mstrHeader(len: number): number {
  return len < 32 ? 1 : len < 65536 ? 3 : 9;
}

/** Value of a canonical decimal integer string, or NaN when the bytes are not one. */
export function intValue(b: Uint8Array, s: number, e: number): number {
  if (!isCanonicalInt(b, s, e)) return NaN;
  let i = s;
  const neg = b[i] === 45;
  if (neg) i++;
  let v = 0;
  for (; i < e; i++) v = v * 10 + (b[i] - 48);
  // Beyond 2^53 the value is approximate, but still beyond every narrower encoding.
  return neg ? -v : v;
}

/** Listpack encoding+data size of an integer element. */
export function lpIntEncLen(v: number): number {
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

export function lpStrEncLen(n: number): number {
  return n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
}

export function lpEntry(encLen: number): number {
  return encLen + backlenSize(encLen);
}

/** Ziplist entry size without its prevlen field. */
export function zlIntLen(v: number): number {
  if (v >= 0 && v <= 12) return 1;
  if (v >= -128 && v <= 127) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

export function zlStrLen(n: number): number {
  return (n <= 63 ? 1 : n <= 16383 ? 2 : 5) + n;
}

/**
 * Text a server writes for a zset score when it builds a listpack from a skiplist
 * (`d2string`): integers below 2^52 as integers, otherwise `%.17g` (≤ 7.0) or the shortest
 * round-trip form (7.2+). Returns the listpack encoding+data size of that entry.
 */
export function scoreEntryEncLen(v: number, shortest: boolean): number {
  if (v === 0) return 1;
  if (v > -4503599627370495 && v < 4503599627370496 && Number.isInteger(v)) return lpIntEncLen(v);
  let text: string;
  if (!Number.isFinite(v)) text = Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  else text = shortest ? shortestText(v) : formatG17(v);
  return lpStrEncLen(text.length);
}

/** C's `%.17g`. */
export function formatG17(v: number): string {
  let s: string;
  // toExponential gives the 17 significant digits and the true exponent.
  const m = /^(-?)(\d)\.(\d+)e([+-]\d+)$/.exec(v.toExponential(16))!;
  const e = Number(m[4]);
  const digits = (m[2] + m[3]).replace(/0+$/, '') || '0';
  if (e < -4 || e >= 17) {
    s = m[1] + digits[0] + (digits.length > 1 ? '.' + digits.slice(1) : '') + 'e' + (e < 0 ? '-' : '+') + String(Math.abs(e)).padStart(2, '0');
  } else if (e >= 0) {
    const intPart = digits.slice(0, e + 1).padEnd(e + 1, '0');
    const frac = digits.slice(e + 1);
    s = m[1] + intPart + (frac ? '.' + frac : '');
  } else {
    s = m[1] + '0.' + '0'.repeat(-e - 1) + digits;
  }
  return s;
}

/** The shortest round-trip text as Redis 7.2+ writes it (`fpconv_dtoa`, %g-like exponents). */
export function shortestText(v: number): string {
  const js = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-])(\d+)$/.exec(js);
  if (m) return `${m[1]}${m[2]}${m[3] ? '.' + m[3] : ''}e${m[4]}${m[5].padStart(2, '0')}`;
  return js;
}

/**
 * A Redis dict as a load builds it: explicit expands, then inserts that double the table when
 * full and rehash incrementally (one non-empty bucket per insert). MEMORY USAGE counts both
 * tables while a rehash is unfinished. Bucket occupancy depends on hashing, so the pace of a
 * rehash uses the expected number of non-empty buckets.
 */
export class DictSim {
  size0 = 0;
  size1 = 0;
  used = 0;
  private left = 0;

  reset(): void {
    this.size0 = this.size1 = this.used = this.left = 0;
  }

  expand(n: number): void {
    if (this.size1 !== 0 || this.used > n) return;
    const s = nextPow2(Math.max(n, 4));
    if (s === this.size0) return;
    if (this.size0 === 0 || this.used === 0) {
      this.size0 = s;
      return;
    }
    this.size1 = s;
    const occupied = this.size0 * (1 - Math.pow(1 - 1 / this.size0, this.used));
    // Each step moves one non-empty bucket, and gives up after ten empty ones.
    this.left = Math.round(occupied + (this.size0 - occupied) / 11);
  }

  insert(count = 1): void {
    for (let i = 0; i < count; i++) {
      if (this.size1 !== 0) {
        if (--this.left <= 0) {
          this.size0 = this.size1;
          this.size1 = 0;
        }
      } else if (this.size0 === 0) this.expand(4);
      else if (this.used >= this.size0) this.expand(this.used + 1);
      this.used++;
      if (this.size1 === 0 && this.used < this.size0 && count - i > 1) {
        // Fast path: no growth until the table is full.
        const room = Math.min(count - i - 1, this.size0 - this.used);
        this.used += room;
        i += room;
      }
    }
  }

  buckets(): number {
    return this.size0 + this.size1;
  }
}

export function nextPow2(n: number): number {
  let p = 4;
  while (p < n) p *= 2;
  return p;
}
