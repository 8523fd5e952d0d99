/**
 * `rdbscope trend`: series over many snapshots' reports (oldest first), the leak rules and the
 * capacity projection. Works on reports only, so memory is bounded by the reports' size.
 *
 * Steady growth (the leak rule): over the window (the last `window` intervals between
 * consecutive snapshots), the series grew in at least `minGrowths` of them (scaled to the
 * intervals there are when fewer), grew overall, and no single interval brought more than
 * `maxStepShare` of the net growth. A cache filled once and then flat grows in one interval
 * and fails both tests; a leak writing every night passes.
 *
 * The projection fits a line (least squares over save time) to the instance estimate from
 * the last level shift on, and reads where it crosses the alert line and maxmemory; the range
 * of days is where the line ± 2 residual standard errors crosses them.
 */

import type { NamespaceTreeNode, Report } from './schema.ts';
import { Glob } from './glob.ts';
import { formatBytes, formatCount, isoTime } from '../core/units.ts';
import type { RedisType } from '../core/types.ts';
import {
  TREND_SCHEMA,
  TREND_SCHEMA_VERSION,
  type CoreFigure,
  type Crossing,
  type DatabaseTrend,
  type Grower,
  type LineFit,
  type NamespaceTrend,
  type Projection,
  type QueueTrend,
  type Series,
  type Snapshot,
  type TrendFinding,
  type TrendOptions,
  type TrendReport,
  type TypeTrend,
} from './trend-schema.ts';

export const DAY_MS = 86_400_000;

export const TREND_DEFAULTS: TrendOptions = {
  window: 10,
  minGrowths: 7,
  maxStepShare: 0.5,
  explainShare: 0.8,
  outgrowFactor: 2,
  maxmemory: null,
  alertAt: 0.7,
};

/** Fewer intervals than this in the window: no leak rule (too little to tell a trend from noise). */
export const MIN_INTERVALS = 4;

/** One input: its report and where its time came from. */
export interface TrendInput {
  source: string;
  report: Report;
  savedAtMs: number;
  timeSource: Snapshot['timeSource'];
}

/** The trend and the newest snapshot's report, which other writers (OpenMetrics) export as is. */
export interface TrendResult {
  trend: TrendReport;
  last: Report;
}

const FIGURES: CoreFigure[] = ['keys', 'bytes', 'noTtlKeys', 'noTtlBytes'];

/** A straight line through (x, y) by least squares (x in days). */
export function fitLine(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number; rse: number; r2: number | null } {
  const n = xs.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i];
    my += ys[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
    syy += (ys[i] - my) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i] - intercept - slope * xs[i]) ** 2;
  return { slope, intercept, rse: n > 2 ? Math.sqrt(sse / (n - 2)) : 0, r2: syy > 0 ? 1 - sse / syy : null };
}

/** Six significant digits: slopes are estimates, not counts. */
function sig(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(6)) : 0;
}

interface Ctx {
  days: number[];
  times: number[];
  from: number;
  to: number;
  o: TrendOptions;
}

/** Slope per day over the window, null when the series has no value there. */
function slopeOf(s: Series, c: Ctx): number | null {
  let any = false;
  for (let i = c.from; i <= c.to; i++) if (s[i] !== null) any = true;
  if (!any || c.to <= c.from) return null;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = c.from; i <= c.to; i++) {
    xs.push(c.days[i]);
    ys.push(s[i] ?? 0);
  }
  return sig(fitLine(xs, ys).slope);
}

/**
 * Where a queue's last listed stretch in the window starts: a queue is only in a report while
 * over the queue threshold, so before that its length is unknown, not 0 (counting it as 0 would
 * read its first listing as a jump).
 */
function listedFrom(s: Series, c: Ctx): number {
  let from = c.from;
  for (let i = c.from; i <= c.to; i++) if (s[i] === null) from = Math.min(i + 1, c.to);
  return from;
}

export interface Steady {
  grewIn: number;
  intervals: number;
  required: number;
  snapshots: number[];
  net: number;
  maxStep: number;
  steady: boolean;
}

