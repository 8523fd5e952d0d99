/** Per-command work on each key: in the parse worker, or for keys/analyze in the consumer worker. */
import type { FileInfo, KeyRecord, RedisType, ValueVisitor } from '../core/types.ts';
import type { InstanceEstimate } from '../memory/instance.ts';
import { CanonicalCollector, canonicalBytes } from '../dump/canonical.ts';
import { vectorsetValue } from '../dump/vectorset.ts';
import { Aggregator } from '../analyze/aggregate.ts';
import { Glob } from '../analyze/glob.ts';
import { KeysCsvWriter, KeysJsonlWriter, LineWriter } from '../report/write.ts';
import { KeyRedactor } from '../analyze/redact.ts';
import type { RingWriter } from './record-ring.ts';
import type { Job, JobError, KeyFilterSpec } from './job.ts';
import type { Report } from '../analyze/schema.ts';

export interface Handler {
  visitor?: ValueVisitor;
  onHeader?: (info: FileInfo) => void;
  onKey: (rec: KeyRecord) => void;
  /** Flush output and return what the job hands back besides the FileInfo (analyze: the file's report). */
  finish(info: FileInfo, instance: InstanceEstimate | null, error: JobError | null): Report | undefined;
}

/** report/keys-parquet.ts, loaded by the caller only when Parquet rows are asked for. */
export type ParquetModule = typeof import('../report/keys-parquet.ts');

/** Per-key rows as the job asks: write(rec) per key, flush() at the end. */
interface RowWriter {
  begin?(name: string, info: FileInfo): void;
  write(rec: KeyRecord): void;
  flush(): void;
}

export function makeHandler(job: Job, parquet: ParquetModule | null = null): Handler {
  const out = job.outFd >= 0 && job.rows !== 'parquet' ? new LineWriter(job.outFd, false) : null;
  const rows = job.outFd >= 0 && job.rows !== null ? rowWriter(job, out, parquet) : null;
  switch (job.kind) {
    case 'dump':
      return dumpHandler(out!);
    case 'keys':
      return keysHandler(job, rows!);
    case 'analyze':
      return analyzeHandler(job, rows);
    default:
      return { onKey() {}, finish: () => undefined };
  }
}

/** Parse side of a split job: records go to the consumer worker (consumer.ts), which runs makeHandler. */
export function ringHandler(w: RingWriter): Handler {
  return {
    onHeader: (info) => w.info(info),
    onKey: (rec) => w.key(rec),
    finish(info, instance, error) {
      w.end({ info, instance, error });
      return undefined;
    },
  };
}

/** `dump`: one canonical JSON object per key (docs/truth-format.md, section 3). */
function dumpHandler(out: LineWriter): Handler {
  const col = new CanonicalCollector();
  return {
    visitor: col,
    onKey(rec) {
      const key = canonicalBytes(rec.key, 0, rec.keyLength);
      const { value, fieldExpire } = col.take();
      const o: Record<string, unknown> = { db: rec.db };
      if (typeof key === 'string') o.key = key;
      else o.key_b64 = key.b64;
      o.type = rec.type;
      o.encoding = rec.encoding;
      o.expire_at_ms = rec.expireAtMs < 0 ? null : rec.expireAtMs;
      o.length = rec.length;
      // Both figures when the memory model ran: MEMORY USAGE, and what a DEL would free.
      if (rec.memoryBytes > 0) {
        o.memory_bytes = rec.memoryBytes;
        o.real_bytes = rec.realBytes;
      }
      if (rec.type === 'module') {
        o.module = rec.module;
        if (rec.module === 'vectorset' && rec.vectorset) o.value = vectorsetValue(rec.vectorset);
      } else o.value = value;
      if (fieldExpire) o.field_expire_at_ms = fieldExpire;
      const idmp = col.takeIdmp();
      if (idmp) o.stream_idmp = idmp;
      if (rec.lfuFreq >= 0) o.lfu_freq = rec.lfuFreq;
      if (rec.idleS >= 0) o.lru_idle_s = rec.idleS;
      out.write(JSON.stringify(o) + '\n');
    },
    finish() {
      out.flush();
      return undefined;
    },
  };
}

/** `--db`, `--type`, `--match`, `--min-bytes`. */
export function keyFilter(spec: KeyFilterSpec | null): ((rec: KeyRecord) => boolean) | null {
  if (!spec) return null;
  const dbs = spec.dbs ? new Set(spec.dbs) : null;
  const types = spec.types ? new Set(spec.types as RedisType[]) : null;
  const glob = spec.match !== null ? new Glob(spec.match) : null;
  const min = spec.minBytes;
  if (!dbs && !types && !glob && min <= 0) return null;
  return (rec) =>
    (dbs === null || dbs.has(rec.db)) &&
    (types === null || types.has(rec.type)) &&
    rec.memoryBytes >= min &&
    (glob === null || glob.match(rec.key, 0, rec.keyLength));
}

/** Per-key rows (CSV, JSONL or Parquet) into the job's output; the CSV header is written by the caller. */
function rowWriter(job: Job, out: LineWriter | null, parquet: ParquetModule | null): RowWriter {
  const redactor = job.redact ? new KeyRedactor(job.analyze ?? undefined) : null;
  if (job.rows === 'parquet') {
    if (!parquet) throw new Error('Parquet rows without the Parquet writer');
    return new parquet.KeysParquetWriter(job.outFd, { labels: job.labels ?? {}, redactor, namespace: job.analyze ?? undefined });
  }
  return job.rows === 'jsonl' ? new KeysJsonlWriter(out!, { redactor }) : new KeysCsvWriter(out!, { redactor, header: false });
}

function keysHandler(job: Job, rows: RowWriter): Handler {
  const pass = keyFilter(job.filter);
  return {
    onHeader: rows.begin ? (info) => rows.begin!(job.file, info) : undefined,
    onKey: pass ? (rec) => pass(rec) && rows.write(rec) : (rec) => rows.write(rec),
    finish(info) {
      rows.begin?.(job.file, info);
      rows.flush();
      return undefined;
    },
  };
}

/** `analyze`: the file's aggregate, plus keys.csv rows when asked. */
function analyzeHandler(job: Job, rows: RowWriter | null): Handler {
  const agg = new Aggregator(job.analyze ?? {});
  return {
    onHeader: (info) => {
      agg.beginFile(job.file, info);
      rows?.begin?.(job.file, info);
    },
    onKey: rows
      ? (rec) => {
          agg.add(rec);
          rows.write(rec);
        }
      : (rec) => agg.add(rec),
    finish(info, instance) {
      rows?.begin?.(job.file, info);
      rows?.flush();
      agg.addFile(
        info,
        job.file,
        instance?.usedMemory ?? null,
        instance
          ? { server: instance.server, allocator: instance.allocator, tablesBytes: instance.tablesBytes, startupBytes: instance.startupBytes }
          : null,
      );
      return agg.toReport();
    },
  };
}
