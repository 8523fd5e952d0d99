/** What the first bytes of an input say it is. */
export type DetectedFormat = 'rdb' | 'gzip' | 'lz4' | 'zstd' | 'unknown';

/** Longest magic detectFormat looks at (`VALKEY`); pass at least this many bytes when available. */
export const MAGIC_BYTES = 6;

const MAGICS: ReadonlyArray<readonly [Exclude<DetectedFormat, 'unknown'>, readonly number[]]> = [
  ['rdb', [0x52, 0x45, 0x44, 0x49, 0x53]], // "REDIS"
  ['rdb', [0x56, 0x41, 0x4c, 0x4b, 0x45, 0x59]], // "VALKEY"
  ['gzip', [0x1f, 0x8b]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]], // LZ4 frame magic 0x184D2204, little-endian
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]], // zstd frame magic 0xFD2FB528, little-endian
];

/**
 * Identifies an input by its magic bytes (never by its name). `head` is the start of the
 * input; a head shorter than a format's magic never matches that format.
 */
export function detectFormat(head: Uint8Array): DetectedFormat {
  outer: for (const [format, magic] of MAGICS) {
    if (head.length < magic.length) continue;
    for (let i = 0; i < magic.length; i++) if (head[i] !== magic[i]) continue outer;
    return format;
  }
  return 'unknown';
}

/**
 * An append-only file rather than an RDB, from its first bytes: `aof` for RESP commands (a
 * plain AOF, a Redis 7 `.base.aof`/`.incr.aof`, or the tail after an RDB preamble; `#TS:`
 * starts one with `aof-timestamp-enabled`), `manifest` for a Redis 7 multi-part AOF manifest
 * (`file appendonly.aof.1.base.rdb seq 1 type b`), else null.
 */
export function aofKind(head: Uint8Array): 'aof' | 'manifest' | null {
  const text = String.fromCharCode(...head.subarray(0, 64));
  if (/^(\*\d+\r\n|#TS:\d+\r\n)/.test(text) || /^\*\d+$/.test(text)) return 'aof';
  if (/^file (\S+|"[^"]*") seq \d+ type [bhi]\b/.test(text) || (text.length < 32 && /^file /.test(text))) return 'manifest';
  return null;
}

/** What to tell a user who gave an AOF (see `aofKind`) where an RDB file was expected. */
export function aofMessage(kind: 'aof' | 'manifest'): string {
  return kind === 'manifest'
    ? 'this is the manifest of a multi-part append-only file (AOF, Redis 7+), not an RDB snapshot; rdbscope reads RDB files, e.g. the BGSAVE dump or the base file the manifest names when it is an RDB (appendonly.aof.N.base.rdb)'
    : 'this is an append-only file (AOF), not an RDB snapshot; rdbscope reads RDB files, e.g. the BGSAVE dump or the AOF\'s RDB preamble base file (appendonly.aof.N.base.rdb)';
}