/** The leak rule on one series (see the file comment). */
export function steadyGrowth(s: Series, from: number, to: number, o: Pick<TrendOptions, 'window' | 'minGrowths' | 'maxStepShare'>): Steady {
  const intervals = to - from;
  const required = intervals >= o.window ? o.minGrowths : Math.ceil((o.minGrowths * intervals) / o.window);
  const snapshots: number[] = [];
  let maxStep = 0;
  for (let i = from + 1; i <= to; i++) {
    const d = (s[i] ?? 0) - (s[i - 1] ?? 0);
    if (d > 0) snapshots.push(i);
    if (d > maxStep) maxStep = d;
  }
  const net = (s[to] ?? 0) - (s[from] ?? 0);
  const steady = intervals >= MIN_INTERVALS && snapshots.length >= required && net > 0 && maxStep <= o.maxStepShare * net;
  return { grewIn: snapshots.length, intervals, required, snapshots, net, maxStep, steady };
}

function series<T>(n: number): (T | null)[] {
  return new Array<T | null>(n).fill(null);
}

function coreSeries(n: number): Record<CoreFigure, Series> {
  return { keys: series(n), bytes: series(n), noTtlKeys: series(n), noTtlBytes: series(n) };
}

function coreSlopes(s: Record<CoreFigure, Series>, c: Ctx): Record<CoreFigure, number | null> {
  return { keys: slopeOf(s.keys, c), bytes: slopeOf(s.bytes, c), noTtlKeys: slopeOf(s.noTtlKeys, c), noTtlBytes: slopeOf(s.noTtlBytes, c) };
}

