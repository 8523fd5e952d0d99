/**
 * Key records from the scan worker to the caller's thread, packed into batches whose buffers
 * are transferred (not copied) with postMessage: a record costs a few stores, not a
 * structured clone. Every field in FIELDS travels: those the first record holds as numbers
 * in `nums`, as strings as codes into `strings`, anything else (objects, optional fields)
 * structured-cloned in `others` when set.
 */
import type { KeyRecord } from '../types.ts';
import { keyBuffer } from '../format/keycopy.ts';

type Rec = Record<string, unknown>;

export interface BatchLayout {
  nums: string[];
  strs: string[];
  others: string[];
  /** What each `others` field holds when a record has nothing there (null or undefined). */
  empty: (null | undefined)[];
}

/**
 * Straight-line copies for one layout: a loop over field names would make every access a
 * keyed lookup (measured: 3x slower end to end). The names (from FIELDS) are JSON-quoted
 * into the code.
 */
interface Accessors {
  put(rec: Rec, nums: Float64Array, p: number, codes: Uint16Array, q: number, code: (s: string) => number): void;
  get(rec: Rec, nums: Float64Array, p: number, codes: Uint16Array, q: number, strings: string[]): void;
}

function compile(l: BatchLayout): Accessors {
  const f = (name: string) => `r[${JSON.stringify(name)}]`;
  const put = [...l.nums.map((n, i) => `n[p + ${i}] = ${f(n)};`), ...l.strs.map((n, i) => `c[q + ${i}] = code(${f(n)});`)].join('\n');
  const get = [...l.nums.map((n, i) => `${f(n)} = n[p + ${i}];`), ...l.strs.map((n, i) => `${f(n)} = s[c[q + ${i}]];`)].join('\n');
  return {
    put: new Function('r', 'n', 'p', 'c', 'q', 'code', put) as Accessors['put'],
    get: new Function('r', 'n', 'p', 'c', 'q', 's', get) as Accessors['get'],
  };
}

export interface RecordBatch {
  layout: BatchLayout;
  count: number;
  /** `layout.nums.length` numbers per record. */
  nums: Float64Array;
  /** `layout.strs.length` codes into `strings` per record. */
  codes: Uint16Array;
  strings: string[];
  /** The keys' bytes back to back (each record's `keyLength` says how many). */
  keys: Uint8Array;
  /** [record index, values of `layout.others`] for the records where any differs from `layout.empty`. */
  others: [number, unknown[]][];
}

/** Records per batch, and key bytes after which a batch goes early. */
const BATCH_RECORDS = 2048;
const BATCH_KEY_BYTES = 1 << 20;

/**
 * Every field of KeyRecord (the type makes a new field fail to compile here until listed):
 * optional ones may appear on the reused record only after the first key, so the first
 * record's own keys are not enough.
 */
const FIELDS: Record<keyof KeyRecord, true> = {
  db: true, key: true, keyLength: true, type: true, encoding: true, rdbType: true, expireAtMs: true, idleS: true,
  lfuFreq: true, length: true, largestElement: true, offset: true, valueFileBytes: true, memoryBytes: true,
  module: true, streamGroups: true, streamMaxPending: true, fieldsWithTtl: true, vectorset: true,
};

function layoutOf(rec: KeyRecord): BatchLayout {
  const l: BatchLayout = { nums: [], strs: [], others: [], empty: [] };
  const r = rec as unknown as Rec;
  for (const k of Object.keys(FIELDS)) {
    if (k === 'key') continue;
    const v = r[k];
    if (typeof v === 'number') l.nums.push(k);
    else if (typeof v === 'string') l.strs.push(k);
    else {
      l.others.push(k);
      l.empty.push(v === undefined ? undefined : null);
    }
  }
  return l;
}

/** Worker side: `add` every record, `flush` at the end; `send` gets each full batch and its transferables. */
export class BatchWriter {
  private layout: BatchLayout | null = null;
  private access: Accessors | null = null;
  private readonly codeOf = (s: string) => this.code(s);
  private count = 0;
  private nums = new Float64Array(0);
  private codes = new Uint16Array(0);
  private strings: string[] = [];
  private stringCodes = new Map<string, number>();
  private keys = new Uint8Array(0);
  private keyBytes = 0;
  private others: [number, unknown[]][] = [];

