/**
 * Writing reports into `--out DIR`:
 *
 *   report.json     (format `json`)   the Report, see schema.ts
 *   namespaces.csv  (format `csv`)    the flat namespace list
 *   keys.csv        (format `csv`)    one row per key; streamed by the caller during the parse
 *                                     with `KeysCsvWriter` (skipped with --no-keys)
 *   report.md       (format `md`)     the ticket-friendly summary
 *   report.html     (format `html`)   the self-contained page (treemap, tables), see html.ts
 *   metrics.prom    (format `openmetrics`, not in `all`) OpenMetrics text, see openmetrics.ts;
 *                                     written under a temporary name and renamed, so a collector
 *                                     watching the directory never reads half a file
 *
 * Existing files are never overwritten unless `force`: call `checkOutputs` before the (long)
 * parse so the refusal comes first; the writers also open with `wx` as a last guard.
 */

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { KeyRecord } from '../core/types.ts';
import type { Report } from '../analyze/schema.ts';
import { reportToJson } from './json.ts';
import { namespacesCsv } from './namespaces-csv.ts';
import { reportToMarkdown, type MarkdownOptions } from './markdown.ts';
import { csvField, keysCsvHeader, writeKeysCsvRow } from './csv.ts';
import { CsvRowStage } from './csv-row.ts';
import { writeKeyJsonl } from './jsonl.ts';
import { ByteSink } from './sink.ts';
import { redactReport, type KeyRedactor } from '../analyze/redact.ts';
import { reportToHtml } from './html.ts';
import { OPENMETRICS_FILE, openMetricsText, type OpenMetricsOptions } from './openmetrics.ts';

export type ReportFormat = 'json' | 'csv' | 'md' | 'html' | 'openmetrics';
/** Every format, in writing order. */
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'csv', 'md', 'html', 'openmetrics'];
/** What `all` means: the reports people read (metrics are for a collector, asked for by name). */
export const ALL_FORMATS: readonly ReportFormat[] = ['json', 'csv', 'md', 'html'];

export const REPORT_FILES = {
  json: 'report.json',
  namespacesCsv: 'namespaces.csv',
  keysCsv: 'keys.csv',
  md: 'report.md',
  html: 'report.html',
  openmetrics: OPENMETRICS_FILE,
} as const;

/** analyze --keys-format parquet (report/keys-parquet.ts). */
export const PARQUET_FILES = {
  keys: 'keys.parquet',
  namespaces: 'namespaces.parquet',
} as const;

/**
 * `--format` value → formats: `all` (json, csv, md, html) or a comma list of json, csv, md, html,
 * openmetrics (`markdown`, `prometheus` accepted).
 */
export function parseFormats(text: string): ReportFormat[] {
  const out = new Set<ReportFormat>();
  for (const raw of text.split(',')) {
    const f = raw.trim().toLowerCase();
    if (f === '') continue;
    if (f === 'all') ALL_FORMATS.forEach((x) => out.add(x));
    else if (f === 'json' || f === 'csv' || f === 'md' || f === 'html' || f === 'openmetrics') out.add(f);
    else if (f === 'markdown') out.add('md');
    else if (f === 'prometheus') out.add('openmetrics');
    else throw new Error(`--format ${JSON.stringify(raw.trim())}: expected all, json, csv, md, html or openmetrics`);
  }
  if (out.size === 0) throw new Error('--format: no format given');
  return REPORT_FORMATS.filter((f) => out.has(f));
}

export class OutputExistsError extends Error {
  constructor(readonly paths: string[]) {
    super(`refusing to overwrite ${paths.join(', ')} (use --force to replace, or choose another --out)`);
    this.name = 'OutputExistsError';
  }
}

/** Files `writeReports` (and the keys.csv stream when `keysCsv`) will create. */
export function plannedOutputs(outDir: string, formats: readonly ReportFormat[], keysCsv: boolean): string[] {
  const out: string[] = [];
  if (formats.includes('json')) out.push(join(outDir, REPORT_FILES.json));
  if (formats.includes('csv')) {
    out.push(join(outDir, REPORT_FILES.namespacesCsv));
    if (keysCsv) out.push(join(outDir, REPORT_FILES.keysCsv));
  }
  if (formats.includes('md')) out.push(join(outDir, REPORT_FILES.md));
  if (formats.includes('html')) out.push(join(outDir, REPORT_FILES.html));
  if (formats.includes('openmetrics')) out.push(join(outDir, REPORT_FILES.openmetrics));
  return out;
}

