/**
 * Key records from the parse worker to the worker that aggregates them and writes rows:
 * a single-producer single-consumer byte ring in a SharedArrayBuffer. Nothing is allocated
 * per key on either side, and the two threads only synchronise every PUBLISH_BYTES.
 *
 * Shared buffer: CONTROL_BYTES of Int32 control words, then a data region of `capacity`
 * bytes (a multiple of 8).
 *
 * | Int32 | meaning                                                              |
 * |-------|----------------------------------------------------------------------|
 * | [0]   | HEAD: data position the producer has published (written up to here) |
 * | [1]   | TAIL: data position the consumer has published (read up to here)    |
 * | [2]   | STATE: 0 running, 1 aborted (either side gave up)                  |
 *
 * HEAD == TAIL is empty; the producer leaves 8 bytes free so full never looks empty.
 * A record starts 8-aligned with a contiguous header (a header that would not fit before
 * the end of the region is preceded by a WRAP word and starts at 0):
 *
 * | Int32 [0] | kind: ≥ 0 a key record, WRAP, JSON, STRING, END                     |
 * | Int32 [1] | key: record-layout.ts's words 1-3 follow word 0 (the kind: the key's |
 * |           | length); JSON/STRING/END: payload bytes                             |
 * | Float64 × n | key: record-layout.ts's numbers                                    |
 *
 * The payload (key bytes, or UTF-8 JSON/string text) follows as a byte stream that may wrap
 * and may be larger than the ring (it is copied in pieces as room appears), padded to 8.
 * A key record's extra object (recordExtra) follows its key as a length word and its
 * v8-serialized bytes. Names travel once as STRING records and then by code.
 */
import { deserialize, serialize } from 'node:v8';
import type { FileInfo, KeyRecord } from '../core/types.ts';
import type { InstanceEstimate } from '../memory/instance.ts';
import type { JobError } from './job.ts';
import { KeyCopier, keyBuffer } from '../core/keycopy.ts';
import { RECORD_NAME_CODES, RECORD_NUMBERS_MAX, RECORD_WORDS, getRecord, putNames, putRecord, recordExtra, recordNumbers, setRecordExtra, type RecordExtra } from './record-layout.ts';

export const CONTROL_BYTES = 16;
const HEAD = 0;
const TAIL = 1;
const STATE = 2;
const ABORTED = 1;

const WRAP = -1;
const JSON_REC = -2;
const STRING_REC = -3;
const END = -4;

/** A key record: the layout's words (padded to 8), then its numbers. */
const NUMS_AT = (4 * RECORD_WORDS + 7) & ~7;
const MAX_HEADER = NUMS_AT + 8 * RECORD_NUMBERS_MAX;
/** Publish progress (and wake the other side) after this many bytes. */
const PUBLISH_BYTES = 256 << 10;
/** A wait re-checks STATE this often (ms), so a side that died without a word is noticed. */
const WAIT_MS = 50;

/** Thrown on one side when the other gave up (its own error is the one to report). */
export class RingAborted extends Error {
  constructor() {
    super('the other side of the record ring stopped');
  }
}

/** What the producer sends last: the parse's outcome, for the consumer's finish(). */
export interface RingEnd {
  info: FileInfo;
  instance: InstanceEstimate | null;
  error: JobError | null;
}

/** 2 MiB: eight publishes of slack kept both threads busy as well as 4 MiB did, for 2 MB less RSS. */
export function createRing(capacity = 2 << 20): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + (capacity & ~7));
}

/**
 * Stop the other side: a side that fails, or the main thread once the producer has finished
 * (the consumer still reads everything published; it fails only if it would have to wait).
 */
export function abortRing(sab: SharedArrayBuffer): void {
  const ctl = new Int32Array(sab, 0, CONTROL_BYTES >> 2);
  Atomics.store(ctl, STATE, ABORTED);
  Atomics.notify(ctl, HEAD);
  Atomics.notify(ctl, TAIL);
}

/**
 * Type and encoding names as the literals the parser uses: a decoded copy would be a
 * different, non-internalized string, and property lookups keyed by it (TYPE_INDEX[type])
 * would hash it every time.
 */
const LITERALS = new Map<string, string>(
  ['string', 'list', 'set', 'zset', 'hash', 'stream', 'module', 'int', 'embstr', 'raw', 'linkedlist', 'ziplist', 'quicklist',
    'listpack', 'listpackex', 'hashtable', 'intset', 'skiplist', 'zipmap', ''].map((s) => [s, s]),
);

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/**
 * What both ends share: the views, this side's position (`own` control word) and the other
 * side's last seen one (`other`), publishing, waiting, and moving through the region.
 */
abstract class RingSide {
  protected readonly ctl: Int32Array;
  protected readonly i32: Int32Array;
  protected readonly f64: Float64Array;
  protected readonly u8: Uint8Array;
  protected readonly cap: number;
  /** This side's position (data offset) and the last one it published. */
  protected pos = 0;
  protected published = 0;
  /** The other side's position as last read. */
  protected seen = 0;
  protected readonly copier = new KeyCopier();

