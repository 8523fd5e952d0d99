/**
 * Builds each key's value in the canonical form of the corpus truth files (docs/truth-format.md, section 3):
 * text where the bytes are valid UTF-8, `{"b64": …}` otherwise; hash fields that are not
 * UTF-8 become `"b64:<base64>"` object keys. Lists keep file order; sets and zsets also come
 * in file order (a set's file order is the server's iteration order; a zset's is by score for
 * listpacks and by descending score for skiplists, so zsets are sorted by score here).
 */
import type { KeyRecord, StreamIdmpMeta, StreamMeta, ValueVisitor } from '../core/types.ts';
import { isValidUtf8 } from '../core/text.ts';
import { decodeUtf8, toBase64 } from '../core/keyname.ts';

export type Canonical = string | { b64: string };
export type CanonicalValue =
  | Canonical
  | Canonical[]
  | [Canonical, number | string][]
  | Record<string, Canonical>
  | StreamValue;

export interface StreamValue {
  entries: [string, Record<string, Canonical>][];
  last_id: string;
  groups: { name: string; last_delivered_id: string; pending: number; consumers: { name: string; pending: number }[] }[];
}

/**
 * A stream's idempotent-producer state (Redis 8.6, type 26), as `dump` prints it beside the
 * value (`stream_idmp`): settings, each producer with the number of ids it tracks, counters.
 * Kept out of `value`, whose form the corpus truth files fix.
 */
export interface StreamIdmpValue {
  duration: number;
  max_entries: number;
  producers: { pid: Canonical; ids: number }[];
  ids: number;
  iids_added: number | string;
  iids_duplicates: number | string;
}

/** A 64-bit counter for JSON: a number while exact, else its decimal text. */
function counter(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v);
}

export function canonicalBytes(b: Uint8Array, s: number, e: number): Canonical {
  return isValidUtf8(b, s, e) ? decodeUtf8(b, s, e) : { b64: toBase64(b, s, e) };
}

function fieldName(c: Canonical): string {
  return typeof c === 'string' ? c : `b64:${c.b64}`;
}

export function canonicalScore(v: number): number | string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return v;
}

/** Collects one value at a time; `take()` returns it after `end`. */
export class CanonicalCollector implements ValueVisitor {
  private type = '';
  private list: Canonical[] = [];
  private scores: number[] = [];
  private fieldTtls: number[] = [];
  private stringValue: Canonical | null = null;
  private stream: StreamValue | null = null;
  private entryFields = 0;
  private entry: Record<string, Canonical> | null = null;
  private pendingField: string | null = null;
  private group: StreamValue['groups'][number] | null = null;
  private idmpProducers: StreamIdmpValue['producers'] = [];
  private idmp: StreamIdmpValue | null = null;

  begin(rec: KeyRecord): void {
    this.type = rec.type;
    this.list = [];
    this.scores = [];
    this.fieldTtls = [];
    this.stringValue = null;
    this.stream = null;
    this.entry = null;
    this.group = null;
    this.idmpProducers = [];
    this.idmp = null;
  }

  str(buf: Uint8Array, start: number, end: number): void {
    this.push(canonicalBytes(buf, start, end));
  }

  int(v: number): void {
    this.push(String(v));
  }

  bigStr(): void {
    throw new Error('value materializer needs every string as bytes (parse with values: true)');
  }

  private push(c: Canonical): void {
    if (this.type === 'string') this.stringValue = c;
    else if (this.type === 'stream') this.streamItem(c);
    else this.list.push(c);
  }

  score(v: number): void {
    this.scores.push(v);
  }

  fieldTtl(ms: number): void {
    this.fieldTtls.push(ms);
  }

  blob(): boolean {
    return true;
  }

  streamNode(): void {
    this.stream ??= { entries: [], last_id: '0-0', groups: [] };
  }

  streamEntry(ms: bigint, seq: bigint, fields: number): void {
    this.stream ??= { entries: [], last_id: '0-0', groups: [] };
    this.entry = {};
    this.entryFields = fields;
    this.pendingField = null;
    this.stream.entries.push([`${ms}-${seq}`, this.entry]);
    if (fields === 0) this.entry = null;
  }

