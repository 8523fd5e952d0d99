/**
 * Text rules of the page that the text reports do not share: a key or pattern is shown with its
 * control characters visible (a key may hold newlines, escapes, NULs) and never as markup.
 */

import { isoTime } from '../../core/units.ts';

/** a / b, 0 when b is not positive. */
export function share(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

/** A time in the page's style (`—` for none or an impossible one). */
export function iso(ms: number | null): string {
  return isoTime(ms, '—');
}

/** Control characters made visible: `\n`, `\r`, `\t`, else `\xNN` or `\uNNNN`. */
export function vis(t: string): string {
  return t.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const n = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return n > 255 ? '\\u' + n.toString(16) : '\\x' + ('0' + n.toString(16)).slice(-2);
  });
}

export function keyText(e: { key: string }): string {
  return e.key === '' ? '(empty key)' : vis(e.key);
}

export function patText(p: string): string {
  return p === '' ? '(all keys)' : vis(p);
}
