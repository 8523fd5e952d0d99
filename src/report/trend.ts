/**
 * Writers for a trend (analyze/trend.ts): JSON (layout in analyze/trend-schema.ts), text for a
 * terminal, Markdown. Text and Markdown show the same things: the snapshots, the instance
 * estimate, the projection, the findings and the fastest growers.
 */

import type { Crossing, TrendReport } from '../analyze/trend-schema.ts';
import { formatBytes, formatCount, isoTime } from '../core/units.ts';
import { terminalSafe } from './diff.ts';
import { escapeMarkdown, mdCode, table } from './markdown.ts';
import { perDay } from './page/trend-view.ts';

export function trendToJson(t: TrendReport): string {
  return JSON.stringify(t, null, 2) + '\n';
}

const iso = (ms: number | null): string => isoTime(ms, '—');
const day = (ms: number | null): string => iso(ms).slice(0, 10);


/** `in 12.3 days (2026-01-02; 11.8–12.9 days)`, `already over`, `not at the fitted rate`. */
export function crossingText(c: Crossing): string {
  if (c.days === null) return 'not reached at the fitted rate (it does not grow)';
  if (c.days === 0) return 'already reached';
  const range = c.daysLow === c.daysHigh ? '' : `; ${c.daysLow ?? '?'}–${c.daysHigh ?? 'never'} days within ±2 residual standard errors`;
  return `in ${c.days} days (${day(c.atMs)}${range})`;
}

interface Block {
  title: string;
  lines?: string[];
  table?: { header: string[]; rows: string[][]; right: boolean[] };
}

function blocks(t: TrendReport, name: (s: string) => string): Block[] {
  const s = t.snapshots;
  const first = s[0];
  const last = s[s.length - 1];
  const out: Block[] = [];
  const est = t.instance.series.estimatedUsedMemory;
  const basis = est.every((v) => v !== null) ? 'estimatedUsedMemory' : 'bytes';
  const fig = (v: number | null): string => (v === null ? '—' : formatBytes(v));
  out.push({
    title: 'Snapshots',
    lines: [
      `${s.length} snapshots from ${iso(first.savedAtMs)} to ${iso(last.savedAtMs)}; slopes over the last ${t.window.intervals} intervals (least squares over save time).`,
      `${basis === 'estimatedUsedMemory' ? 'Estimated instance memory' : 'Bytes in keys'}: ${fig(t.instance.series[basis][0])} → ${fig(t.instance.series[basis][s.length - 1])} (${perDay(t.instance.slopePerDay[basis], true)}); keys ${formatCount(first.keys)} → ${formatCount(last.keys)} (${perDay(t.instance.slopePerDay.keys, false)}); without TTL ${formatCount(last.noTtlKeys)} keys, ${formatBytes(last.noTtlBytes)}.`,
    ],
  });
  const p = t.projection;
  if (p) {
    out.push({
      title: 'Capacity',
      lines: [
        `Fit of ${p.basis} over snapshots ${p.fit.from}–${p.fit.to} (${p.fit.points} points): ${perDay(p.fit.slopePerDay, true)}, residual standard error ${formatBytes(p.fit.residualStdError)}${p.fit.r2 === null ? '' : `, R² ${p.fit.r2.toFixed(3)}`}.${p.levelShift ? ` The fit starts after a one-off jump of ${formatBytes(p.levelShift.bytes)} at snapshot ${p.levelShift.snapshot} (${day(s[p.levelShift.snapshot].savedAtMs)}).` : ''}`,
        `Alert line ${Math.round(p.alertAt * 100)}% (${formatBytes(p.alert.bytes)}): ${crossingText(p.alert)}.`,
        `maxmemory ${formatBytes(p.limit.bytes)}: ${crossingText(p.limit)}.`,
      ],
    });
  }
  out.push({ title: 'Findings', lines: t.findings.length ? t.findings.map((f) => `[${f.severity}] ${name(f.message)}`) : ['No steady growth: no leak, no growing queue.'] });
  if (t.growers.length) {
    out.push({
      title: 'Fastest growers',
      table: {
        header: ['Namespace', 'Memory/day', 'Keys/day', 'No-TTL memory/day', 'Memory (window)'],
        rows: t.growers.slice(0, 10).map((g) => [name(g.pattern), perDay(g.bytesPerDay, true), perDay(g.keysPerDay, false), perDay(g.noTtlBytesPerDay, true), `${formatBytes(g.bytesFirst)} → ${formatBytes(g.bytesLast)}`]),
        right: [false, true, true, true, true],
      },
    });
  }
  const growingQueues = t.queues.filter((q) => (q.slopePerDay.length ?? 0) > 0).slice(0, 10);
  if (growingQueues.length) {
    out.push({
      title: 'Queues',
      table: {
        header: ['Queue', 'DB', 'Type', 'Length (window)', 'Length/day', 'Pending/day'],
        rows: growingQueues.map((q) => [name(q.key), String(q.db), q.type, `${formatCount(q.series.length[t.window.from] ?? 0)} → ${formatCount(q.series.length[t.window.to] ?? 0)}`, perDay(q.slopePerDay.length, false), q.type === 'stream' ? perDay(q.slopePerDay.pending, false) : '—']),
        right: [false, true, false, true, true, true],
      },
    });
  }
  if (t.warnings.length) out.push({ title: 'Warnings', lines: t.warnings.map(name) });
  return out;
}

export function trendToText(t: TrendReport): string {
  const out: string[] = [];
  for (const b of blocks(t, (s) => terminalSafe(s, 400))) {
    out.push(`${b.title}:`);
    for (const l of b.lines ?? []) out.push(`  ${l}`);
    if (b.table) {
      const { header, rows, right } = b.table;
      const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      for (const r of [header, ...rows]) out.push('  ' + r.map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd());
    }
    out.push('');
  }
  return out.join('\n');
}

export function trendToMarkdown(t: TrendReport): string {
  const out: string[] = ['# rdbscope trend', ''];
  for (const b of blocks(t, (s) => s)) {
    out.push(`## ${b.title}`, '');
    for (const l of b.lines ?? []) out.push(`- ${escapeMarkdown(l)}`);
    if (b.table) {
      const { header, rows, right } = b.table;
      // The first column is a namespace or key: shown as code.
      out.push(table(header, rows.map((r) => [mdCode(r[0]), ...r.slice(1)]), right.map((x) => (x ? 'r' : 'l'))).trimEnd());
    }
    out.push('');
  }
  return out.join('\n');
}