  private streamItem(c: Canonical): void {
    if (!this.entry) return;
    if (this.pendingField === null) {
      this.pendingField = fieldName(c);
      return;
    }
    this.entry[this.pendingField] = c;
    this.pendingField = null;
    if (--this.entryFields === 0) this.entry = null;
  }

  streamMeta(meta: StreamMeta): void {
    this.stream ??= { entries: [], last_id: '0-0', groups: [] };
    this.stream.last_id = `${meta.lastMs}-${meta.lastSeq}`;
  }

  streamGroup(buf: Uint8Array, start: number, end: number, lastMs: bigint, lastSeq: bigint): void {
    this.group = { name: fieldName(canonicalBytes(buf, start, end)), last_delivered_id: `${lastMs}-${lastSeq}`, pending: 0, consumers: [] };
    this.stream!.groups.push(this.group);
  }

  streamPel(): void {
    this.group!.pending++;
  }

  streamConsumer(buf: Uint8Array, start: number, end: number): void {
    this.group!.consumers.push({ name: fieldName(canonicalBytes(buf, start, end)), pending: 0 });
  }

  streamConsumerPel(): void {
    const cs = this.group!.consumers;
    cs[cs.length - 1].pending++;
  }

  streamIdmpProducer(buf: Uint8Array, start: number, end: number, ids: number): void {
    this.idmpProducers.push({ pid: canonicalBytes(buf, start, end), ids });
  }

  streamIdmp(meta: StreamIdmpMeta): void {
    this.idmp = {
      duration: meta.duration,
      max_entries: meta.maxEntries,
      producers: this.idmpProducers,
      ids: meta.ids,
      iids_added: counter(meta.iidsAdded),
      iids_duplicates: counter(meta.iidsDuplicates),
    };
  }

  end(): void {}

  /** The IDMP state of the value just read (type-26 streams), else null. */
  takeIdmp(): StreamIdmpValue | null {
    return this.idmp;
  }

  /** The finished value and, for hashes with field TTLs, the TTL map. */
  take(): { value: CanonicalValue; fieldExpire: Record<string, number> | null } {
    switch (this.type) {
      case 'string':
        return { value: this.stringValue ?? '', fieldExpire: null };
      case 'list':
      case 'set':
        return { value: this.list, fieldExpire: null };
      case 'zset': {
        const pairs = this.list.map((m, i) => [m, this.scores[i]] as [Canonical, number]);
        pairs.sort((a, b) => a[1] - b[1] || compareCanonical(a[0], b[0]));
        return { value: pairs.map(([m, s]) => [m, canonicalScore(s)] as [Canonical, number | string]), fieldExpire: null };
      }
      case 'hash': {
        const obj: Record<string, Canonical> = {};
        let ttls: Record<string, number> | null = null;
        const keys: string[] = [];
        for (let i = 0; i + 1 < this.list.length; i += 2) keys.push(fieldName(this.list[i]));
        const order = keys.map((k, i) => [k, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        for (const [k, i] of order) {
          obj[k] = this.list[i * 2 + 1];
          const ttl = this.fieldTtls[i];
          if (ttl) (ttls ??= {})[k] = ttl;
        }
        return { value: obj, fieldExpire: ttls };
      }
      case 'stream':
        return { value: this.stream ?? { entries: [], last_id: '0-0', groups: [] }, fieldExpire: null };
      default:
        return { value: null as unknown as CanonicalValue, fieldExpire: null };
    }
  }
}

/** Byte order of two canonical strings (ties between equal scores sort by member bytes). */
function compareCanonical(a: Canonical, b: Canonical): number {
  const ba = typeof a === 'string' ? Buffer.from(a) : Buffer.from(a.b64, 'base64');
  const bb = typeof b === 'string' ? Buffer.from(b) : Buffer.from(b.b64, 'base64');
  return Buffer.compare(ba, bb);
}