/** Throws OutputExistsError when any of `paths` exists and not `force`. */
export function checkOutputs(paths: readonly string[], force: boolean): void {
  if (force) return;
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length > 0) throw new OutputExistsError(existing);
}

/**
 * `analyze` records in its output directory which files it wrote (name, size, modification
 * time), so that a second run may replace exactly those files, unchanged since, without
 * --force; anything else there (a file someone edited or put there) is still refused.
 */
export const MANIFEST_FILE = '.rdbscope-outputs.json';

type Manifest = Record<string, { size: number; mtimeMs: number }>;

function readManifest(outDir: string): Manifest {
  try {
    const m = JSON.parse(readFileSync(join(outDir, MANIFEST_FILE), 'utf8')) as { files?: Manifest };
    return m.files && typeof m.files === 'object' ? m.files : {};
  } catch {
    return {};
  }
}

/** The planned outputs that exist and are not rdbscope's own, unchanged since it wrote them. */
export function foreignOutputs(outDir: string, paths: readonly string[]): string[] {
  const mine = readManifest(outDir);
  return paths.filter((p) => {
    if (!existsSync(p)) return false;
    const m = mine[basename(p)];
    if (m === undefined || dirname(resolve(p)) !== resolve(outDir)) return true;
    const st = statSync(p);
    return st.size !== m.size || st.mtimeMs !== m.mtimeMs;
  });
}

/** Records `paths` (files just written in `outDir`) as rdbscope's own. */
export function writeManifest(outDir: string, paths: readonly string[]): void {
  const files: Manifest = {};
  for (const p of paths) {
    const st = statSync(p);
    files[basename(p)] = { size: st.size, mtimeMs: st.mtimeMs };
  }
  writeFileSync(join(outDir, MANIFEST_FILE), JSON.stringify({ tool: 'rdbscope', files }, null, 1) + '\n');
}

export interface WriteOptions {
  /** Replace existing files. */
  force?: boolean;
  /** Replace key names by `pattern#hash` (the report is redacted first). */
  redact?: boolean;
  markdown?: MarkdownOptions;
  /** metrics.prom: extra labels (after the report's own) and the namespace cap. */
  metrics?: OpenMetricsOptions & { labels?: Record<string, string> };
}

/** Runs `create` for the new file `path`, reporting an existing one as OutputExistsError. */
function creating<T>(path: string, create: () => T): T {
  try {
    return create();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new OutputExistsError([path]);
    throw e;
  }
}

function writeNew(path: string, data: string, force: boolean): void {
  creating(path, () => writeFileSync(path, data, { flag: force ? 'w' : 'wx' }));
}

/**
 * Writes `data` to a temporary name beside `path` and renames it there: whoever reads `path`
 * (node_exporter's textfile collector) sees the old file or the new one, never a part. The
 * temporary name does not end in `.prom`, so the collector ignores it.
 */
