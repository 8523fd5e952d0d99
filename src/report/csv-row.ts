/**
 * keys.csv rows for the common key, written by WebAssembly (csv-row.wat) into a staging area
 * of its memory and handed to the LineWriter in large pieces. Digits, dates and the key's
 * checks in JS were most of a row's ~190 ns and the consumer thread of `analyze` is one of
 * its two busy threads. A row the module declines (see csv-row.wat) leaves nothing staged,
 * and the caller writes it with writeKeysCsvRow after draining what is staged, so rows stay
 * in order and byte for byte what writeKeysCsvRow writes.
 */
import { CSV_ROW_WASM } from './csv-row-wasm.ts';
import { KeyCopier } from '../core/keycopy.ts';
import type { KeyRecord } from '../core/types.ts';
import { FieldCache } from './sink.ts';

/** What the stage hands its rows to (LineWriter.put). */
export interface RowSink {
  put(bytes: Uint8Array, lines: number): void;
}

interface RowExports {
  memory: WebAssembly.Memory;
  row(p: number, n: number, db: number, type: number, enc: number, size: number, len: number, largest: number, exp: number, usage: number): number;
}

const MODULE = new WebAssembly.Module(Buffer.from(CSV_ROW_WASM, 'base64'));
/** Memory layout, as csv-row.wat documents it. */
const PAIRS = 0;
const POW10 = 256;
/** One slot of 32 bytes per FieldCache slot (FieldCache.SLOTS = 64). */
const FIELDS = 1024;
const FIELD_MAX = 31;
const SCRATCH = 4096;
const KEY_MAX = 4096;
const ROWS = 8192;
/** Staged bytes handed on past this; the memory has room for one more row (≤ ~4.4 KB) and slack. */
const ROWS_LIMIT = 256 << 10;

export class CsvRowStage {
  private readonly w: RowExports;
  private readonly heap: Uint8Array;
  private readonly copier = new KeyCopier();
  /** Type and encoding names; their FieldCache slots are the module's field slots. */
  private readonly fields: FieldCache;
  /** Per field slot: 0 not yet in the module, 1 copied there, 2 too long for it. */
  private readonly ready = new Uint8Array(FieldCache.SLOTS);
  private pos = ROWS;
  /** Rows staged and not yet handed on. */
  staged = 0;

  /** `field` renders a type or encoding name as its CSV field (csvField). */
  constructor(field: (name: string) => string) {
    this.fields = new FieldCache(field);
    this.w = new WebAssembly.Instance(MODULE).exports as unknown as RowExports;
    this.heap = new Uint8Array(this.w.memory.buffer);
    for (let i = 0; i < 100; i++) {
      this.heap[PAIRS + 2 * i] = 48 + Math.floor(i / 10);
      this.heap[PAIRS + 2 * i + 1] = 48 + (i % 10);
    }
    const pow = new BigUint64Array(this.w.memory.buffer, POW10, 20);
    for (let i = 0; i < 20; i++) pow[i] = 10n ** BigInt(i);
  }

  /** Stages `rec`'s row and returns true, or returns false with nothing staged. */
  add(rec: KeyRecord, out: RowSink): boolean {
    const n = rec.keyLength;
    if (n > KEY_MAX) return false;
    const type = this.slot(rec.type);
    const enc = this.slot(rec.encoding);
    if (type < 0 || enc < 0) return false;
    this.copier.copy(this.heap, SCRATCH, rec.key, 0, n);
    const p = this.w.row(this.pos, n, rec.db, type, enc, rec.realBytes, rec.length, rec.largestElement, rec.expireAtMs, rec.memoryBytes);
    if (p < 0) return false;
    this.pos = p;
    this.staged++;
    if (p >= ROWS + ROWS_LIMIT) this.drain(out);
    return true;
  }

  /** Hands the staged rows to `out`. */
  drain(out: RowSink): void {
    if (this.staged === 0) return;
    out.put(this.heap.subarray(ROWS, this.pos), this.staged);
    this.pos = ROWS;
    this.staged = 0;
  }

  /** The module's field slot for a type or encoding name, or -1 (its rows take the JS path). */
  private slot(name: string): number {
    const i = this.fields.index(name);
    if (i < 0) return -1;
    if (this.ready[i] === 0) {
      const bytes = this.fields.at(i);
      const fits = bytes.length <= FIELD_MAX;
      if (fits) {
        this.heap[FIELDS + 32 * i] = bytes.length;
        this.heap.set(bytes, FIELDS + 32 * i + 1);
      }
      this.ready[i] = fits ? 1 : 2;
    }
    return this.ready[i] === 1 ? i : -1;
  }
}
