/**
 * `trend --openmetrics`: the gauges a trend adds to the newest snapshot's export (slopes, the
 * findings, days to the alert line and to maxmemory), so an alert rule can fire on the
 * projection instead of on a threshold of today's memory. Cardinality stays bounded: one series
 * per finding and per listed grower, both short lists.
 */
import type { TrendReport } from '../analyze/trend-schema.ts';
import type { MetricFamily } from './openmetrics.ts';

export function trendMetricFamilies(t: TrendReport): MetricFamily[] {
  const families: MetricFamily[] = [];
  const add = (name: string, help: string, samples: MetricFamily['samples']): void => {
    if (samples.length) families.push({ name, help, samples });
  };
  const one = (value: number | null | undefined): MetricFamily['samples'] =>
    value === null || value === undefined || !Number.isFinite(value) ? [] : [{ labels: [], value }];
  add('rdbscope_trend_snapshots', 'Snapshots the trend covers', one(t.snapshots.length));
  add('rdbscope_trend_window_intervals', 'Intervals between snapshots the slopes and leak rules look at', one(t.window.intervals));
  const slope = t.instance.slopePerDay;
  add('rdbscope_trend_key_bytes_per_day', 'Slope of the keys\' bytes per day (least squares over save time, within the window)', one(slope.bytes));
  add('rdbscope_trend_no_ttl_bytes_per_day', 'Slope of the bytes without TTL per day, within the window', one(slope.noTtlBytes));
  add('rdbscope_trend_estimated_used_memory_bytes_per_day', 'Slope of the estimated instance memory per day, within the window', one(slope.estimatedUsedMemory));
  add('rdbscope_trend_findings', 'Steady growths found (leaks, growing queues, namespaces outgrowing the instance)', one(t.findings.length));
  add(
    'rdbscope_trend_finding_per_day',
    'Slope per day of the series a finding fired on (its unit is that series\')',
    t.findings.map((f) => ({
      labels: [['finding', f.id], ['subject', f.subject], ['series', f.series], ...(f.db === null ? [] : [['db', String(f.db)] as [string, string]])],
      value: f.perDay,
    })),
  );
  add(
    'rdbscope_trend_namespace_bytes_per_day',
    'Slope of the bytes per day of the fastest-growing namespaces (the growers table)',
    t.growers.map((g) => ({ labels: [['namespace', g.pattern]], value: g.bytesPerDay })),
  );
  const p = t.projection;
  if (p !== null) {
    add('rdbscope_trend_maxmemory_bytes', 'The --maxmemory the projection uses', one(p.maxmemory));
    add('rdbscope_trend_alert_bytes', 'The alert line (--alert-at of --maxmemory)', one(p.alert.bytes));
    // Prometheus' base unit is seconds: an alert on 14 days reads `< 14 * 86400`.
    const seconds = (days: number | null): number | null => (days === null ? null : days * 86400);
    add('rdbscope_trend_seconds_to_alert', 'Seconds from the newest snapshot until the fitted line crosses the alert line (absent when it does not rise)', one(seconds(p.alert.days)));
    add('rdbscope_trend_seconds_to_maxmemory', 'Seconds from the newest snapshot until the fitted line crosses maxmemory (absent when it does not rise)', one(seconds(p.limit.days)));
  }
  return families;
}
