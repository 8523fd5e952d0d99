/** Sends the parser's element events to two visitors (e.g. the memory model and a value collector). */
import type { KeyRecord, ValueVisitor, BlobKind, StreamIdmpMeta, StreamMeta } from '../core/types.ts';

export class TeeVisitor implements ValueVisitor {
  constructor(
    private readonly a: ValueVisitor,
    private readonly b: ValueVisitor,
  ) {}
  begin(rec: KeyRecord): void { this.a.begin(rec); this.b.begin(rec); }
  str(buf: Uint8Array, s: number, e: number): void { this.a.str(buf, s, e); this.b.str(buf, s, e); }
  int(v: number): void { this.a.int(v); this.b.int(v); }
  bigStr(n: number): void { this.a.bigStr(n); this.b.bigStr(n); }
  score(v: number): void { this.a.score(v); this.b.score(v); }
  fieldTtl(ms: number): void { this.a.fieldTtl(ms); this.b.fieldTtl(ms); }
  blob(kind: BlobKind, bytes: number, count: number, width: number): boolean {
    const a = this.a.blob(kind, bytes, count, width);
    return this.b.blob(kind, bytes, count, width) || a;
  }
  streamNode(id: Uint8Array, at: number, lpBytes: number): void { this.a.streamNode(id, at, lpBytes); this.b.streamNode(id, at, lpBytes); }
  streamEntry(ms: bigint, seq: bigint, fields: number): void { this.a.streamEntry(ms, seq, fields); this.b.streamEntry(ms, seq, fields); }
  streamMeta(m: StreamMeta): void { this.a.streamMeta(m); this.b.streamMeta(m); }
  streamGroup(buf: Uint8Array, s: number, e: number, ms: bigint, seq: bigint, read: bigint): void {
    this.a.streamGroup(buf, s, e, ms, seq, read);
    this.b.streamGroup(buf, s, e, ms, seq, read);
  }
  streamPel(id: Uint8Array, at: number, time: number, count: number): void { this.a.streamPel(id, at, time, count); this.b.streamPel(id, at, time, count); }
  streamConsumer(buf: Uint8Array, s: number, e: number, seen: number, active: number): void {
    this.a.streamConsumer(buf, s, e, seen, active);
    this.b.streamConsumer(buf, s, e, seen, active);
  }
  streamConsumerPel(id: Uint8Array, at: number): void { this.a.streamConsumerPel(id, at); this.b.streamConsumerPel(id, at); }
  streamIdmpProducer(buf: Uint8Array, s: number, e: number, ids: number): void {
    this.a.streamIdmpProducer?.(buf, s, e, ids);
    this.b.streamIdmpProducer?.(buf, s, e, ids);
  }
  streamIdmpEntry(buf: Uint8Array, s: number, e: number): void {
    this.a.streamIdmpEntry?.(buf, s, e);
    this.b.streamIdmpEntry?.(buf, s, e);
  }
  streamIdmp(meta: StreamIdmpMeta): void {
    this.a.streamIdmp?.(meta);
    this.b.streamIdmp?.(meta);
  }
  end(rec: KeyRecord): void { this.a.end(rec); this.b.end(rec); }
}