  constructor(
    sab: SharedArrayBuffer,
    private readonly own: number,
    private readonly other: number,
  ) {
    this.ctl = new Int32Array(sab, 0, CONTROL_BYTES >> 2);
    this.cap = sab.byteLength - CONTROL_BYTES;
    this.i32 = new Int32Array(sab, CONTROL_BYTES, this.cap >> 2);
    this.f64 = new Float64Array(sab, CONTROL_BYTES, this.cap >> 3);
    this.u8 = new Uint8Array(sab, CONTROL_BYTES, this.cap);
  }

  /** Bytes from ring position `from` forward to `to`. */
  protected dist(from: number, to: number): number {
    return to >= from ? to - from : to + this.cap - from;
  }

  /** Bytes this side may move over now (writer: free, reader: available), by `seen`. */
  protected abstract span(): number;

  /** Publish this side's position and wake the other side. */
  protected publish(): void {
    Atomics.store(this.ctl, this.own, this.pos);
    Atomics.notify(this.ctl, this.own);
    this.published = this.pos;
  }

  protected maybePublish(): void {
    if (this.dist(this.published, this.pos) >= PUBLISH_BYTES) this.publish();
  }

  /** Wait until `n` bytes can be moved over (publishing first, so the other side can go on). */
  protected wait(n: number): void {
    while (this.span() < n) {
      this.seen = Atomics.load(this.ctl, this.other);
      if (this.span() >= n) return;
      if (this.pos !== this.published) this.publish();
      this.waitFor(this.other, this.seen);
    }
  }

  /** Move to region offset `p` (the end of the region is its start). */
  protected moveTo(p: number): void {
    this.pos = p === this.cap ? 0 : p;
  }

  /** After a payload: on to the next multiple of 8 (the region's size is one, so no wrap inside). */
  protected padTo8(): void {
    const pad = -this.pos & 7;
    if (pad) {
      this.wait(pad);
      this.moveTo(this.pos + pad);
    }
  }

  /** Block until ctl[index] differs from `seen`; throws RingAborted when the other side gave up. */
  protected waitFor(index: number, seen: number): void {
    for (;;) {
      // STATE before the position: the main thread aborts only after the producer's last
      // publish, so a position read after seeing ABORTED is final.
      const state = Atomics.load(this.ctl, STATE);
      if (Atomics.load(this.ctl, index) !== seen) return;
      if (state === ABORTED) throw new RingAborted();
      Atomics.wait(this.ctl, index, seen, WAIT_MS);
    }
  }
}

/** Parse-worker side. */
export class RingWriter extends RingSide {
  private readonly names: string[] = [];
  private readonly codeOf = (s: string) => this.code(s);
  private readonly scratch = new Int32Array(RECORD_WORDS);

  constructor(sab: SharedArrayBuffer) {
    super(sab, HEAD, TAIL);
  }

  /** Free bytes as of the last TAIL seen (8 kept free). */
  protected span(): number {
    return this.cap - 8 - this.dist(this.seen, this.pos);
  }

  /** Room for a header of `n` bytes, contiguous: wraps first when the region ends sooner. */
  private reserve(n: number): number {
    if (this.cap - this.pos < n) {
      this.wait(this.cap - this.pos + n);
      this.i32[this.pos >> 2] = WRAP;
      this.pos = 0;
    } else {
      this.wait(n);
    }
    return this.pos;
  }

  /** Copy `src[start, end)` in as a byte stream (any length: waits for room piece by piece), padded to 8. */
  private bytes(src: Uint8Array, start: number, end: number): void {
    const u8 = this.u8;
    while (start < end) {
      this.wait(8);
      const n = Math.min(end - start, this.span(), this.cap - this.pos);
      if (n < 64) {
        let p = this.pos;
        for (let i = 0; i < n; i++) u8[p++] = src[start + i]!;
      } else {
        u8.set(src.subarray(start, start + n), this.pos);
      }
      start += n;
      this.moveTo(this.pos + n);
      this.maybePublish();
    }
    this.padTo8();
  }

  private code(s: string): number {
    const c = this.names;
    for (let i = 0; i < c.length; i++) if (c[i] === s) return i;
    if (c.length === RECORD_NAME_CODES) throw new Error('record ring: too many distinct type, encoding and module names');
    c.push(s);
    this.payloadRecord(STRING_REC, utf8.encode(s));
    return c.length - 1;
  }

  private payloadRecord(kind: number, payload: Uint8Array): void {
    const at = this.reserve(8);
    this.i32[at >> 2] = kind;
    this.i32[(at >> 2) + 1] = payload.length;
    this.moveTo(at + 8);
    this.bytes(payload, 0, payload.length);
  }

