/**
 * keys.parquet and namespaces.parquet: the per-key rows and the namespace list as typed,
 * Snappy-compressed Parquet for DuckDB, Spark, Trino, Athena, BigQuery or ClickHouse.
 *
 * Loaded only when Parquet output is asked for (dynamic import), so other runs do not pay
 * for the writer (hyparquet-writer: pure JavaScript, synchronous, one row group at a time).
 *
 * keys.parquet columns, one row per key:
 *   db INT32; key STRING (null when the key is not valid UTF-8); key_b64 STRING (the key's
 *   bytes in base64 when `key` is null, else null); type, encoding STRING (dictionary-encoded);
 *   memory_usage INT64 (MEMORY USAGE as estimated); real_bytes INT64 (what a DEL would free);
 *   length INT64; largest_element INT64 (null when unknown); expire_at TIMESTAMP (ms, UTC;
 *   null without TTL); key_pattern STRING (the key's pattern by the namespace rules 1–4 of
 *   analyze/namespace.ts, a function of the key alone and so the same in every shard; the
 *   report's namespaces may fold such patterns further, by evidence from the other keys:
 *   namespaces.parquet has those);
 *   then the snapshot's identity, the same on every row of a file: snapshot_id, source_file,
 *   server (redis/valkey), server_version, saved_at TIMESTAMP (aux ctime, or null), and one
 *   STRING column `label_<name>` per `--label name=value`.
 * namespaces.parquet: one row per entry of report.json's `namespaces` (pattern, keys, bytes,
 * ttl_keys, no_ttl_keys, no_ttl_bytes, largest_key, largest_key_bytes) with the same identity
 * columns.
 * With a redactor, `key` is `pattern#hash`, `key_b64` is null and `key_pattern` the strict pattern.
 */
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { basename } from 'node:path';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { FileInfo, KeyRecord } from '../core/types.ts';
import { isValidUtf8, toBase64 } from '../core/keyname.ts';
import { Segmenter, type NamespaceOptions } from '../analyze/namespace.ts';
import type { KeyRedactor } from '../analyze/redact.ts';
import type { FileSection, Report } from '../analyze/schema.ts';

type Schema = ConstructorParameters<typeof ParquetWriter>[0]['schema'];
type Element = Schema[number];
type Columns = Parameters<ParquetWriter['write']>[0]['columnData'];

/** Rows per row group: what is held in memory before it is encoded and written. */
export const ROW_GROUP = 16384;

/** What identifies a snapshot on every row, so files of many shards can be queried together. */
export interface SnapshotIdentity {
  snapshotId: string;
  sourceFile: string;
  server: string;
  serverVersion: string;
  savedAtMs: number | null;
  labels: Record<string, string>;
}

/**
 * A stable id for one saved snapshot: sha-256 (first 16 hex digits) over the file's base name
 * and its aux fields (ctime, used-mem, repl-id, repl-offset … change with every save), the
 * same whether computed from the parse (FileInfo) or from the report (FileSection).
 */
export function snapshotId(name: string, aux: Record<string, string>): string {
  const h = createHash('sha256').update(basename(name));
  for (const k of Object.keys(aux).sort()) h.update(`\0${k}=${aux[k]}`);
  return h.digest('hex').slice(0, 16);
}

export function identityOfInfo(name: string, info: FileInfo, labels: Record<string, string>): SnapshotIdentity {
  const ctime = Number(info.aux.ctime);
  return {
    snapshotId: snapshotId(name, info.aux),
    sourceFile: basename(name),
    server: info.producer,
    serverVersion: info.producerVersion,
    savedAtMs: info.aux.ctime !== undefined && Number.isFinite(ctime) ? ctime * 1000 : null,
    labels,
  };
}

export function identityOfFile(f: FileSection, labels: Record<string, string>): SnapshotIdentity {
  return { snapshotId: snapshotId(f.name, f.aux), sourceFile: basename(f.name), server: f.producer, serverVersion: f.producerVersion, savedAtMs: f.savedAtMs, labels };
}

const str = (name: string, optional = false): Element => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: optional ? 'OPTIONAL' : 'REQUIRED' });
const i64 = (name: string, optional = false): Element => ({ name, type: 'INT64', repetition_type: optional ? 'OPTIONAL' : 'REQUIRED' });
const time = (name: string): Element => ({ name, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'OPTIONAL' });

function identitySchema(labels: Record<string, string>): Element[] {
  return [str('snapshot_id'), str('source_file'), str('server'), str('server_version'), time('saved_at'), ...Object.keys(labels).map((k) => str(`label_${k}`))];
}

