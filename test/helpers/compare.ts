/**
 * One key of a dump against its truth (TRUTH-FORMAT.md): the comparison the conformance tests
 * (corpus, fixtures, release fixtures) share.
 */
import assert from 'node:assert/strict';
import type { Dump, ParsedKey, TruthKey } from './truth.ts';

function sortedSet(v: unknown): string[] {
  return (v as unknown[]).map((x) => JSON.stringify(x)).sort();
}

/** Differences between a parsed key and its truth, as readable strings. */
export function compare(k: TruthKey, g: ParsedKey, dump: Dump): string[] {
  const out: string[] = [];
  const rec = g.rec;
  const name = k.key ?? `b64:${k.key_b64}`;
  // Strings built by APPEND/SETRANGE are `raw` on the writer and `embstr` once loaded: the
  // truth lists such changes, and the file cannot tell them apart.
  const changed = dump.truth.extra?.load_verification?.encoding_changes_on_load?.[name];
  const want = k.encoding === 'unknown' && k.type === 'stream' ? 'stream' : changed ? changed[1] : k.encoding;
  if (k.type === 'vectorset') {
    // TYPE names the module type; rdbscope reports module values as type `module` with the
    // module's name. OBJECT ENCODING says `raw` for every module value: nothing to compare.
    if (rec.type !== 'module' || rec.module !== 'vectorset') out.push(`type ${rec.type}/${rec.module} != module/vectorset`);
  } else {
    if (rec.type !== k.type) out.push(`type ${rec.type} != ${k.type}`);
    if (rec.encoding !== want) out.push(`encoding ${rec.encoding} != ${want}`);
  }
  const exp = rec.expireAtMs < 0 ? null : rec.expireAtMs;
  if (exp !== k.expire_at_ms) out.push(`expire_at_ms ${exp} != ${k.expire_at_ms}`);
  if (rec.length !== k.length) out.push(`length ${rec.length} != ${k.length}`);
  if ('value' in k) {
    const got = k.type === 'set' ? sortedSet(g.value) : g.value;
    const exp2 = k.type === 'set' ? sortedSet(k.value) : k.value;
    try {
      assert.deepStrictEqual(got, exp2);
    } catch {
      out.push(`value ${JSON.stringify(got).slice(0, 200)} != ${JSON.stringify(exp2).slice(0, 200)}`);
    }
  }
  if (k.field_expire_at_ms) {
    try {
      assert.deepStrictEqual(g.fieldExpire, k.field_expire_at_ms);
    } catch {
      out.push(`field_expire_at_ms ${JSON.stringify(g.fieldExpire)} != ${JSON.stringify(k.field_expire_at_ms)}`);
    }
  }
  if (k.lfu_freq !== undefined && rec.lfuFreq !== k.lfu_freq) out.push(`lfu_freq ${rec.lfuFreq} != ${k.lfu_freq}`);
  // IDLE is written at SAVE, after the truth was read: it may only have grown, by seconds.
  if (k.lru_idle_s !== undefined && !(rec.idleS >= k.lru_idle_s && rec.idleS <= k.lru_idle_s + 5)) {
    out.push(`lru_idle_s ${rec.idleS} not within [${k.lru_idle_s}, +5]`);
  }
  const ser = rec.valueFileBytes === undefined ? undefined : k.extra?.debug_object?.serializedlength;
  // DEBUG OBJECT leaves out the 8-byte minimum-expire prefix of 7.4 hashes with field TTLs.
  const fileBytes = rec.rdbType === 24 || rec.rdbType === 25 ? rec.valueFileBytes - 8 : rec.valueFileBytes;
  if (ser !== undefined && fileBytes !== ser) out.push(`value bytes in file ${fileBytes} != serializedlength ${ser}`);
  return out;
}
