/**
 * Key records from the scan worker to the caller's thread, packed into batches whose buffers
 * are transferred (not copied) with postMessage: a record costs a few stores, not a
 * structured clone. The slots are record-layout.ts's, shared with the CLI's record ring.
 */
import type { KeyRecord } from '../core/types.ts';
import { keyBuffer } from '../core/keycopy.ts';
import { RECORD_NAME_CODES, RECORD_NUMBERS_MAX, RECORD_WORDS, getRecord, putNames, putRecord, recordExtra, recordNumbers, setRecordExtra, type RecordExtra } from '../run/record-layout.ts';

export interface RecordBatch {
  count: number;
  /** RECORD_WORDS words per record (names as codes into `strings`). */
  words: Int32Array;
  /** The records' numbers back to back (the words say how many each). */
  nums: Float64Array;
  strings: string[];
  /** The keys' bytes back to back (each record's `keyLength` says how many). */
  keys: Uint8Array;
  /** [record index, object] for the records with an extra object (recordExtra), in order. */
  extras: [number, RecordExtra][];
}

/** Records per batch, and key bytes after which a batch goes early. */
const BATCH_RECORDS = 2048;
const BATCH_KEY_BYTES = 1 << 20;

/** Worker side: `add` every record, `flush` at the end; `send` gets each full batch and its transferables. */
export class BatchWriter {
  private readonly codeOf = (s: string) => this.code(s);
  private count = 0;
  private words = new Int32Array(BATCH_RECORDS * RECORD_WORDS);
  private nums = new Float64Array(BATCH_RECORDS * RECORD_NUMBERS_MAX);
  private numCount = 0;
  private strings: string[] = [];
  private readonly stringCodes = new Map<string, number>();
  private keys = new Uint8Array(64 << 10);
  private keyBytes = 0;
  private extras: [number, RecordExtra][] = [];

  constructor(private readonly send: (batch: RecordBatch, transfer: ArrayBuffer[]) => void) {}

  add(rec: KeyRecord): void {
    const i = this.count;
    putNames(rec, this.words, i * RECORD_WORDS, this.codeOf);
    this.numCount += putRecord(rec, this.words, i * RECORD_WORDS, this.nums, this.numCount);
    const extra = recordExtra(rec);
    // Cloned now: the parser may reuse the object for the next key before the batch goes.
    if (extra !== null) this.extras.push([i, structuredClone(extra)]);
    const n = rec.keyLength;
    if (this.keyBytes + n > this.keys.length) {
      const grown = new Uint8Array(Math.max(this.keys.length * 2, this.keyBytes + n));
      grown.set(this.keys.subarray(0, this.keyBytes));
      this.keys = grown;
    }
    this.keys.set(rec.key.subarray(0, n), this.keyBytes);
    this.keyBytes += n;
    this.count = i + 1;
    // Codes stay below RECORD_NAME_CODES: a record adds at most three names.
    if (this.count === BATCH_RECORDS || this.keyBytes >= BATCH_KEY_BYTES || this.strings.length > RECORD_NAME_CODES - 3) this.flush();
  }

  flush(): void {
    if (this.count === 0) return;
    const words = this.words.slice(0, this.count * RECORD_WORDS);
    const nums = this.nums.slice(0, this.numCount);
    const keys = this.keys.slice(0, this.keyBytes);
    const batch: RecordBatch = { count: this.count, words, nums, strings: this.strings, keys, extras: this.extras };
    this.count = 0;
    this.numCount = 0;
    this.strings = [];
    this.stringCodes.clear();
    this.keyBytes = 0;
    this.extras = [];
    this.send(batch, [words.buffer, nums.buffer, keys.buffer]);
  }

  private code(s: string): number {
    let c = this.stringCodes.get(s);
    if (c === undefined) {
      c = this.strings.push(s) - 1;
      this.stringCodes.set(s, c);
    }
    return c;
  }
}

/** Caller side: `load` each batch, then `next` fills one reused record with its records in turn. */
export class BatchReader {
  private b: RecordBatch | null = null;
  private i = 0;
  private keyPos = 0;
  private numPos = 0;
  private nextExtra = 0;

  load(batch: RecordBatch): void {
    this.b = batch;
    this.i = 0;
    this.keyPos = 0;
    this.numPos = 0;
    this.nextExtra = 0;
  }

  /** Fills `rec` with the next record; false when the batch is done. `rec.key` grows as needed. */
  next(rec: KeyRecord): boolean {
    const b = this.b!;
    const i = this.i;
    if (i >= b.count) return false;
    const q = i * RECORD_WORDS;
    if (getRecord(rec, b.words, q, b.nums, this.numPos, b.strings)) setRecordExtra(rec, b.extras[this.nextExtra++]![1]);
    this.numPos += recordNumbers(b.words, q);
    const n = rec.keyLength;
    if (rec.key.length < n) rec.key = keyBuffer(Math.max(n, rec.key.length * 2));
    rec.key.set(b.keys.subarray(this.keyPos, this.keyPos + n));
    this.keyPos += n;
    this.i = i + 1;
    return true;
  }
}