  constructor(private readonly send: (batch: RecordBatch, transfer: ArrayBuffer[]) => void) {}

  add(rec: KeyRecord): void {
    if (this.layout === null) {
      this.layout = layoutOf(rec);
      this.access = compile(this.layout);
    }
    const l = this.layout;
    if (this.count === 0) this.start(l);
    const r = rec as unknown as Rec;
    this.access!.put(r, this.nums, this.count * l.nums.length, this.codes, this.count * l.strs.length, this.codeOf);
    if (l.others.length) {
      let set = false;
      for (let j = 0; j < l.others.length; j++) if (r[l.others[j]!] !== l.empty[j]) set = true;
      // Cloned now: the parser may reuse the object for the next key before the batch goes.
      if (set) this.others.push([this.count, l.others.map((f) => structuredClone(r[f]))]);
    }
    const n = rec.keyLength;
    if (this.keyBytes + n > this.keys.length) {
      const grown = new Uint8Array(Math.max(this.keys.length * 2, this.keyBytes + n));
      grown.set(this.keys.subarray(0, this.keyBytes));
      this.keys = grown;
    }
    this.keys.set(rec.key.subarray(0, n), this.keyBytes);
    this.keyBytes += n;
    if (++this.count === BATCH_RECORDS || this.keyBytes >= BATCH_KEY_BYTES || this.strings.length > 0xff00) this.flush();
  }

  flush(): void {
    if (this.count === 0) return;
    const l = this.layout!;
    const nums = this.nums.slice(0, this.count * l.nums.length);
    const codes = this.codes.slice(0, this.count * l.strs.length);
    const keys = this.keys.slice(0, this.keyBytes);
    const batch: RecordBatch = { layout: l, count: this.count, nums, codes, strings: this.strings, keys, others: this.others };
    this.count = 0;
    this.send(batch, [nums.buffer, codes.buffer, keys.buffer]);
  }

  private start(l: BatchLayout): void {
    if (this.nums.length === 0) {
      this.nums = new Float64Array(BATCH_RECORDS * l.nums.length);
      this.codes = new Uint16Array(BATCH_RECORDS * l.strs.length);
      this.keys = new Uint8Array(64 << 10);
    }
    this.strings = [];
    this.stringCodes.clear();
    this.keyBytes = 0;
    this.others = [];
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
  private nextOther = 0;
  private access: Accessors | null = null;
  private layoutKey = '';

  load(batch: RecordBatch): void {
    const l = batch.layout;
    const key = `${l.nums.join()}|${l.strs.join()}`;
    if (key !== this.layoutKey) {
      this.access = compile(l);
      this.layoutKey = key;
    }
    this.b = batch;
    this.i = 0;
    this.keyPos = 0;
    this.nextOther = 0;
  }

  /** Fills `rec` with the next record; false when the batch is done. `rec.key` grows as needed. */
  next(rec: KeyRecord): boolean {
    const b = this.b!;
    const l = b.layout;
    const i = this.i;
    if (i >= b.count) return false;
    const r = rec as unknown as Rec;
    this.access!.get(r, b.nums, i * l.nums.length, b.codes, i * l.strs.length, b.strings);
    if (l.others.length) {
      const o = b.others[this.nextOther];
      if (o && o[0] === i) {
        this.nextOther++;
        l.others.forEach((f, j) => (r[f] = o[1][j]));
      } else {
        // Left absent when absent, as on the parser's record.
        l.others.forEach((f, j) => {
          if (r[f] !== l.empty[j]) r[f] = l.empty[j];
        });
      }
    }
    const n = rec.keyLength;
    if (rec.key.length < n) rec.key = keyBuffer(Math.max(n, rec.key.length * 2));
    rec.key.set(b.keys.subarray(this.keyPos, this.keyPos + n));
    this.keyPos += n;
    this.i = i + 1;
    return true;
  }
}
