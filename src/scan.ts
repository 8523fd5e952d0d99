/**
 * The library entry point: parse one RDB from a chunk source, with the memory model attached
 * when asked, and hand every key record to the caller.
 */
import type { ChunkSource } from './input/source.ts';
import type { FileInfo, KeyRecord, ValueVisitor } from './types.ts';
import { RdbParser } from './format/parser.ts';
import { TeeVisitor } from './format/tee.ts';
import type { ServerVersion } from './format/version.ts';
import { MemoryModel } from './memory/model.ts';
import type { AllocatorProfile } from './memory/allocator.ts';
import { InstanceAccumulator, type InstanceEstimate } from './memory/instance.ts';

export interface ScanOptions {
  /** Name used in error messages. */
  file?: string;
  /** Estimate MEMORY USAGE per key (`rec.memoryBytes`). Default: on, bundled jemalloc, the file's version. */
  memory?: false | { allocator?: AllocatorProfile; version?: ServerVersion | null };
  /** Hand every value's bytes to `visitor` (needed to materialize values). */
  values?: boolean;
  /** Decompress and walk every structure even when nothing needs it (`check`). */
  validate?: boolean;
  /** Extra element-level consumer, e.g. a CanonicalCollector. */
  visitor?: ValueVisitor;
  onHeader?: (info: FileInfo) => void;
  onKey?: (rec: KeyRecord) => void;
  checksumMismatch?: 'throw' | 'record';
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

  constructor(src: ChunkSource, opts: ScanOptions = {}) {
    const mem = opts.memory === false ? null : (opts.memory ?? {});
    this.allocator = mem ? (mem.allocator ?? 'jemalloc') : null;
    const model = mem ? new MemoryModel({ allocator: this.allocator!, version: mem.version ?? null }) : null;
    this.model = model;
    let visitor: ValueVisitor | undefined = model ?? opts.visitor;
    if (model && opts.visitor) visitor = new TeeVisitor(model, opts.visitor);
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
          this.instance = new InstanceAccumulator(model.v, this.allocator!);
        }
        opts.onHeader?.(info);
      },
      // The keys read so far stay counted; what follows is estimated for the stated version.
      onVersion: model
        ? () => {
            model.useVersion(this.parser.version);
            this.instance!.version = model.v;
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
      modelVersion: this.model?.v ?? 0,
      allocator: this.allocator,
      instance: this.instanceSoFar(),
    };
  }
}

export function scan(src: ChunkSource, opts: ScanOptions = {}): ScanResult {
  return new Scan(src, opts).run();
}
