/**
 * Which server release wrote (or will load) a file. Encodings and memory accounting depend on
 * it; `num` is major*100+minor on Redis' scale (Valkey releases map to the Redis release they
 * forked from for these purposes).
 */
export interface ServerVersion {
  producer: 'redis' | 'valkey' | 'unknown';
  /** As written in the file (`7.4.1`), or derived (`~7.4` from RDB 12). */
  text: string;
  num: number;
}

/** Redis release that first wrote each RDB version (for files without a version aux field). */
const BY_RDB: Record<number, number> = { 1: 200, 2: 204, 3: 206, 4: 206, 5: 206, 6: 208, 7: 302, 8: 400, 9: 500, 10: 700, 11: 702, 12: 704, 13: 806 };

export function parseVersion(text: string, rdbVersion: number, producer: 'redis' | 'valkey' | 'unknown'): ServerVersion {
  const m = /^(\d+)\.(\d+)/.exec(text);
  if (m) {
    const major = Number(m[1]);
    const minor = Number(m[2]);
    if (producer === 'valkey') return { producer, text, num: valkeyToRedis(major, minor) };
    return { producer, text, num: major * 100 + Math.min(minor, 99) };
  }
  if (producer === 'valkey' && rdbVersion >= 80) return { producer, text: '~9.0', num: 702 };
  const num = BY_RDB[Math.min(rdbVersion, 13)] ?? 200;
  return { producer, text: `~${Math.floor(num / 100)}.${num % 100}`, num };
}

/** Valkey 7.2 is Redis 7.2; 8.x and 9.x keep its encodings. */
function valkeyToRedis(major: number, minor: number): number {
  if (major < 7) return major * 100 + minor;
  return 702;
}

/** `7.4`, `5.0`, `7` → numeric form, for `--redis-version`. */
export function versionFromOption(s: string): ServerVersion | null {
  const m = /^(valkey[- ]?)?(\d+)(?:\.(\d+))?/i.exec(s.trim());
  if (!m) return null;
  const producer = m[1] ? 'valkey' : 'redis';
  const text = `${m[2]}.${m[3] ?? '0'}`;
  return parseVersion(text, 0, producer);
}
