/**
 * The `rdbscope trend --json` schema, version 1. This file IS the documentation of the format
 * (docs/README.md points here, as it does to schema.ts for report.json).
 *
 * Conventions (those of report.json, see schema.ts)
 * - Sizes are integer bytes, taken from the reports' own fields (`bytes`, `noTtlBytes`,
 *   `summary.estimatedUsedMemory` …), so a trend sums what the reports sum.
 * - Times are milliseconds since the Unix epoch (UTC). Absent values are `null`, never omitted.
 * - A series is an array with one value per snapshot, in `snapshots` order (oldest first);
 *   `null` where the snapshot does not have the thing (a namespace that did not exist yet, a
 *   queue under the queue threshold that night). The analysis reads `null` as 0.
 * - Slopes are least-squares fits over save time, in units per day, over the analysis window
 *   (`window`: the last `options.window` intervals), to 6 significant digits.
 * - Readers must ignore fields they do not know; a change that breaks readers bumps
 *   `schemaVersion`.
 */

import type { RedisType } from '../core/types.ts';
import type { Severity } from './schema.ts';

export const TREND_SCHEMA = 'rdbscope.trend';
export const TREND_SCHEMA_VERSION = 1;

export interface TrendReport {
  /** Always 'rdbscope.trend'. */
  schema: typeof TREND_SCHEMA;
  /** 1 for this layout. */
  schemaVersion: typeof TREND_SCHEMA_VERSION;
  tool: { name: 'rdbscope'; version: string | null };
  options: TrendOptions;
  /** The inputs, oldest first (by save time, never by name). */
  snapshots: Snapshot[];
  /** Which snapshots the slopes and the leak rules look at: indices into `snapshots`, inclusive. */
  window: { from: number; to: number; intervals: number };
  /** Whole-instance series. */
  instance: InstanceTrend;
  /** Every node of every snapshot's namespace tree except the root (which is `instance`), by pattern. */
  namespaces: NamespaceTrend[];
  databases: DatabaseTrend[];
  types: TypeTrend[];
  /** Queues (report.json `queues`, `queueStats.longest`, `queueStats.mostPending`), by db and key. */
  queues: QueueTrend[];
  /**
   * Namespaces growing fastest in bytes per day, at most 20. A namespace is left out when one of
   * its children accounts for at least `options.explainShare` of its growth (the child is
   * listed instead), so one leak does not fill the table with its parents.
   */
  growers: Grower[];
  /** Leaks, growing queues, namespaces outgrowing the instance; most bytes per day first. */
  findings: TrendFinding[];
  /** Days to the alert line and to maxmemory; null without `options.maxmemory`. */
  projection: Projection | null;
  /** One sentence each: inputs ordered by file time, duplicates dropped, options that differ. */
  warnings: string[];
}

export interface TrendOptions {
  /** Intervals (between consecutive snapshots) the leak rules and slopes look at. */
  window: number;
  /** A series is steady growth when it grew in at least this many of `window` intervals (scaled down when fewer). */
  minGrowths: number;
  /** …and no single interval brought more than this share of its net growth over the window (a jump is not a leak). */
  maxStepShare: number;
  /** A parent is represented by a child that accounts for at least this share of its slope. */
  explainShare: number;
  /** A namespace outgrows the instance when its relative growth per day is this many times the instance's. */
  outgrowFactor: number;
  /** Instance memory limit in bytes, or null. */
  maxmemory: number | null;
  /** Alert line as a fraction of maxmemory (0.7 for 70%). */
  alertAt: number;
}

export interface Snapshot {
  index: number;
  /** The input it was read from (a report.json or an RDB file). */
  source: string;
  /** The RDB's save time (aux `ctime`; for a merged report the latest of its files), else the file's mtime. */
  savedAtMs: number;
  timeSource: 'ctime' | 'file-mtime';
  producers: string[];
  files: number;
  keys: number;
  bytes: number;
  noTtlKeys: number;
  noTtlBytes: number;
  estimatedUsedMemory: number | null;
  usedMemAtSave: number | null;
}

export type Series = (number | null)[];

/** Slope per day of each figure over the window (null when the figure has no values there). */
export type Slopes<K extends string> = Record<K, number | null>;

export type CoreFigure = 'keys' | 'bytes' | 'noTtlKeys' | 'noTtlBytes';