export function writeAtomically(path: string, data: string, force: boolean): void {
  if (!force) checkOutputs([path], false);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Creates the output directory and its missing parents one level at a time, with one readable
 * error when that cannot be done (a file in the way, a read-only or virtual file system):
 * node's recursive mkdir can spin forever under /proc.
 */
export function ensureDir(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); ; ) {
    let isDir: boolean;
    try {
      isDir = statSync(d).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${dir}: cannot use it as the output directory (${(e as Error).message})`);
      missing.push(d);
      const up = dirname(d);
      if (up === d) break;
      d = up;
      continue;
    }
    if (!isDir) throw new Error(`${dir}: ${d === resolve(dir) ? 'exists and is' : `${d} is`} not a directory`);
    break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      // Another run creating the same parent at the same time (shards analysed in parallel into reports/…).
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw new Error(`${dir}: cannot create the output directory (${(e as Error).message})`);
    }
  }
}

/** Writes report.json / namespaces.csv / report.md / report.html as chosen; returns the paths written. */
export function writeReports(report: Report, outDir: string, formats: readonly ReportFormat[], opts: WriteOptions = {}): string[] {
  const force = opts.force === true;
  const r = opts.redact === true ? redactReport(report) : report;
  ensureDir(outDir);
  const jobs: [string, () => string][] = [];
  if (formats.includes('json')) jobs.push([join(outDir, REPORT_FILES.json), () => reportToJson(r)]);
  if (formats.includes('csv')) jobs.push([join(outDir, REPORT_FILES.namespacesCsv), () => namespacesCsv(r)]);
  if (formats.includes('md')) jobs.push([join(outDir, REPORT_FILES.md), () => reportToMarkdown(r, opts.markdown)]);
  if (formats.includes('html')) jobs.push([join(outDir, REPORT_FILES.html), () => reportToHtml(r)]);
  const metricsPath = join(outDir, REPORT_FILES.openmetrics);
  if (formats.includes('openmetrics')) jobs.push([metricsPath, () => openMetricsText(r, opts.metrics?.labels, opts.metrics)]);
  checkOutputs(
    jobs.map(([p]) => p),
    force,
  );
  for (const [p, make] of jobs) {
    if (p === metricsPath) writeAtomically(p, make(), force);
    else writeNew(p, make(), force);
  }
  return jobs.map(([p]) => p);
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));
const CHUNK = 1 << 20;

/**
 * Buffers rows and writes them to a file descriptor in ~1 MB chunks with writeSync. Rows are
 * either strings (`write`) or encoded straight into `sink` followed by `committed()`.
 */

export class LineWriter {
  readonly sink: ByteSink;
  /** Lines written (including a header). */
  lines = 0;

  constructor(
    readonly fd: number,
    private readonly closeFd: boolean,
  ) {
    this.sink = new ByteSink(CHUNK + (1 << 16));
  }

  /** Opens `path` for writing (`wx` unless `force`). */
  static open(path: string, force = false): LineWriter {
    return new LineWriter(creating(path, () => openSync(path, force ? 'w' : 'wx')), true);
  }

  write(line: string): void {
    this.sink.text(line);
    this.committed();
  }

  /** Counts a line encoded into `sink` and flushes when a chunk is full. */
  committed(): void {
    this.lines++;
    if (this.sink.pos >= CHUNK) this.flush();
  }

  /** Writes `lines` complete lines encoded elsewhere (CsvRowStage's pieces) after what is buffered. */
  put(bytes: Uint8Array, lines: number): void {
    this.flush();
    this.writeAll(bytes, bytes.length);
    this.lines += lines;
  }

  flush(): void {
    const s = this.sink;
    this.writeAll(s.buf, s.pos);
    s.reset();
  }

  private writeAll(buf: Uint8Array, n: number): void {
    let off = 0;
    while (off < n) {
      try {
        off += writeSync(this.fd, buf, off, n - off);
      } catch (e) {
        // A non-blocking pipe (stdout) that is full: wait a moment and try again.
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        Atomics.wait(PAUSE, 0, 0, 2);
      }
    }
  }

  close(): void {
    this.flush();
    if (this.closeFd) closeSync(this.fd);
  }
}

export interface KeysWriterOptions {
  force?: boolean;
  redactor?: KeyRedactor | null;
  /** Write the CSV header first (default); off when another writer of the output did. */
  header?: boolean;
}

/** keys.csv as the parse goes: `write(rec)` per key, `flush()` or `close()` at the end. */
export class KeysCsvWriter {
  private readonly redactor: KeyRedactor | null;
  /** Common rows in WebAssembly (redacted rows are all written in JS). */
  private readonly stage: CsvRowStage | null;

  constructor(
    private readonly out: LineWriter,
    opts: KeysWriterOptions = {},
  ) {
    this.redactor = opts.redactor ?? null;
    this.stage = this.redactor === null ? new CsvRowStage(csvField) : null;
    if (opts.header !== false) out.write(keysCsvHeader());
  }

  static open(path: string, opts: KeysWriterOptions = {}): KeysCsvWriter {
    return new KeysCsvWriter(LineWriter.open(path, opts.force === true), opts);
  }

  write(rec: KeyRecord): void {
    const stage = this.stage;
    if (stage !== null) {
      if (stage.add(rec, this.out)) return;
      stage.drain(this.out);
    }
    writeKeysCsvRow(this.out.sink, rec, this.redactor);
    this.out.committed();
  }

  /** Rows written (the header excluded). */
  get rows(): number {
    return this.out.lines - 1 + (this.stage?.staged ?? 0);
  }

  flush(): void {
    this.stage?.drain(this.out);
    this.out.flush();
  }

  close(): void {
    this.stage?.drain(this.out);
    this.out.close();
  }
}

/** The JSONL counterpart of KeysCsvWriter (no header). */
export class KeysJsonlWriter {
  private readonly redactor: KeyRedactor | null;

  constructor(
    private readonly out: LineWriter,
    opts: KeysWriterOptions = {},
  ) {
    this.redactor = opts.redactor ?? null;
  }

  write(rec: KeyRecord): void {
    writeKeyJsonl(this.out.sink, rec, this.redactor);
    this.out.committed();
  }

  flush(): void {
    this.out.flush();
  }
}