  key(rec: KeyRecord): void {
    // Names first: a new one sends a STRING record of its own ahead of this one.
    const scratch = this.scratch;
    putNames(rec, scratch, 0, this.codeOf);
    const at = this.reserve(MAX_HEADER);
    const i32 = this.i32;
    const q = at >> 2;
    i32[q + 2] = scratch[2]!;
    i32[q + 3] = scratch[3]!;
    const p = at + NUMS_AT + 8 * putRecord(rec, i32, q, this.f64, (at + NUMS_AT) >> 3);
    const n = rec.keyLength;
    const padded = (n + 7) & ~7;
    if (p + padded < this.cap && this.span() >= padded + (p - at)) {
      // The common case: the key fits before the end of the region and there is room.
      this.copier.copy(this.u8, p, rec.key, 0, n);
      this.pos = p + padded;
    } else {
      this.moveTo(p);
      this.bytes(rec.key, 0, n);
    }
    const extra = recordExtra(rec);
    if (extra !== null) {
      const bytes = serialize(extra);
      const w = this.reserve(8);
      this.i32[w >> 2] = bytes.length;
      this.moveTo(w + 8);
      this.bytes(bytes, 0, bytes.length);
    }
    this.maybePublish();
  }

  /** The file header (analyze begins its file section with it). */
  info(info: FileInfo): void {
    this.payloadRecord(JSON_REC, utf8.encode(JSON.stringify(info)));
  }

  /** Last record: the parse's outcome. Publishes everything. */
  end(end: RingEnd): void {
    this.payloadRecord(END, utf8.encode(JSON.stringify(end)));
    this.publish();
  }
}

export type RingItem = 'key' | 'info' | 'end';

/** Consumer side. */
export class RingReader extends RingSide {
  private readonly strings: string[] = [];
  /** The payload of the last 'info' or 'end' item. */
  info: FileInfo | null = null;
  ended: RingEnd | null = null;
  private text = new Uint8Array(256);

  constructor(sab: SharedArrayBuffer) {
    super(sab, TAIL, HEAD);
  }

  /** Bytes available as of the last HEAD seen. */
  protected span(): number {
    return this.dist(this.pos, this.seen);
  }

  /** Read `n` payload bytes into `dst` (from 0), then skip the padding. */
  private bytes(dst: Uint8Array, n: number): void {
    const u8 = this.u8;
    let done = 0;
    while (done < n) {
      this.wait(1);
      const k = Math.min(n - done, this.span(), this.cap - this.pos);
      if (k < 64) {
        let p = this.pos;
        for (let i = 0; i < k; i++) dst[done + i] = u8[p++]!;
      } else {
        dst.set(u8.subarray(this.pos, this.pos + k), done);
      }
      done += k;
      this.moveTo(this.pos + k);
      this.maybePublish();
    }
    this.padTo8();
  }

  private payloadText(n: number): string {
    if (this.text.length < n) this.text = new Uint8Array(Math.max(n, this.text.length * 2));
    this.bytes(this.text, n);
    return utf8d.decode(this.text.subarray(0, n));
  }

  /** Fill `rec` with the next key (its `key` buffer grows as needed), or take an info/end item. */
  next(rec: KeyRecord): RingItem {
    for (;;) {
      this.wait(8);
      const at = this.pos;
      const i32 = this.i32;
      const kind = i32[at >> 2]!;
      if (kind === WRAP) {
        this.pos = 0;
        continue;
      }
      if (kind < 0) {
        const n = i32[(at >> 2) + 1]!;
        this.moveTo(at + 8);
        const text = this.payloadText(n);
        if (kind === STRING_REC) {
          this.strings.push(LITERALS.get(text) ?? text);
          continue;
        }
        if (kind === JSON_REC) {
          this.info = JSON.parse(text) as FileInfo;
          return 'info';
        }
        this.ended = JSON.parse(text) as RingEnd;
        this.publish();
        return 'end';
      }
      this.wait(NUMS_AT + 8 * 6);
      const q = at >> 2;
      const p = at + NUMS_AT + 8 * recordNumbers(i32, q);
      this.wait(p - at);
      const hasExtra = getRecord(rec, i32, q, this.f64, (at + NUMS_AT) >> 3, this.strings);
      if (rec.key.length < kind) rec.key = keyBuffer(Math.max(kind, rec.key.length * 2));
      const padded = (kind + 7) & ~7;
      if (p + padded < this.cap && this.span() >= padded + (p - at)) {
        this.copier.copy(rec.key, 0, this.u8, p, kind);
        this.pos = p + padded;
      } else {
        this.moveTo(p);
        this.bytes(rec.key, kind);
      }
      if (hasExtra) setRecordExtra(rec, this.extra());
      this.maybePublish();
      return 'key';
    }
  }

  /** The extra object after a key: its length word, then its serialized bytes. */
  private extra(): RecordExtra {
    // 8-aligned and never at the region's end: the word needs no wrap.
    this.wait(8);
    const at = this.pos;
    const n = this.i32[at >> 2]!;
    this.moveTo(at + 8);
    if (this.text.length < n) this.text = new Uint8Array(Math.max(n, this.text.length * 2));
    this.bytes(this.text, n);
    return deserialize(this.text.subarray(0, n)) as RecordExtra;
  }
}