function identityColumns(id: SnapshotIdentity, n: number): Columns {
  const fill = <T>(v: T): T[] => new Array<T>(n).fill(v);
  // One value per file: a one-entry dictionary (min/max kept, so engines skip other shards' files).
  const o = { encoding: 'RLE_DICTIONARY', statistics: true } as const;
  return [
    { name: 'snapshot_id', data: fill(id.snapshotId), ...o },
    { name: 'source_file', data: fill(id.sourceFile), ...o },
    { name: 'server', data: fill(id.server), ...o },
    { name: 'server_version', data: fill(id.serverVersion), ...o },
    { name: 'saved_at', data: fill(id.savedAtMs), ...o },
    ...Object.entries(id.labels).map(([k, v]) => ({ name: `label_${k}`, data: fill(v), ...o })),
  ];
}

/** hyparquet-writer's byte writer, emptied into `fd` after every row group. */
class FdWriter extends ByteWriter {
  constructor(private readonly fd: number) {
    super(1 << 20);
  }

  flush(): void {
    const b = new Uint8Array(this.buffer, 0, this.index);
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
    this.index = 0;
  }

  override finish(): void {
    this.flush();
  }
}

function schemaOf(fields: Element[]): Schema {
  return [{ name: 'root', num_children: fields.length }, ...fields];
}

const CREATED_BY = 'rdbscope (hyparquet-writer)';

export interface KeysParquetOptions {
  labels: Record<string, string>;
  redactor?: KeyRedactor | null;
  namespace?: NamespaceOptions;
}

/**
 * keys.parquet as the parse goes: `begin(name, info)` once the header is read, `write(rec)` per
 * key, `flush()` at the end (writes the footer). At most ROW_GROUP rows are held at a time.
 */
export class KeysParquetWriter {
  private writer: ParquetWriter | null = null;
  private id: SnapshotIdentity | null = null;
  private readonly seg: Segmenter;
  private readonly redactor: KeyRedactor | null;
  private n = 0;
  private db = new Int32Array(ROW_GROUP);
  private key: (Uint8Array | string | null)[] = new Array(ROW_GROUP);
  /** The row group's key bytes, back to back (`key` holds views into it): one allocation, not one per key. */
  private arena = new Uint8Array(1 << 20);
  private arenaPos = 0;
  private keyB64: (string | null)[] = new Array(ROW_GROUP);
  private type: string[] = new Array(ROW_GROUP);
  private encoding: string[] = new Array(ROW_GROUP);
  private memory = new BigInt64Array(ROW_GROUP);
  private real = new BigInt64Array(ROW_GROUP);
  private length = new BigInt64Array(ROW_GROUP);
  private largest: (bigint | null)[] = new Array(ROW_GROUP);
  private expire: (number | null)[] = new Array(ROW_GROUP);
  private ns: string[] = new Array(ROW_GROUP);

  constructor(
    private readonly fd: number,
    private readonly opts: KeysParquetOptions,
  ) {
    this.seg = new Segmenter(opts.namespace);
    this.redactor = opts.redactor ?? null;
  }

  /** The snapshot's identity, from the header (or, for a file without keys, at its end). */
  begin(name: string, info: FileInfo): void {
    if (this.writer === null) this.id = identityOfInfo(name, info, this.opts.labels);
  }

  write(rec: KeyRecord): void {
    const i = this.n;
    const b = rec.key;
    const e = rec.keyLength;
    this.db[i] = rec.db;
    if (this.redactor) {
      this.key[i] = this.redactor.redact(b, 0, e);
      this.keyB64[i] = null;
      this.ns[i] = this.redactor.pattern(b, 0, e);
    } else {
      const ok = isValidUtf8(b, 0, e);
      // The parser reuses rec.key: keep a copy.
      this.key[i] = ok ? this.copy(b, e) : null;
      this.keyB64[i] = ok ? null : toBase64(b, 0, e);
      this.ns[i] = this.seg.pattern(b, 0, e);
    }
    this.type[i] = rec.type;
    this.encoding[i] = rec.encoding;
    this.memory[i] = BigInt(rec.memoryBytes);
    this.real[i] = BigInt(rec.realBytes);
    this.length[i] = BigInt(rec.length);
    this.largest[i] = rec.largestElement < 0 ? null : BigInt(rec.largestElement);
    this.expire[i] = rec.expireAtMs < 0 ? null : rec.expireAtMs;
    if (++this.n === ROW_GROUP) this.group();
  }

  private copy(b: Uint8Array, e: number): Uint8Array {
    if (this.arenaPos + e > this.arena.length) {
      // Views already taken keep the old arena alive until the group is written.
      this.arena = new Uint8Array(Math.max(this.arena.length, e));
      this.arenaPos = 0;
    }
    const at = this.arenaPos;
    this.arena.set(b.subarray(0, e), at);
    this.arenaPos += e;
    return this.arena.subarray(at, at + e);
  }

