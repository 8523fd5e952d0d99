/**
 * What the trend page and the trend's text writers share: the per-day format, and which
 * namespaces and queues the page charts (report/html.ts embeds only those): the findings'
 * subjects first, then the fastest growers, then the biggest top-level namespaces.
 */

import { formatBytes, formatCount } from '../../core/units.ts';
import type { NamespaceTrend, QueueTrend, TrendReport } from '../../analyze/trend-schema.ts';

/** `+1.5 KiB/day`, `-3/day`, `—` for none. */
export function perDay(v: number | null, bytes: boolean): string {
  if (v === null) return '—';
  // A slow count keeps a decimal: `+0.7/day`, not `+0/day`.
  const a = Math.abs(v);
  const mag = bytes ? formatBytes(Math.round(a)) : a < 10 && !Number.isInteger(a) ? a.toFixed(1) : formatCount(a);
  return (v > 0 ? '+' : v < 0 ? '-' : '') + mag + '/day';
}

export const CHARTED_NAMESPACES = 24;
export const CHARTED_QUEUES = 8;

export function chartedNamespaces(t: TrendReport): NamespaceTrend[] {
  const by = new Map(t.namespaces.map((n) => [n.pattern, n]));
  const picked = new Set<string>();
  const order = [
    ...t.findings.filter((f) => f.db === null).map((f) => f.subject),
    ...t.growers.map((g) => g.pattern),
    ...t.namespaces.filter((n) => n.depth === 1).map((n) => n.pattern),
  ];
  for (const p of order) {
    if (picked.size >= CHARTED_NAMESPACES) break;
    if (by.has(p)) picked.add(p);
  }
  return [...picked].map((p) => by.get(p)!);
}

export function chartedQueues(t: TrendReport): QueueTrend[] {
  const flagged = new Set(t.findings.filter((f) => f.db !== null).map((f) => f.db + '\u0000' + f.subject));
  const id = (q: QueueTrend): string => q.db + '\u0000' + q.key;
  return [...t.queues.filter((q) => flagged.has(id(q))), ...t.queues.filter((q) => !flagged.has(id(q)))].slice(0, CHARTED_QUEUES);
}
