/**
 * The trend page: headline figures, the instance estimate over time (with maxmemory, the alert
 * line and the projection), the findings, the fastest growers, and a line chart per namespace
 * and per queue.
 */

import { formatBytes, formatCount } from '../../core/units.ts';
import type { Crossing, NamespaceTrend, QueueTrend, TrendReport } from '../../analyze/trend-schema.ts';
import { add, h } from './dom.ts';
import { chartLegend, lineChart, type ChartSeries } from './chart.ts';
import { iso, keyText, patText, vis } from './text.ts';
import { chartedNamespaces, chartedQueues, perDay } from './trend-view.ts';
import { card, section, table } from './widgets.ts';

const DAY_MS = 86400000;

function daysText(c: Crossing): string {
  return c.days === null ? 'never' : c.days === 0 ? 'reached' : c.days + ' days';
}

function rangeText(c: Crossing): string {
  if (c.days === null) return 'the fit does not rise';
  if (c.days === 0) return 'already over the line';
  return iso(c.atMs).slice(0, 10) + (c.daysLow === c.daysHigh ? '' : ' · ' + c.daysLow + '–' + (c.daysHigh === null ? 'never' : c.daysHigh) + ' days');
}

export function trendPage(app: HTMLElement, t: TrendReport): void {
  const s = t.snapshots;
  const times = s.map((x) => x.savedAtMs);
  const lastIdx = s.length - 1;
  document.title = 'rdbscope trend: ' + s.length + ' snapshots';
  add(app, h('h1', null, 'rdbscope trend'));
  add(app, h('p', { class: 'sub', id: 'span-line', text: s.length + ' snapshots from ' + iso(s[0].savedAtMs) + ' to ' + iso(s[lastIdx].savedAtMs) + ' · slopes over the last ' + t.window.intervals + ' intervals' }));

  const est = t.instance.series.estimatedUsedMemory;
  const basis = est.every((v) => v !== null) ? 'estimatedUsedMemory' : 'bytes';
  const inst = t.instance.series[basis];
  const p = t.projection;
  add(
    app,
    h(
      'div',
      { class: 'cards' },
      card('Snapshots', formatCount(s.length), iso(s[0].savedAtMs).slice(0, 10) + ' → ' + iso(s[lastIdx].savedAtMs).slice(0, 10), 'trend-snapshots'),
      card(basis === 'bytes' ? 'Bytes in keys' : 'Instance estimate', formatBytes(inst[lastIdx] ?? 0), perDay(t.instance.slopePerDay[basis], true), 'trend-memory'),
      card('Keys', formatCount(s[lastIdx].keys), perDay(t.instance.slopePerDay.keys, false), 'trend-keys'),
      card('Findings', formatCount(t.findings.length), t.findings.length ? 'steady growth found' : 'no steady growth', 'trend-findings'),
      p ? card('Days to ' + Math.round(p.alertAt * 100) + '%', daysText(p.alert), rangeText(p.alert), 'days-alert') : null,
      p ? card('Days to maxmemory', daysText(p.limit), rangeText(p.limit), 'days-limit') : null,
    ),
  );

  // The instance over time, with the limits and the fitted line to where it crosses them.
  const series: ChartSeries[] = [{ name: basis === 'bytes' ? 'bytes in keys' : 'instance estimate', values: inst, color: 'var(--accent)' }];
  let projection: { from: [number, number]; to: [number, number] } | null = null;
  const lines: { value: number; label: string; color: string }[] = [];
  if (p) {
    lines.push({ value: p.limit.bytes, label: 'maxmemory ' + formatBytes(p.limit.bytes), color: 'var(--crit)' });
    lines.push({ value: p.alert.bytes, label: Math.round(p.alertAt * 100) + '% ' + formatBytes(p.alert.bytes), color: 'var(--warn)' });
    const spanDays = (times[lastIdx] - times[0]) / DAY_MS;
    // Drawn up to the limit when that is near, else over as long again as the history.
    const ahead = p.limit.days !== null && p.limit.days > 0 ? Math.min(p.limit.days, Math.max(spanDays, 1) * 2) : Math.max(spanDays, 1) * 0.5;
    const fromT = times[p.fit.from];
    const fromV = p.fit.atLast - p.fit.slopePerDay * ((times[lastIdx] - fromT) / DAY_MS);
    projection = { from: [fromT, fromV], to: [times[lastIdx] + ahead * DAY_MS, p.fit.atLast + p.fit.slopePerDay * ahead] };
  }
  add(
    app,
    section(
      'Instance memory',
      'instance',
      lineChart({ times, series, fmt: formatBytes, lines, projection, width: 1100, height: 260, id: 'instance-chart' }),
      p
        ? h('p', {
            class: 'tiny',
            id: 'fit-line',
            text:
              'Least-squares fit of ' + p.basis + ' over snapshots ' + p.fit.from + '–' + p.fit.to + ': ' + perDay(p.fit.slopePerDay, true) + ', residual standard error ' + formatBytes(p.fit.residualStdError) +
              (p.levelShift ? '; fitted from the one-off jump of ' + formatBytes(p.levelShift.bytes) + ' at snapshot ' + p.levelShift.snapshot : '') + '.',
          })
        : h('p', { class: 'tiny', text: 'Give --maxmemory for the days to the limit and to the alert line.' }),
    ),
  );

  add(
    app,
    section(
      'Findings',
      'findings',
      t.findings.length === 0
        ? h('p', { class: 'tiny', text: 'No steady growth: no leak, no growing queue.' })
        : h('ul', { class: 'findings' }, t.findings.map((f) => h('li', { 'data-subject': f.subject, 'data-id': f.id }, h('span', { class: 'sev sev-' + f.severity, text: f.severity }), vis(f.message)))),
    ),
  );

  add(
    app,
    section(
      'Fastest growers',
      'growers-section',
      t.growers.length === 0
        ? h('p', { class: 'tiny', text: 'No namespace grew over the window.' })
        : table(
            [
              ['Namespace', false, (g) => patText(g.pattern), 'key'],
              ['Memory/day', true, (g) => perDay(g.bytesPerDay, true)],
              ['Keys/day', true, (g) => perDay(g.keysPerDay, false)],
              ['No-TTL memory/day', true, (g) => perDay(g.noTtlBytesPerDay, true)],
              ['Memory (window)', true, (g) => formatBytes(g.bytesFirst) + ' → ' + formatBytes(g.bytesLast)],
            ],
            t.growers,
            undefined,
            'growers',
          ),
    ),
  );

  const nsCharts = chartedNamespaces(t);
  add(app, section('Namespaces', 'namespaces', h('div', { class: 'charts' }, nsCharts.map((n) => namespaceChart(n, times)))));
  const qCharts = chartedQueues(t);
  if (qCharts.length) add(app, section('Queues', 'queues', h('div', { class: 'charts' }, qCharts.map((q) => queueChart(q, times)))));
  if (t.warnings.length) add(app, section('Warnings', 'warnings', h('ul', { class: 'findings' }, t.warnings.map((w) => h('li', { text: vis(w) })))));
  add(
    app,
    section(
      'Snapshots',
      'snapshots',
      table(
        [
          ['#', true, (x) => String(x.index)],
          ['Saved', false, (x) => iso(x.savedAtMs) + (x.timeSource === 'ctime' ? '' : ' (file time)')],
          ['Source', false, (x) => vis(x.source), 'key'],
          ['Keys', true, (x) => formatCount(x.keys)],
          ['Memory', true, (x) => formatBytes(x.bytes)],
          ['Instance estimate', true, (x) => (x.estimatedUsedMemory === null ? '—' : formatBytes(x.estimatedUsedMemory))],
        ],
        s,
        30,
        'snapshot-table',
      ),
    ),
  );
  add(app, h('footer', { text: 'rdbscope ' + (t.tool.version || '') + ' · ' + t.schema + ' v' + t.schemaVersion + ' · this page loads nothing from the network' }));
}