export interface InstanceTrend {
  series: Record<CoreFigure | 'estimatedUsedMemory' | 'usedMemAtSave', Series>;
  slopePerDay: Slopes<CoreFigure | 'estimatedUsedMemory' | 'usedMemAtSave'>;
}

export interface NamespaceTrend {
  pattern: string;
  /** Pattern of the parent node ('' for a top-level namespace). */
  parent: string;
  /** Level in the tree (1 = top level). */
  depth: number;
  series: Record<CoreFigure, Series>;
  slopePerDay: Slopes<CoreFigure>;
}

export interface DatabaseTrend {
  db: number;
  series: Record<CoreFigure, Series>;
  slopePerDay: Slopes<CoreFigure>;
}

export interface TypeTrend {
  type: RedisType;
  series: Record<'keys' | 'bytes', Series>;
  slopePerDay: Slopes<'keys' | 'bytes'>;
}

export interface QueueTrend {
  db: number;
  key: string;
  keyB64: string | null;
  type: RedisType;
  /**
   * `length`: elements; `pending`: a stream's largest consumer-group pending list (null for other
   * types). A queue is listed only while over the queue threshold: its slopes and the rule use
   * the window's last stretch of snapshots that list it.
   */
  series: Record<'length' | 'pending' | 'bytes', Series>;
  slopePerDay: Slopes<'length' | 'pending' | 'bytes'>;
}

export interface Grower {
  pattern: string;
  bytesPerDay: number;
  keysPerDay: number;
  noTtlBytesPerDay: number;
  noTtlKeysPerDay: number;
  /** Bytes in the window's first and last snapshot. */
  bytesFirst: number;
  bytesLast: number;
}

export interface TrendFinding {
  /**
   * `no-ttl-leak`: a namespace whose keys or bytes without TTL grew steadily;
   * `queue-growth`: a queue whose length (or pending entries) grew steadily;
   * `outgrows-instance`: a namespace growing steadily and, relative to its size, faster than the instance.
   */
  id: 'no-ttl-leak' | 'queue-growth' | 'outgrows-instance';
  severity: Severity;
  /** The namespace pattern, or the queue's key. */
  subject: string;
  /** For queues: the database; null for namespaces. */
  db: number | null;
  /** One plain sentence, with the slope and the snapshots in it. */
  message: string;
  /** The series the rule fired on (`noTtlKeys`, `noTtlBytes`, `length`, `pending`, `bytes`). */
  series: string;
  /** Its slope per day (least squares over save time, within the window). */
  perDay: number;
  /** Bytes per day the subject grows by (its `noTtlBytes`, queue `bytes` or `bytes` slope); sorts the findings. */
  bytesPerDay: number;
  /** Intervals in the window in which the series grew, and the window's intervals. */
  grewIn: number;
  intervals: number;
  /** Snapshots (indices) that show the growth: the later snapshot of each interval that grew. */
  snapshots: number[];
}

export interface LineFit {
  /** Snapshots fitted: indices, inclusive. */
  from: number;
  to: number;
  points: number;
  slopePerDay: number;
  /** The fitted value at the last snapshot's save time. */
  atLast: number;
  /** Residual standard error (bytes), 0 with two points. */
  residualStdError: number;
  r2: number | null;
}

export interface Crossing {
  /** The line in bytes. */
  bytes: number;
  /** Days after the last snapshot's save time (0: already over); null when the fit does not rise. */
  days: number | null;
  /** The range of days where the fit ± 2 residual standard errors crosses the line (null: never). */
  daysLow: number | null;
  daysHigh: number | null;
  /** The day itself (ms), null when never. */
  atMs: number | null;
}

export interface Projection {
  /** The figure fitted: report.json's `summary.estimatedUsedMemory`, else `usedMemAtSave`, else `bytes`. */
  basis: 'estimatedUsedMemory' | 'usedMemAtSave' | 'bytes';
  maxmemory: number;
  alertAt: number;
  fit: LineFit;
  /**
   * A one-off jump before the fitted stretch: the snapshot that brought it and its size. The
   * fit starts there, so a level shift (a cache filled once) does not read as a growth rate.
   */
  levelShift: { snapshot: number; bytes: number } | null;
  alert: Crossing;
  limit: Crossing;
}
