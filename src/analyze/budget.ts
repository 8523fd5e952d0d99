/**
 * `--fail-on` budgets: `METRIC > LIMIT` (or `>=`), e.g. `no-ttl-bytes>1gb`, `key-bytes>50mb`,
 * `queue-length>100000`, `growth>20%`, `no-ttl-growth>10000`.
 *
 * Limits: sizes as in redis.conf (`k` = 1000, `kb`/`kib` = 1024, …, see units.ts), a
 * percentage (`20%`), or a plain number. A plain number means bytes for byte metrics and a
 * count for count metrics; a unit ending in `b` always means bytes (so `no-ttl-growth>1gb`
 * budgets bytes, `no-ttl-growth>10000` keys).
 *
 * Report metrics (evaluated by `evaluateBudgets` against a report):
 *   total-bytes, total-keys, used-memory (estimated instance memory, else used-mem, else key
 *   bytes), no-ttl-bytes, no-ttl-keys, no-ttl-share (percent), key-bytes (the biggest key),
 *   queue-length (the longest list/zset/stream), queue-pending (a stream group's pending
 *   entries), element-bytes (the largest element among keys over --big-element).
 * Diff metrics (need a `DiffFigures`, from `rdbscope diff`): growth (bytes, or percent of the
 *   old total), no-ttl-growth (keys, or bytes with a byte unit, or percent).
 */

import type { Report } from './schema.ts';
import { formatBytes, formatCount, parseSize } from '../core/units.ts';

export { parseSize };

export type BudgetUnit = 'bytes' | 'count' | 'percent';

const METRICS = {
  'total-bytes': { plain: 'bytes', units: ['bytes'], diff: false },
  'total-keys': { plain: 'count', units: ['count'], diff: false },
  'used-memory': { plain: 'bytes', units: ['bytes'], diff: false },
  'no-ttl-bytes': { plain: 'bytes', units: ['bytes'], diff: false },
  'no-ttl-keys': { plain: 'count', units: ['count'], diff: false },
  'no-ttl-share': { plain: 'percent', units: ['percent'], diff: false },
  'key-bytes': { plain: 'bytes', units: ['bytes'], diff: false },
  'queue-length': { plain: 'count', units: ['count'], diff: false },
  'queue-pending': { plain: 'count', units: ['count'], diff: false },
  'element-bytes': { plain: 'bytes', units: ['bytes'], diff: false },
  growth: { plain: 'bytes', units: ['bytes', 'percent'], diff: true },
  'no-ttl-growth': { plain: 'count', units: ['count', 'bytes', 'percent'], diff: true },
} as const satisfies Record<string, { plain: BudgetUnit; units: readonly BudgetUnit[]; diff: boolean }>;

export type BudgetMetric = keyof typeof METRICS;
export const BUDGET_METRICS = Object.keys(METRICS) as BudgetMetric[];

export interface Budget {
  /** The expression as given. */
  text: string;
  metric: BudgetMetric;
  op: '>' | '>=';
  /** Bytes, a count, or a percentage (20 for 20%). */
  limit: number;
  unit: BudgetUnit;
  /** True for metrics that compare two reports. */
  diff: boolean;
}

export function parseBudget(text: string): Budget {
  const m = /^\s*([a-z][a-z-]*)\s*(>=|>)\s*(\S+)\s*$/i.exec(text);
  if (m === null) throw new Error(`--fail-on ${JSON.stringify(text)}: expected METRIC>LIMIT, e.g. no-ttl-bytes>1gb`);
  const metric = m[1].toLowerCase();
  if (!(metric in METRICS)) {
    throw new Error(`--fail-on ${JSON.stringify(text)}: unknown metric ${JSON.stringify(metric)} (known: ${BUDGET_METRICS.join(', ')})`);
  }
  const spec = METRICS[metric as BudgetMetric];
  const v = m[3];
  let limit: number;
  let unit: BudgetUnit;
  if (v.endsWith('%')) {
    const n = v.slice(0, -1);
    if (!/^\d+(\.\d+)?$/.test(n)) throw new Error(`--fail-on ${JSON.stringify(text)}: not a percentage: ${JSON.stringify(v)}`);
    limit = Number(n);
    unit = 'percent';
  } else {
    try {
      limit = parseSize(v);
    } catch {
      throw new Error(`--fail-on ${JSON.stringify(text)}: not a number or size: ${JSON.stringify(v)}`);
    }
    unit = /b$/i.test(v) ? 'bytes' : spec.plain;
  }
  if (!(spec.units as readonly BudgetUnit[]).includes(unit)) {
    throw new Error(`--fail-on ${JSON.stringify(text)}: ${metric} takes ${spec.units.map((u) => (u === 'count' ? 'a count' : u === 'bytes' ? 'a size' : 'a percentage')).join(' or ')}`);
  }
  return { text: text.trim(), metric: metric as BudgetMetric, op: m[2] as '>' | '>=', limit, unit, diff: spec.diff };
}

export function parseBudgets(texts: readonly string[]): Budget[] {
  return texts.map(parseBudget);
}