function namespaceChart(n: NamespaceTrend, times: readonly number[]): HTMLElement {
  const series: ChartSeries[] = [
    { name: 'bytes', values: n.series.bytes, color: 'var(--accent)' },
    { name: 'bytes without TTL', values: n.series.noTtlBytes, color: 'var(--nottl)' },
  ];
  return h(
    'figure',
    { class: 'chart-box', 'data-pattern': n.pattern },
    h('figcaption', null, h('span', { class: 'pat', text: patText(n.pattern) }), h('span', { class: 'tiny', text: ' ' + perDay(n.slopePerDay.bytes, true) + ' · ' + perDay(n.slopePerDay.noTtlKeys, false).replace('/day', ' no-TTL keys/day') })),
    lineChart({ times, series, fmt: formatBytes }),
    chartLegend(series),
  );
}

function queueChart(q: QueueTrend, times: readonly number[]): HTMLElement {
  const series: ChartSeries[] = [{ name: 'length', values: q.series.length, color: 'var(--accent)' }];
  if (q.type === 'stream') series.push({ name: 'pending', values: q.series.pending, color: 'var(--nottl)' });
  return h(
    'figure',
    { class: 'chart-box', 'data-key': q.key, 'data-db': q.db },
    h('figcaption', null, h('span', { class: 'pat', text: keyText(q) }), h('span', { class: 'tiny', text: ' db ' + q.db + ' · ' + q.type + ' · ' + perDay(q.slopePerDay.length, false) })),
    lineChart({ times, series, fmt: formatCount }),
    chartLegend(series),
  );
}
