/** Per-command work on each key inside the parse worker. */
import type { FileInfo, KeyRecord, ValueVisitor } from '../types.ts';
import type { InstanceEstimate } from '../memory/instance.ts';
import { CanonicalCollector, canonicalBytes } from '../dump/canonical.ts';
import type { FdWriter } from './output.ts';
import type { Job, JobError } from './job.ts';

export interface Handler {
  visitor?: ValueVisitor;
  onHeader?: (info: FileInfo) => void;
  onKey: (rec: KeyRecord) => void;
  /** What the job hands back besides the FileInfo (analyze: the file's report). */
  finish(info: FileInfo, instance: InstanceEstimate | null, error: JobError | null): unknown;
}

const nothing = () => undefined;

export function makeHandler(job: Job, out: FdWriter | null): Handler {
  switch (job.kind) {
    case 'dump':
      return dumpHandler(out!);
    default:
      return { onKey: nothing, finish: nothing };
  }
}

/** `dump`: one canonical JSON object per key (TRUTH-FORMAT.md). */
function dumpHandler(out: FdWriter): Handler {
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
      if (rec.type === 'module') o.module = rec.module;
      else o.value = value;
      if (fieldExpire) o.field_expire_at_ms = fieldExpire;
      if (rec.lfuFreq >= 0) o.lfu_freq = rec.lfuFreq;
      if (rec.idleS >= 0) o.lru_idle_s = rec.idleS;
      out.write(JSON.stringify(o) + '\n');
    },
    finish: nothing,
  };
}