  private open(): ParquetWriter {
    if (this.writer) return this.writer;
    const id = (this.id ??= { snapshotId: '', sourceFile: '', server: 'unknown', serverVersion: '', savedAtMs: null, labels: this.opts.labels });
    const fields: Element[] = [
      { name: 'db', type: 'INT32', repetition_type: 'REQUIRED' },
      str('key', true),
      str('key_b64', true),
      str('type'),
      str('encoding'),
      i64('memory_usage'),
      i64('real_bytes'),
      i64('length'),
      i64('largest_element', true),
      time('expire_at'),
      str('key_pattern'),
      ...identitySchema(id.labels),
    ];
    // Min/max statistics only on the identity columns (set there): they let engines skip other
    // shards' files; on per-key columns they cost a tenth of the encoding and skip little.
    this.writer = new ParquetWriter({ writer: new FdWriter(this.fd), schema: schemaOf(fields), createdBy: CREATED_BY, statistics: false });
    return this.writer;
  }

  /** Encodes and writes the rows held (one row group). */
  private group(): void {
    const n = this.n;
    const w = this.open();
    const part = <T>(a: T[]): T[] => (n === ROW_GROUP ? a : a.slice(0, n));
    w.write({
      rowGroupSize: n,
      columnData: [
        { name: 'db', data: this.db.subarray(0, n) },
        // Keys are (nearly) all distinct: no dictionary to try, no min/max worth comparing.
        { name: 'key', data: part(this.key), encoding: 'PLAIN' },
        { name: 'key_b64', data: part(this.keyB64), encoding: 'PLAIN' },
        { name: 'type', data: part(this.type), encoding: 'RLE_DICTIONARY' },
        { name: 'encoding', data: part(this.encoding), encoding: 'RLE_DICTIONARY' },
        { name: 'memory_usage', data: this.memory.subarray(0, n) },
        { name: 'real_bytes', data: this.real.subarray(0, n) },
        { name: 'length', data: this.length.subarray(0, n) },
        { name: 'largest_element', data: part(this.largest) },
        { name: 'expire_at', data: part(this.expire) },
        { name: 'key_pattern', data: part(this.ns), encoding: 'RLE_DICTIONARY' },
        ...identityColumns(this.id!, n),
      ],
    });
    this.n = 0;
    this.arenaPos = 0;
  }

  /** Writes the rows still held and the footer (a file without keys has no row group). */
  flush(): void {
    if (this.n > 0) this.group();
    this.open().finish();
  }
}

/** namespaces.parquet for a one-file report (the namespace list of `report`). */
export function writeNamespacesParquet(fd: number, report: Report, labels: Record<string, string>): void {
  const f = report.files[0];
  const id = f ? identityOfFile(f, labels) : { snapshotId: '', sourceFile: '', server: 'unknown', serverVersion: '', savedAtMs: null, labels };
  const fields: Element[] = [
    str('pattern'),
    i64('keys'),
    i64('bytes'),
    i64('ttl_keys'),
    i64('no_ttl_keys'),
    i64('no_ttl_bytes'),
    str('largest_key', true),
    i64('largest_key_bytes', true),
    ...identitySchema(labels),
  ];
  const w = new ParquetWriter({ writer: new FdWriter(fd), schema: schemaOf(fields), createdBy: CREATED_BY });
  const list = report.namespaces;
  for (let s = 0; s < list.length; s += ROW_GROUP) {
    const rows = list.slice(s, s + ROW_GROUP);
    const big = (f: (x: (typeof rows)[number]) => number) => BigInt64Array.from(rows, (x) => BigInt(f(x)));
    w.write({
      rowGroupSize: rows.length,
      columnData: [
        { name: 'pattern', data: rows.map((x) => x.pattern) },
        { name: 'keys', data: big((x) => x.keys) },
        { name: 'bytes', data: big((x) => x.bytes) },
        { name: 'ttl_keys', data: big((x) => x.ttlKeys) },
        { name: 'no_ttl_keys', data: big((x) => x.noTtlKeys) },
        { name: 'no_ttl_bytes', data: big((x) => x.noTtlBytes) },
        { name: 'largest_key', data: rows.map((x) => x.largest?.key ?? null) },
        { name: 'largest_key_bytes', data: rows.map((x) => (x.largest ? BigInt(x.largest.bytes) : null)) },
        ...identityColumns(id, rows.length),
      ],
    });
  }
  w.finish();
}
