/**
 * Building blocks of Redis 8.6's memory accounting (docs/memory-model-redis8.md): the key lives
 * inside the value object (kvobj), MEMORY USAGE adds the object's allocation to sizes the value
 * tracks itself, some allocator-rounded, some as requested.
 */
import type { SizeClass } from './allocator.ts';
import { sdsHeader } from './sizes.ts';

/** Header of an sds laid out in place (sdsReqType): 1 byte below 32 bytes, even when empty. */
export function reqHeader(len: number): number {
  return len < 32 ? 1 : sdsHeader(len);
}

/**
 * Bytes the key object requests: the 16-byte object, an 8-byte expire slot (always reserved for
 * keys of 128 bytes or more), a header-size byte, the key's sds, and `extra` (an embedded value).
 */
export function kvBytes(keyLength: number, hasExpire: boolean, extra: number): number {
  const meta = hasExpire || keyLength >= 128 ? 8 : 0;
  return 16 + meta + 1 + reqHeader(keyLength) + keyLength + 1 + extra;
}

/**
 * sdsAllocSize of a string made by sdsnewlen: a type-5 sds (1–31 bytes) has no capacity field
 * and reports what it requested; longer ones record the allocation's usable size (a wider
 * header where the spare room would not fit the narrow one's capacity field).
 */
export function sdsAlloc(sc: SizeClass, len: number): number {
  if (len > 0 && len < 32) return len + 2;
  return sc(sdsHeader(len) + len + 1);
}

/**
 * A hash-table hash entry (entry.c): field and value in one allocation of at most 128 bytes,
 * or the field with a pointer to the value's own sds. A field TTL adds 16 bytes of expire
 * metadata and needs at least an 8-bit field header. Counted as requested except for a
 * separate value sds.
 */
export function hashEntry(sc: SizeClass, fieldLen: number, valueLen: number, ttl: boolean): number {
  const meta = ttl ? 16 : 0;
  const hdr = reqHeader(fieldLen);
  const field = (ttl && hdr === 1 ? 3 : hdr) + fieldLen + 1;
  const embedded = 3 + valueLen + 1;
  if (meta + field + embedded <= 128) return meta + field + embedded;
  return meta + (hdr === 1 ? 3 : hdr) + fieldLen + 1 + 8 + sdsAlloc(sc, valueLen);
}

/** What the allocator adds to a hash entry (and to a separate short value) beyond what 8.6 counts. */
export function hashEntryRounding(sc: SizeClass, fieldLen: number, valueLen: number, ttl: boolean): number {
  const counted = hashEntry(sc, fieldLen, valueLen, ttl);
  const meta = ttl ? 16 : 0;
  const hdr = reqHeader(fieldLen);
  const field = (ttl && hdr === 1 ? 3 : hdr) + fieldLen + 1;
  if (meta + field + 3 + valueLen + 1 <= 128) return sc(counted) - counted;
  const own = meta + (hdr === 1 ? 3 : hdr) + fieldLen + 1 + 8;
  const value = sdsAlloc(sc, valueLen);
  return sc(own) - own + sc(value) - value;
}

/**
 * Expected allocation of a skiplist node that embeds its member (`len` bytes): score, backward
 * pointer, 16 bytes per level (random, P = 1/4, at most 32), then the member's sds.
 */
export class SkipNodes86 {
  private readonly cache = new Float64Array(512);

  constructor(private readonly sc: SizeClass) {}

  expected(len: number): number {
    const fixed = 16 + reqHeader(len) + len + 1;
    if (len < this.cache.length) {
      const hit = this.cache[len];
      if (hit !== 0) return hit;
    }
    let e = 0;
    let p = 0.75;
    for (let level = 1; level <= 32; level++) {
      e += (level === 32 ? Math.pow(0.25, 31) : p) * this.sc(fixed + 16 * level);
      p *= 0.25;
    }
    if (len < this.cache.length) this.cache[len] = e;
    return e;
  }
}
