/**
 * In-memory encodings a loading server chooses that the file does not state, decided from the
 * server's release: shared by the parser (OBJECT ENCODING of the file's producer) and the memory
 * model (the modelled server). Rules per release: docs/memory-model.md, section 3.2.
 */

/**
 * OBJECT ENCODING of a string value that is not an integer: 'embstr' when the server allocates
 * object and characters together, else 'raw'. `num` is the Redis-scale version, `valkey` the
 * Valkey release (0 for Redis); `keyLength` and `hasExpire` matter where the key or its TTL
 * share the object's allocation.
 */
export function stringEncoding(num: number, valkey: number, len: number, keyLength: number, hasExpire: boolean): 'embstr' | 'raw' {
  if (valkey >= 801) return valkeyEmbstrBytes(valkey, len, keyLength, hasExpire) > 0 ? 'embstr' : 'raw';
  if (num < 300) return 'raw';
  // Redis 8.6 embeds the value with the key only while object, key and value fit a 64-byte
  // cache line (docs/memory-model-redis8.md, strings).
  if (num >= 806 && !valkey) return len <= 44 && keyLength + len <= 41 ? 'embstr' : 'raw';
  return len <= (num >= 302 ? 44 : 39) ? 'embstr' : 'raw';
}

/** The bundled jemalloc's small size classes (8-byte steps to 64, 16-byte steps to 128, …). */
function jemallocSmall(n: number): number {
  if (n <= 64) return (n + 7) & ~7;
  if (n <= 128) return (n + 15) & ~15;
  if (n <= 256) return (n + 31) & ~31;
  return (n + 63) & ~63;
}

/** Valkey's sds header for a string of `len` bytes (1 below 32 bytes, then 3, 5, 9). */
function sdsHeaderValkey(len: number): number {
  return len < 32 ? 1 : len <= 252 ? 3 : len <= 65529 ? 5 : 9;
}

/**
 * Valkey 8.1+ keeps the key (and expire time) inside the value object, so whether a loaded
 * string stays embedded depends on the key too (docs/memory-model-valkey.md, strings). The
 * load creates the value alone (embedded up to 44 bytes on 8.1; on 9.x while 8 bytes of object
 * header and the value's sds fit 128), then re-creates it with the key, and again with the
 * expire time unless the first allocation had 8 spare bytes for it. Returns the bytes the
 * embedded object requests, or 0 when the string ends up raw. `sc` is the allocator's size
 * class function (the spare-room check depends on it).
 */
export function valkeyEmbstrBytes(valkey: number, len: number, keyLength: number, hasExpire: boolean, sc: (n: number) => number = jemallocSmall): number {
  const keyPart = 1 + sdsHeaderValkey(keyLength) + keyLength + 1;
  if (valkey >= 900) {
    // shouldEmbedStringObject: 8 bytes of object header (the value pointer is reused), the
    // key, the expire, the value's sds (type 8); the object keeps at least 8 value bytes.
    if (len > 255 || 8 + 4 + len > 128) return 0;
    const plain = 8 + keyPart + Math.max(8, 4 + len);
    if (8 + keyPart + 4 + len > 128) return 0;
    if (!hasExpire || sc(plain) >= plain + 8) return plain;
    return 8 + keyPart + 8 + 4 + len <= 128 ? plain + 8 : 0;
  }
  // 8.1: embstr up to 44 bytes on its own; with the key, the size test counts the key as
  // its length + 3 whatever its sds header (createStringObjectWithKeyAndExpire).
  if (len > 44 || 16 + keyLength + 3 + 4 + len > 64) return 0;
  const plain = 16 + keyPart + 4 + len;
  if (!hasExpire || sc(plain) >= plain + 8) return plain;
  return 16 + keyLength + 3 + 8 + 4 + len <= 64 ? plain + 8 : 0;
}
