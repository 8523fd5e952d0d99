/**
 * Sizes and counts, as text. Parsing follows redis.conf: `k`/`m`/`g`/`t` are powers of 1000,
 * `kb`/`mb`/`gb`/`tb` and `kib`/`mib`/`gib`/`tib` powers of 1024, `b` bytes; case-insensitive;
 * a decimal fraction is allowed (`1.5gb`). Formatting uses binary units (KiB, MiB, GiB).
 *
 * Browser-safe (no Node API): report.html's script bundles these formatters (report/page/),
 * so the page and the text reports print the same figures the same way.
 */

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** `1gb` → 1073741824, `100k` → 100000, `512` → 512. Throws on anything else. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m === null ? undefined : UNITS[m[2].toLowerCase()];
  if (m === null || unit === undefined) {
    throw new Error(`not a size: ${JSON.stringify(text)} (use a number with an optional unit: b, k, m, g, kb, mb, gb, kib, mib, gib)`);
  }
  return Math.round(Number(m[1]) * unit);
}

/** `1536` → `1.5 KiB`; three significant digits. */
export function formatBytes(n: number): string {
  const neg = n < 0;
  let v = Math.abs(n);
  if (v < 1024) return `${neg ? '-' : ''}${v} B`;
  const names = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = -1;
  while (v >= 1024 && i < names.length - 1) {
    v /= 1024;
    i++;
  }
  const s = v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${neg ? '-' : ''}${s} ${names[i]}`;
}

/** `1234567` → `1,234,567`. */
export function formatCount(n: number): string {
  const s = String(Math.abs(Math.round(n)));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return (n < 0 ? '-' : '') + out;
}

/** A fraction as a percentage: `0.031` → `3.1%`, `0.5` → `50%`, tiny non-zero → `<0.1%`. */
export function formatPercent(f: number): string {
  const p = f * 100;
  if (p === 0) return '0%';
  if (p > 0 && p < 0.1) return '<0.1%';
  if (p >= 10 || Number.isInteger(p)) return `${Math.round(p)}%`;
  return `${p.toFixed(1)}%`;
}

/** A ratio as a signed percentage: 0.25 → `+25%`; null → `new`. */
export function formatGrowth(g: number | null): string {
  if (g === null) return 'new';
  const p = g * 100;
  if (p === 0) return '0%';
  const a = Math.abs(p);
  const s = a >= 10 ? a.toFixed(0) : a >= 0.1 ? a.toFixed(1) : '<0.1';
  return (p > 0 ? '+' : '-') + s + '%';
}

/** A difference with its sign: `+1.5 KiB`, `-3`, `0` (`f` formats the magnitude). */
export function formatSigned(n: number, f: (n: number) => string): string {
  return n > 0 ? '+' + f(n) : n < 0 ? '-' + f(-n) : '0';
}

/** ISO-8601 UTC without zero milliseconds; `fallback` for no or an impossible time. */
export function isoTime(ms: number | null, fallback: string): string {
  if (ms === null || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return fallback;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Rounded to 6 decimals for reports (0 for what is not finite). */
export function round6(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : 0;
}

/** Code-unit order of strings (the tie-breaker that keeps report order stable). */
export function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