/** Orders inputs by save time (stable for equal times) and builds the trend. */
export function buildTrend(inputs: readonly TrendInput[], options: Partial<TrendOptions> = {}, toolVersion: string | null = null): TrendResult {
  if (inputs.length === 0) throw new Error('trend: no snapshots');
  const o: TrendOptions = { ...TREND_DEFAULTS, ...options };
  const warnings: string[] = [];
  const ordered = inputs.map((inp, i) => ({ inp, i })).sort((a, b) => a.inp.savedAtMs - b.inp.savedAtMs || a.i - b.i).map((x) => x.inp);
  // The same snapshot given twice (an RDB and its report.json) counts once.
  const kept: TrendInput[] = [];
  for (const inp of ordered) {
    const prev = kept[kept.length - 1];
    if (prev && prev.savedAtMs === inp.savedAtMs && prev.report.summary.keys === inp.report.summary.keys && prev.report.summary.bytes === inp.report.summary.bytes) {
      warnings.push(`${inp.source}: the same snapshot as ${prev.source} (saved ${isoTime(inp.savedAtMs, '?')}, same keys and bytes); counted once`);
      continue;
    }
    kept.push(inp);
  }
  const first = kept[0].report.options;
  for (const inp of kept) {
    const r = inp.report.options;
    if (r.separators !== first.separators || r.maxChildren !== first.maxChildren || r.depth !== first.depth) {
      warnings.push(`${inp.source}: namespaces built with other options (separators ${JSON.stringify(r.separators)}, max-children ${r.maxChildren}, depth ${r.depth}) than ${kept[0].source}: its namespace series may not line up`);
    }
  }
  for (let i = 1; i < kept.length; i++) {
    if (kept[i].savedAtMs === kept[i - 1].savedAtMs) warnings.push(`${kept[i].source} and ${kept[i - 1].source} were saved at the same time: shards of one cluster? Merge them first (rdbscope merge) for one point per night`);
  }
  for (const inp of kept) if (inp.timeSource === 'file-mtime') warnings.push(`${inp.source}: no save time (aux ctime) in the file; ordered by the file's modification time`);

  const n = kept.length;
  const t0 = kept[0].savedAtMs;
  const days = kept.map((k) => (k.savedAtMs - t0) / DAY_MS);
  const to = n - 1;
  const from = Math.max(0, to - o.window);
  const c: Ctx = { days, times: kept.map((k) => k.savedAtMs), from, to, o };

  const snapshots: Snapshot[] = kept.map((k, i) => {
    const s = k.report.summary;
    return {
      index: i,
      source: k.source,
      savedAtMs: k.savedAtMs,
      timeSource: k.timeSource,
      producers: s.producers,
      files: s.files,
      keys: s.keys,
      bytes: s.bytes,
      noTtlKeys: s.noTtlKeys,
      noTtlBytes: s.noTtlBytes,
      estimatedUsedMemory: s.estimatedUsedMemory,
      usedMemAtSave: s.usedMemAtSave,
    };
  });

  const inst = {
    keys: snapshots.map((s) => s.keys),
    bytes: snapshots.map((s) => s.bytes),
    noTtlKeys: snapshots.map((s) => s.noTtlKeys),
    noTtlBytes: snapshots.map((s) => s.noTtlBytes),
    estimatedUsedMemory: snapshots.map((s) => s.estimatedUsedMemory),
    usedMemAtSave: snapshots.map((s) => s.usedMemAtSave),
  };
  const instance = {
    series: inst,
    slopePerDay: { ...coreSlopes(inst, c), estimatedUsedMemory: slopeOf(inst.estimatedUsedMemory, c), usedMemAtSave: slopeOf(inst.usedMemAtSave, c) },
  };

  // Namespaces: every tree node but the root, by pattern.
  const ns = new Map<string, NamespaceTrend>();
  kept.forEach((k, i) => {
    const walk = (node: NamespaceTreeNode, parent: string, depth: number): void => {
      if (depth > 0) {
        let t = ns.get(node.pattern);
        if (!t) {
          t = { pattern: node.pattern, parent, depth, series: coreSeries(n), slopePerDay: { keys: null, bytes: null, noTtlKeys: null, noTtlBytes: null } };
          ns.set(node.pattern, t);
        }
        for (const f of FIGURES) t.series[f][i] = node[f];
      }
      for (const ch of node.children) walk(ch, depth > 0 ? node.pattern : '', depth + 1);
    };
    walk(k.report.namespaceTree, '', 0);
  });
  const namespaces = [...ns.values()];
  for (const t of namespaces) t.slopePerDay = coreSlopes(t.series, c);
  namespaces.sort((a, b) => (b.series.bytes[to] ?? 0) - (a.series.bytes[to] ?? 0) || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));

  const dbs = new Map<number, DatabaseTrend>();
  const types = new Map<RedisType, TypeTrend>();
  const queues = new Map<string, QueueTrend>();
  kept.forEach((k, i) => {
    for (const d of k.report.databases) {
      let t = dbs.get(d.db);
      if (!t) dbs.set(d.db, (t = { db: d.db, series: coreSeries(n), slopePerDay: { keys: null, bytes: null, noTtlKeys: null, noTtlBytes: null } }));
      for (const f of FIGURES) t.series[f][i] = d[f];
    }
    for (const ty of k.report.types) {
      let t = types.get(ty.type);
      if (!t) types.set(ty.type, (t = { type: ty.type, series: { keys: series(n), bytes: series(n) }, slopePerDay: { keys: null, bytes: null } }));
      t.series.keys[i] = ty.keys;
      t.series.bytes[i] = ty.bytes;
    }
    const qs = [...k.report.queues, k.report.queueStats.longest, k.report.queueStats.mostPending];
    for (const q of qs) {
      if (!q) continue;
      const id = `${q.db}\u0000${q.keyB64 ?? q.key}`;
      let t = queues.get(id);
      if (!t) queues.set(id, (t = { db: q.db, key: q.key, keyB64: q.keyB64, type: q.type, series: { length: series(n), pending: series(n), bytes: series(n) }, slopePerDay: { length: null, pending: null, bytes: null } }));
      t.series.length[i] = q.length;
      t.series.pending[i] = q.pending;
      t.series.bytes[i] = q.bytes;
    }
  });
  const databases = [...dbs.values()].sort((a, b) => a.db - b.db);
  for (const t of databases) t.slopePerDay = coreSlopes(t.series, c);
  const typeList = [...types.values()].sort((a, b) => (b.series.bytes[to] ?? 0) - (a.series.bytes[to] ?? 0) || (a.type < b.type ? -1 : 1));
  for (const t of typeList) t.slopePerDay = { keys: slopeOf(t.series.keys, c), bytes: slopeOf(t.series.bytes, c) };
  const queueList = [...queues.values()];
  for (const t of queueList) {
    const qc = { ...c, from: listedFrom(t.series.length, c) };
    t.slopePerDay = { length: slopeOf(t.series.length, qc), pending: slopeOf(t.series.pending, qc), bytes: slopeOf(t.series.bytes, qc) };
  }
  queueList.sort((a, b) => (b.series.length[to] ?? 0) - (a.series.length[to] ?? 0) || a.db - b.db || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const findings = findTrends(namespaces, queueList, instance.slopePerDay, inst, kept[to].report.options.separators, c);
  const growers = fastestGrowers(namespaces, c);
  const projection = o.maxmemory === null ? null : project(inst, days, kept[to].savedAtMs, o);

  const trend: TrendReport = {
    schema: TREND_SCHEMA,
    schemaVersion: TREND_SCHEMA_VERSION,
    tool: { name: 'rdbscope', version: toolVersion },
    options: o,
    snapshots,
    window: { from, to, intervals: to - from },
    instance,
    namespaces,
    databases,
    types: typeList,
    queues: queueList,
    growers,
    findings,
    projection,
    warnings,
  };
  return { trend, last: kept[to].report };
}