export interface Breach {
  budget: Budget;
  /** The offending figure, in the budget's unit. */
  actual: number;
  /** E.g. `no-ttl-bytes>1gb: 1.30 GiB of keys without TTL (limit 1.00 GiB)`. */
  message: string;
  /** Keys or namespaces that breached it (key-bytes, queue-length, …), as reports name them. */
  subjects: string[];
}

/** What a diff of two reports gives the growth budgets. */
export interface DiffFigures {
  bytesBefore: number;
  bytesAfter: number;
  noTtlKeysBefore: number;
  noTtlKeysAfter: number;
  noTtlBytesBefore: number;
  noTtlBytesAfter: number;
}

export interface BudgetResult {
  breaches: Breach[];
  /** Diff budgets given no `DiffFigures`. */
  skipped: Budget[];
}

function fmt(v: number, unit: BudgetUnit): string {
  return unit === 'bytes' ? formatBytes(v) : unit === 'percent' ? `${+v.toFixed(2)}%` : formatCount(v);
}

export function evaluateBudgets(report: Report, budgets: readonly Budget[], diff?: DiffFigures): BudgetResult {
  const breaches: Breach[] = [];
  const skipped: Budget[] = [];
  const s = report.summary;
  for (const b of budgets) {
    let actual: number;
    let what: string;
    let subjects: string[] = [];
    const over = (v: number): boolean => (b.op === '>' ? v > b.limit : v >= b.limit);
    switch (b.metric) {
      case 'total-bytes':
        actual = s.bytes;
        what = 'real bytes in keys';
        break;
      case 'total-keys':
        actual = s.keys;
        what = 'keys';
        break;
      case 'used-memory':
        actual = s.estimatedUsedMemory ?? s.usedMemAtSave ?? s.bytes;
        what = s.estimatedUsedMemory !== null ? 'estimated instance memory' : s.usedMemAtSave !== null ? 'used-mem at save time' : 'real bytes in keys';
        break;
      case 'no-ttl-bytes':
        actual = s.noTtlBytes;
        what = 'in keys without TTL';
        break;
      case 'no-ttl-keys':
        actual = s.noTtlKeys;
        what = 'keys without TTL';
        break;
      case 'no-ttl-share':
        actual = s.bytes > 0 ? (100 * s.noTtlBytes) / s.bytes : 0;
        what = 'of the memory without TTL';
        break;
      case 'key-bytes': {
        actual = report.bigKeys[0]?.bytes ?? 0;
        what = report.bigKeys[0] !== undefined ? `in the biggest key (${report.bigKeys[0].key})` : 'in the biggest key';
        subjects = report.bigKeys.filter((k) => over(k.bytes)).map((k) => k.key);
        break;
      }
      case 'queue-length': {
        const l = report.queueStats.longest;
        actual = l?.length ?? 0;
        what = l !== null ? `elements in the longest queue (${l.key}, ${l.type})` : 'elements in the longest queue';
        subjects = report.queues.filter((k) => over(k.length)).map((k) => k.key);
        if (subjects.length === 0 && l !== null && over(l.length)) subjects = [l.key];
        break;
      }
      case 'queue-pending': {
        const p = report.queueStats.mostPending;
        actual = p?.pending ?? 0;
        what = p !== null ? `pending entries in a consumer group of ${p.key}` : 'pending entries in a consumer group';
        subjects = report.queues.filter((k) => k.pending !== null && over(k.pending)).map((k) => k.key);
        if (subjects.length === 0 && p !== null && over(actual)) subjects = [p.key];
        break;
      }
      case 'element-bytes': {
        const k = report.bigElements.keys[0];
        actual = k?.largestElement ?? 0;
        what = k !== undefined ? `in the largest element (${k.key})` : 'in the largest element';
        subjects = report.bigElements.keys.filter((e) => over(e.largestElement)).map((e) => e.key);
        break;
      }
      case 'growth':
      case 'no-ttl-growth': {
        if (diff === undefined) {
          skipped.push(b);
          continue;
        }
        const [before, after] =
          b.metric === 'growth'
            ? [diff.bytesBefore, diff.bytesAfter]
            : b.unit === 'count'
              ? [diff.noTtlKeysBefore, diff.noTtlKeysAfter]
              : [diff.noTtlBytesBefore, diff.noTtlBytesAfter];
        if (b.unit === 'percent') {
          actual = before > 0 ? (100 * (after - before)) / before : after > 0 ? Infinity : 0;
        } else actual = after - before;
        what = b.metric === 'growth' ? 'growth of the estimated bytes' : b.unit === 'count' ? 'more keys without TTL' : 'growth of the bytes without TTL';
        break;
      }
    }
    if (over(actual)) {
      breaches.push({
        budget: b,
        actual,
        message: `${b.text}: ${Number.isFinite(actual) ? fmt(actual, b.unit) : 'from nothing'} ${what} (limit ${b.op === '>=' ? 'below ' : ''}${fmt(b.limit, b.unit)})`,
        subjects,
      });
    }
  }
  return { breaches, skipped };
}

/** One line per breach, for the CLI. */
export function describeBreaches(r: BudgetResult): string[] {
  return r.breaches.map((b) => {
    const more = b.subjects.length > 0 ? ` [${b.subjects.slice(0, 5).join(', ')}${b.subjects.length > 5 ? `, +${b.subjects.length - 5}` : ''}]` : '';
    return b.message + more;
  });
}

