/**
 * Key bytes → text. Redis keys are binary strings: most are short ASCII, some are UTF-8,
 * a few are arbitrary bytes. Everything here works on `b[s, e)` without copying and without
 * exceptions; the hot path (an ASCII key) is one byte loop plus one native decode.
 *
 * - `isValidUtf8` is strict (no overlongs, no surrogates, nothing above U+10FFFF), so a key
 *   that passes decodes to text that encodes back to the very same bytes.
 * - `keyText` is exact for valid UTF-8 and a readable, lossy rendering otherwise (each byte
 *   that is not part of a valid sequence becomes `\xNN`); pair it with `toBase64` whenever the
 *   key must be recoverable (`keyName` does both).
 */

import { isValidUtf8 as validUtf8 } from './text.ts';

type SliceFn = (this: Uint8Array, start: number, end: number) => string;

/** Node's native UTF-8 slice works on any Uint8Array (about 2× faster than TextDecoder on short keys). */
const nativeUtf8Slice: SliceFn | undefined = (Buffer.prototype as unknown as { utf8Slice?: SliceFn }).utf8Slice;
// ignoreBOM: a leading U+FEFF is part of the key, not a marker to drop.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Strict UTF-8 validation (shared with the decoders). */
export function isValidUtf8(b: Uint8Array, s = 0, e = b.length): boolean {
  return validUtf8(b, s, e);
}

/** Length of the valid UTF-8 sequence starting at `i` (0 when the byte there does not start one). */
function seqLength(b: Uint8Array, i: number, e: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  if (c < 0xc2 || c > 0xf4) return 0;
  if (c < 0xe0) return i + 1 < e && (b[i + 1] & 0xc0) === 0x80 ? 2 : 0;
  if (c < 0xf0) {
    if (i + 2 >= e) return 0;
    const c1 = b[i + 1];
    if ((c1 & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80) return 0;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return 0;
    return 3;
  }
  if (i + 3 >= e) return 0;
  const c1 = b[i + 1];
  if ((c1 & 0xc0) !== 0x80 || (b[i + 2] & 0xc0) !== 0x80 || (b[i + 3] & 0xc0) !== 0x80) return 0;
  if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
  return 4;
}

/** Decodes `b[s, e)`, which the caller knows to be valid UTF-8. */
export function decodeUtf8(b: Uint8Array, s = 0, e = b.length): string {
  if (e <= s) return '';
  if (nativeUtf8Slice !== undefined) return nativeUtf8Slice.call(b, s, e);
  return utf8Decoder.decode(b.subarray(s, e));
}

const HEX = '0123456789abcdef';

/** `\xNN` for one byte. */
export function hexEscape(byte: number): string {
  return '\\x' + HEX[byte >> 4] + HEX[byte & 15];
}

/** Readable rendering of bytes that are not valid UTF-8: valid sequences as text, other bytes as `\xNN`. */
export function escapeInvalidUtf8(b: Uint8Array, s = 0, e = b.length): string {
  let out = '';
  let run = s;
  let i = s;
  while (i < e) {
    const n = seqLength(b, i, e);
    if (n > 0) {
      i += n;
      continue;
    }
    if (i > run) out += decodeUtf8(b, run, i);
    out += hexEscape(b[i]);
    i++;
    run = i;
  }
  if (e > run) out += decodeUtf8(b, run, e);
  return out;
}

/** Exact text of a valid UTF-8 key, else the `\xNN` rendering (then use `toBase64` for the bytes). */
export function keyText(b: Uint8Array, s = 0, e = b.length): string {
  return isValidUtf8(b, s, e) ? decodeUtf8(b, s, e) : escapeInvalidUtf8(b, s, e);
}

/** Standard base64 (with padding) of `b[s, e)`. */
export function toBase64(b: Uint8Array, s = 0, e = b.length): string {
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('base64');
}

/** A key as reports carry it: `text`, plus `b64` (the exact bytes) when the key is not valid UTF-8. */
export interface KeyName {
  text: string;
  b64: string | null;
}

export function keyName(b: Uint8Array, s = 0, e = b.length): KeyName {
  if (isValidUtf8(b, s, e)) return { text: decodeUtf8(b, s, e), b64: null };
  return { text: escapeInvalidUtf8(b, s, e), b64: toBase64(b, s, e) };
}

/** The key bytes back from a report's `key` / `keyB64` pair. */
export function keyBytes(text: string, b64: string | null | undefined): Uint8Array {
  if (b64 !== null && b64 !== undefined && b64 !== '') return new Uint8Array(Buffer.from(b64, 'base64'));
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

/** Unsigned lexicographic order of two byte strings. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Like `compareBytes` with `b` given as `bb[s, e)` (no copy). */
export function compareBytesRange(a: Uint8Array, bb: Uint8Array, s: number, e: number): number {
  const bl = e - s;
  const n = a.length < bl ? a.length : bl;
  for (let i = 0; i < n; i++) {
    const d = a[i] - bb[s + i];
    if (d !== 0) return d;
  }
  return a.length - bl;
}