/** Children by parent pattern. */
function childrenOf(namespaces: readonly NamespaceTrend[]): Map<string, NamespaceTrend[]> {
  const m = new Map<string, NamespaceTrend[]>();
  for (const t of namespaces) {
    const l = m.get(t.parent);
    if (l) l.push(t);
    else m.set(t.parent, [t]);
  }
  return m;
}

/** True when a child of `t` among `candidates` accounts for `explainShare` of its slope on `pick`. */
function explainedByChild(t: NamespaceTrend, kids: Map<string, NamespaceTrend[]>, slope: (x: NamespaceTrend) => number, c: Ctx, candidates?: Set<string>): boolean {
  const own = slope(t);
  return (kids.get(t.pattern) ?? []).some((ch) => (candidates === undefined || candidates.has(ch.pattern)) && slope(ch) >= c.o.explainShare * own);
}

function fastestGrowers(namespaces: readonly NamespaceTrend[], c: Ctx): Grower[] {
  const kids = childrenOf(namespaces);
  const bytesSlope = (x: NamespaceTrend): number => x.slopePerDay.bytes ?? 0;
  return namespaces
    .filter((t) => bytesSlope(t) > 0 && !explainedByChild(t, kids, bytesSlope, c))
    .sort((a, b) => bytesSlope(b) - bytesSlope(a) || (a.pattern < b.pattern ? -1 : 1))
    .slice(0, 20)
    .map((t) => ({
      pattern: t.pattern,
      bytesPerDay: bytesSlope(t),
      keysPerDay: t.slopePerDay.keys ?? 0,
      noTtlBytesPerDay: t.slopePerDay.noTtlBytes ?? 0,
      noTtlKeysPerDay: t.slopePerDay.noTtlKeys ?? 0,
      bytesFirst: t.series.bytes[c.from] ?? 0,
      bytesLast: t.series.bytes[c.to] ?? 0,
    }));
}

/** A queue key lies in a namespace when it is the pattern or below it. */
function inNamespace(key: string, pattern: string, separators: string): boolean {
  const bytes = new TextEncoder().encode(key);
  if (new Glob(pattern).match(bytes, 0, bytes.length)) return true;
  for (const sep of separators) if (new Glob(pattern + sep + '*').match(bytes, 0, bytes.length)) return true;
  return false;
}

function when(ms: number): string {
  return isoTime(ms, '?').slice(0, 10);
}

