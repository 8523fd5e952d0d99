/**
 * `trend --fail-on`: `leak` (any no-TTL leak or growing queue), `days-to-maxmemory<N` and
 * `days-to-alert<N` (`<=` too; days after the last snapshot, from the projection's central
 * estimate), and every single-report budget of budget.ts (`no-ttl-bytes>1gb` …), evaluated
 * against the newest snapshot as `analyze --fail-on` would.
 */

import { evaluateBudgets, parseBudget, type Breach, type Budget } from './budget.ts';
import type { Report } from './schema.ts';
import type { TrendReport } from './trend-schema.ts';

export type TrendBudget =
  | { text: string; kind: 'leak' }
  | { text: string; kind: 'days'; line: 'maxmemory' | 'alert'; op: '<' | '<='; limit: number }
  | { text: string; kind: 'report'; budget: Budget };

export function parseTrendBudget(text: string): TrendBudget {
  const t = text.trim();
  if (/^leaks?$/i.test(t)) return { text: t, kind: 'leak' };
  const m = /^days-to-(maxmemory|alert)\s*(<=|<)\s*(\d+(?:\.\d+)?)\s*$/i.exec(t);
  if (m) return { text: t, kind: 'days', line: m[1].toLowerCase() as 'maxmemory' | 'alert', op: m[2] as '<' | '<=', limit: Number(m[3]) };
  if (/^days-to-/i.test(t)) throw new Error(`--fail-on ${JSON.stringify(text)}: expected days-to-maxmemory<N or days-to-alert<N (days)`);
  const b = parseBudget(t);
  if (b.diff) throw new Error(`--fail-on ${t}: compares two snapshots; use it with rdbscope diff`);
  return { text: t, kind: 'report', budget: b };
}

/** Budgets that failed, one message each (the analyze ones as budget.ts words them). */
export function evaluateTrendBudgets(trend: TrendReport, last: Report, budgets: readonly TrendBudget[]): string[] {
  const out: string[] = [];
  for (const b of budgets) {
    if (b.kind === 'leak') {
      const f = trend.findings.filter((x) => x.id === 'no-ttl-leak' || x.id === 'queue-growth');
      if (f.length) out.push(`${b.text}: ${f.length} found [${f.slice(0, 5).map((x) => x.subject).join(', ')}${f.length > 5 ? `, +${f.length - 5}` : ''}]`);
    } else if (b.kind === 'days') {
      const p = trend.projection;
      if (p === null) throw new Error(`--fail-on ${b.text} needs --maxmemory`);
      const d = (b.line === 'maxmemory' ? p.limit : p.alert).days;
      if (d !== null && (b.op === '<' ? d < b.limit : d <= b.limit)) out.push(`${b.text}: ${d} days to ${b.line === 'maxmemory' ? 'maxmemory' : 'the alert line'} at the fitted rate`);
    } else {
      const r: Breach[] = evaluateBudgets(last, [b.budget]).breaches;
      for (const x of r) out.push(`${x.message} (newest snapshot)`);
    }
  }
  return out;
}
