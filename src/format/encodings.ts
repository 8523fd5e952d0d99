/**
 * In-memory encodings a loading server chooses that the file does not state, decided from the
 * server's release: shared by the parser (OBJECT ENCODING of the file's producer) and the memory
 * model (the modelled server). Rules per release: docs/memory-model.md.
 */

/**
 * OBJECT ENCODING of a string value that is not an integer: 'embstr' when the server allocates
 * object and characters together, else 'raw'. `num` is the Redis-scale version, `valkey` the
 * Valkey release (0 for Redis); `keyLength` and `hasExpire` matter where the key or its TTL
 * share the object's allocation.
 */
export function stringEncoding(num: number, valkey: number, len: number, keyLength: number, hasExpire: boolean): 'embstr' | 'raw' {
  void valkey;
  void keyLength;
  void hasExpire;
  if (num < 300) return 'raw';
  return len <= (num >= 302 ? 44 : 39) ? 'embstr' : 'raw';
}