function findTrends(
  namespaces: readonly NamespaceTrend[],
  queues: readonly QueueTrend[],
  instSlope: Record<string, number | null>,
  inst: Record<string, Series>,
  separators: string,
  c: Ctx,
): TrendFinding[] {
  const out: TrendFinding[] = [];
  const span = (st: Steady): string => `grew in ${st.grewIn} of the last ${st.intervals} intervals`;
  // The snapshots that show it, by save date (the first ones and the last when many).
  const days = (idx: number[]): string => {
    if (idx.length === 0) return '';
    const d = idx.map((i) => when(c.times[i]));
    return ` (snapshots of ${d.length > 6 ? `${d.slice(0, 3).join(', ')} … ${d.slice(-2).join(', ')}` : d.join(', ')})`;
  };

  // Queues first: a namespace that grows only because a queue in it does is the queue's finding.
  const growingQueues: { q: QueueTrend; bytesPerDay: number }[] = [];
  for (const q of queues) {
    const from = listedFrom(q.series.length, c);
    for (const fig of ['length', 'pending'] as const) {
      if (fig === 'pending' && q.type !== 'stream') continue;
      const st = steadyGrowth(q.series[fig], from, c.to, c.o);
      if (!st.steady) continue;
      const perDay = q.slopePerDay[fig] ?? 0;
      const bytesPerDay = Math.max(0, q.slopePerDay.bytes ?? 0);
      growingQueues.push({ q, bytesPerDay });
      out.push({
        id: 'queue-growth',
        severity: 'warn',
        subject: q.key,
        db: q.db,
        series: fig,
        perDay,
        bytesPerDay,
        grewIn: st.grewIn,
        intervals: st.intervals,
        snapshots: st.snapshots,
        message: `Queue ${q.key} (db ${q.db}, ${q.type}) gains ${formatCount(perDay)} ${fig === 'length' ? 'elements' : 'pending entries'} a day (${formatBytes(Math.round(bytesPerDay))} a day): its ${fig === 'length' ? 'length' : 'pending count'} ${span(st)}${days(st.snapshots)}, now ${formatCount(q.series[fig][c.to] ?? 0)}. Nothing consumes it as fast as it is fed.`,
      });
      break;
    }
  }
  const queueBytesIn = (pattern: string): number => growingQueues.filter((g) => inNamespace(g.q.key, pattern, separators)).reduce((a, g) => a + g.bytesPerDay, 0);

  const kids = childrenOf(namespaces);
  // Leaks: no-TTL keys or bytes growing steadily, not explained by a growing queue.
  const leak = new Map<string, { st: Steady; fig: 'noTtlKeys' | 'noTtlBytes' }>();
  for (const t of namespaces) {
    const sk = steadyGrowth(t.series.noTtlKeys, c.from, c.to, c.o);
    const sb = steadyGrowth(t.series.noTtlBytes, c.from, c.to, c.o);
    if (!sk.steady && !sb.steady) continue;
    if (!sk.steady && queueBytesIn(t.pattern) >= c.o.explainShare * (t.slopePerDay.noTtlBytes ?? 0)) continue;
    leak.set(t.pattern, sk.steady ? { st: sk, fig: 'noTtlKeys' } : { st: sb, fig: 'noTtlBytes' });
  }
  const leakSet = new Set(leak.keys());
  const noTtlBytesSlope = (x: NamespaceTrend): number => x.slopePerDay.noTtlBytes ?? 0;
  const reported = new Set<string>();
  for (const t of namespaces) {
    const l = leak.get(t.pattern);
    if (!l || explainedByChild(t, kids, noTtlBytesSlope, c, leakSet)) continue;
    reported.add(t.pattern);
    const kpd = t.slopePerDay.noTtlKeys ?? 0;
    const bpd = t.slopePerDay.noTtlBytes ?? 0;
    out.push({
      id: 'no-ttl-leak',
      severity: 'warn',
      subject: t.pattern,
      db: null,
      series: l.fig,
      perDay: l.fig === 'noTtlKeys' ? kpd : bpd,
      bytesPerDay: Math.max(0, bpd),
      grewIn: l.st.grewIn,
      intervals: l.st.intervals,
      snapshots: l.st.snapshots,
      message: `${t.pattern} gains ${formatCount(kpd)} keys and ${formatBytes(Math.round(bpd))} without TTL a day: its ${l.fig === 'noTtlKeys' ? 'keys' : 'bytes'} without TTL ${span(l.st)}${days(l.st.snapshots)}, now ${formatCount(t.series.noTtlKeys[c.to] ?? 0)} keys, ${formatBytes(t.series.noTtlBytes[c.to] ?? 0)}. Keys written without TTL and never deleted.`,
    });
  }

  // Namespaces outgrowing the instance: steady byte growth, faster relative to their size.
  const base = inst.estimatedUsedMemory.every((v) => v !== null) ? 'estimatedUsedMemory' : 'bytes';
  const meanOf = (s: Series): number => {
    let sum = 0;
    for (let i = c.from; i <= c.to; i++) sum += s[i] ?? 0;
    return sum / (c.to - c.from + 1);
  };
  const instMean = meanOf(inst[base]);
  const instRel = instMean > 0 ? (instSlope[base] ?? 0) / instMean : 0;
  const outgrow = new Set<string>();
  const outgrowSteady = new Map<string, Steady>();
  const related = (p: string, q: string): boolean => p === q || isBelow(p, q, kids) || isBelow(q, p, kids);
  for (const t of namespaces) {
    const bpd = t.slopePerDay.bytes ?? 0;
    const mean = meanOf(t.series.bytes);
    if (bpd <= 0 || mean <= 0) continue;
    if (bpd / mean <= Math.max(0, c.o.outgrowFactor * instRel)) continue;
    const st = steadyGrowth(t.series.bytes, c.from, c.to, c.o);
    if (!st.steady) continue;
    if (queueBytesIn(t.pattern) >= c.o.explainShare * bpd) continue;
    if ([...reported].some((p) => related(p, t.pattern))) continue;
    outgrow.add(t.pattern);
    outgrowSteady.set(t.pattern, st);
  }
  const bytesSlope = (x: NamespaceTrend): number => x.slopePerDay.bytes ?? 0;
  for (const t of namespaces) {
    const st = outgrowSteady.get(t.pattern);
    if (!st || explainedByChild(t, kids, bytesSlope, c, outgrow)) continue;
    const bpd = bytesSlope(t);
    const rel = bpd / meanOf(t.series.bytes);
    out.push({
      id: 'outgrows-instance',
      severity: 'info',
      subject: t.pattern,
      db: null,
      series: 'bytes',
      perDay: bpd,
      bytesPerDay: bpd,
      grewIn: st.grewIn,
      intervals: st.intervals,
      snapshots: st.snapshots,
      message: `${t.pattern} grows by ${formatBytes(Math.round(bpd))} a day (${(100 * rel).toFixed(1)}% of its size a day, the instance ${(100 * instRel).toFixed(1)}%): its bytes ${span(st)}${days(st.snapshots)}.`,
    });
  }
  out.sort((a, b) => b.bytesPerDay - a.bytesPerDay || (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
  return out;
}

/** True when namespace `p` lies below `q` in the tree. */
function isBelow(p: string, q: string, kids: Map<string, NamespaceTrend[]>): boolean {
  const stack = [...(kids.get(q) ?? [])];
  while (stack.length) {
    const t = stack.pop()!;
    if (t.pattern === p) return true;
    stack.push(...(kids.get(t.pattern) ?? []));
  }
  return false;
}

/**
 * Where the series last jumped: an interval whose change lies far outside the others' (more
 * than 6 robust standard deviations, from the median absolute deviation, and more than 1% of
 * the level), with at least `minAfter` snapshots from its later one on. Returns that
 * snapshot, or -1.
 */
export function lastLevelShift(ys: readonly number[], minAfter = 3): number {
  if (ys.length < 4) return -1;
  const d: number[] = [];
  for (let i = 1; i < ys.length; i++) d.push(ys[i] - ys[i - 1]);
  const median = (a: number[]): number => {
    const s = [...a].sort((x, y) => x - y);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const med = median(d);
  const mad = median(d.map((x) => Math.abs(x - med))) * 1.4826;
  // Only a shift with `minAfter` snapshots from it on can start a fit.
  for (let i = ys.length - 1 - minAfter; i >= 0; i--) {
    const dev = Math.abs(d[i] - med);
    if (dev > 6 * mad && dev > 0.01 * Math.abs(ys[i])) return i + 1;
  }
  return -1;
}

function project(inst: Record<string, Series>, days: readonly number[], lastMs: number, o: TrendOptions): Projection | null {
  const basis = inst.estimatedUsedMemory.every((v) => v !== null) ? 'estimatedUsedMemory' : inst.usedMemAtSave.every((v) => v !== null) ? 'usedMemAtSave' : 'bytes';
  const ys = inst[basis].map((v) => v ?? 0);
  const n = ys.length;
  if (n < 2 || o.maxmemory === null) return null;
  const shift = lastLevelShift(ys);
  const from = shift >= 0 ? shift : 0;
  const xs = days.slice(from);
  const fy = ys.slice(from);
  const f = fitLine(xs, fy);
  const lastDay = days[n - 1];
  const atLast = f.intercept + f.slope * lastDay;
  const fit: LineFit = { from, to: n - 1, points: n - from, slopePerDay: sig(f.slope), atLast: Math.round(atLast), residualStdError: Math.round(f.rse), r2: f.r2 === null ? null : sig(f.r2) };
  const crossing = (line: number): Crossing => {
    const at = (level: number): number | null => {
      if (atLast >= level) return 0;
      if (f.slope <= 0) return null;
      return (level - atLast) / f.slope;
    };
    const d = ys[n - 1] >= line ? 0 : at(line);
    const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);
    return {
      bytes: Math.round(line),
      days: round(d),
      daysLow: round(ys[n - 1] >= line ? 0 : at(line - 2 * f.rse)),
      daysHigh: round(ys[n - 1] >= line ? 0 : at(line + 2 * f.rse)),
      atMs: d === null ? null : Math.round(lastMs + d * DAY_MS),
    };
  };
  return {
    basis,
    maxmemory: o.maxmemory,
    alertAt: o.alertAt,
    fit,
    levelShift: from > 0 ? { snapshot: from, bytes: Math.round(ys[from] - ys[from - 1]) } : null,
    alert: crossing(o.alertAt * o.maxmemory),
    limit: crossing(o.maxmemory),
  };
}
