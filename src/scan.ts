/**
 * One in-process parse of one RDB from a chunk source, with the memory model attached when
 * asked, handing every key record to the caller. The public entry is src/index.ts: `Scan`
 * and InternalScanOptions serve the CLI's workers and the tests.
 */
import { bufferSource, type ChunkSource } from './input/source.ts';
import type { FileInfo, KeyRecord, ValueVisitor } from './core/types.ts';
import { RdbParser } from './format/parser.ts';
import { TeeVisitor } from './format/tee.ts';
import { fillVisitor, type PartialVisitor } from './format/partial-visitor.ts';
import { versionFromOption, type ServerVersion } from './format/version.ts';
import { MemoryModel } from './memory/model.ts';
import type { AllocatorProfile } from './memory/allocator.ts';
import { InstanceAccumulator, type InstanceEstimate } from './memory/instance.ts';

/** How to model memory: the allocator, and the server version to account for (default: the file's). */
export interface MemoryOptions {
  /** Default 'jemalloc' (as Redis builds bundle it). */
  allocator?: AllocatorProfile;
  /** A version (`'7.4'`, `'valkey-8.1'`) or null for the one the file names. */
  version?: ServerVersion | string | null;
}

/** Options of every scan: what to compute and how to report a checksum mismatch. */
export interface ScanBaseOptions {
  /** Name used in error messages. */
  file?: string;
  /** Estimate MEMORY USAGE per key (`rec.memoryBytes`). Default: on, bundled jemalloc, the file's version. */
  memory?: false | MemoryOptions;
  /** Decompress and walk every structure even when nothing needs it (what `rdbscope check` does). */
  validate?: boolean;
  /** 'throw' (default): a CRC mismatch fails the scan; 'record': it only sets `info.checksum`. */
  checksumMismatch?: 'throw' | 'record';
  /** The file's header and aux fields, before the first key. */
  onHeader?: (info: FileInfo) => void;
}

export interface ScanOptions extends ScanBaseOptions {
  /** Every key, in file order. The record is reused for the next key: copy what you keep. */
  onKey?: (rec: KeyRecord) => void;
  /** Element-level events for each value (any subset of ValueVisitor's methods). */
  visitor?: PartialVisitor;
  /** Hand every value's bytes to `visitor` (needed to materialize values). */
  values?: boolean;
}

/** Options only the CLI's parse workers use. */
export interface InternalScanOptions extends ScanOptions {
  /** Leave CRC verification to the caller (FileInfo.checksum 'pending'; see RdbParser). */
  deferChecksum?: boolean;
}

export interface ScanResult {
  info: FileInfo;
  keys: number;
  /** The version whose memory accounting was modelled (e.g. 704), or 0 without a model. */
  modelVersion: number;
  allocator: AllocatorProfile | null;
  instance: InstanceEstimate | null;
}

/** A parser plus its model, ready to run; exposes progress while it runs. */
export class Scan {
  readonly parser: RdbParser;
  readonly model: MemoryModel | null;
  private instance: InstanceAccumulator | null = null;
  private readonly allocator: AllocatorProfile | null;

  constructor(src: ChunkSource, opts: InternalScanOptions = {}) {
    const mem = opts.memory === false ? null : (opts.memory ?? {});
    this.allocator = mem ? (mem.allocator ?? 'jemalloc') : null;
    const model = mem ? new MemoryModel({ allocator: this.allocator!, version: modelVersion(mem.version) }) : null;
    this.model = model;
    const extra = opts.visitor ? fillVisitor(opts.visitor) : undefined;
    let visitor: ValueVisitor | undefined = model ?? extra;
    if (model && extra) visitor = new TeeVisitor(model, extra);
    const onKey = opts.onKey;
    this.parser = new RdbParser(src, {
      file: opts.file,
      values: opts.values,
      validate: opts.validate,
      visitor,
      checksumMismatch: opts.checksumMismatch,
      deferChecksum: opts.deferChecksum,
      onHeader: (info) => {
        if (model) {
          model.useVersion(this.parser.version);
          this.instance = new InstanceAccumulator(model.release, this.allocator!, model.valkey);
        }
        opts.onHeader?.(info);
      },
      // The keys read so far stay counted; what follows is estimated for the stated version.
      onVersion: model
        ? () => {
            model.useVersion(this.parser.version);
            this.instance!.version = model.release;
            this.instance!.valkey = model.valkey;
          }
        : undefined,
      onKey: model
        ? (rec) => {
            this.instance!.add(rec, model.overhead);
            onKey?.(rec);
          }
        : onKey,
    });
  }

  /** The instance estimate over the keys read so far (for partial results). */
  instanceSoFar(): InstanceEstimate | null {
    return this.instance?.finish() ?? null;
  }

  run(): ScanResult {
    const info = this.parser.parse();
    return {
      info,
      keys: this.parser.keys,
      modelVersion: this.model?.release ?? 0,
      allocator: this.allocator,
      instance: this.instanceSoFar(),
    };
  }
}

/** A memory option's version as the model takes it. */
function modelVersion(v: ServerVersion | string | null | undefined): ServerVersion | null {
  if (typeof v !== 'string') return v ?? null;
  const parsed = versionFromOption(v);
  if (!parsed) throw new RangeError(`memory.version: expected a version like 7.4 or valkey-8.1, got ${JSON.stringify(v)}`);
  return parsed;
}

/**
 * Parses an RDB held in memory (or pulled synchronously from a ChunkSource) in this thread.
 * Plain RDB only: for files, compressed input and streams use scanFile / scanStream.
 */
export function scan(src: ChunkSource | Uint8Array, opts: ScanOptions = {}): ScanResult {
  const source = src instanceof Uint8Array ? bufferSource(src) : src;
  return new Scan(source, { ...opts, deferChecksum: false }).run();
}
