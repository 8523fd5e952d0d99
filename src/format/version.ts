/**
 * Which server release wrote (or will load) a file. Encodings and memory accounting depend on
 * it. `num` is major*100+minor on Redis' scale: Valkey releases map to Redis 7.2, the release
 * they forked from, whose encodings they keep. `valkey` tells Valkey's own release apart
 * (its memory accounting differs from Redis' from 8.0 on); 0 for Redis.
 */
export interface ServerVersion {
  producer: 'redis' | 'valkey' | 'unknown';
  /** As written in the file (`7.4.1`), or derived (`~7.4` from RDB 12). */
  text: string;
  num: number;
  /** Valkey major*100+minor (801 for 8.1.1, 901 for 9.1.2); 0 for Redis and unknown producers. */
  valkey: number;
}

/** Redis release that first wrote each RDB version (for files without a version aux field). */
const BY_RDB: Record<number, number> = { 1: 200, 2: 204, 3: 206, 4: 206, 5: 206, 6: 208, 7: 302, 8: 400, 9: 500, 10: 700, 11: 702, 12: 704, 13: 806 };

export function parseVersion(text: string, rdbVersion: number, producer: 'redis' | 'valkey' | 'unknown'): ServerVersion {
  const m = /^(\d+)\.(\d+)/.exec(text);
  if (m) {
    const major = Number(m[1]);
    const minor = Math.min(Number(m[2]), 99);
    if (producer === 'valkey') return { producer, text, num: major < 7 ? major * 100 + minor : 702, valkey: major * 100 + minor };
    return { producer, text, num: major * 100 + minor, valkey: 0 };
  }
  if (producer === 'valkey') {
    // VALKEY080 is written from 9.0 on; earlier Valkey files say REDIS0011 and carry valkey-ver.
    return rdbVersion >= 80 ? { producer, text: '~9.0', num: 702, valkey: 900 } : { producer, text: '~8.0', num: 702, valkey: 800 };
  }
  const num = BY_RDB[Math.min(rdbVersion, 13)] ?? 200;
  return { producer, text: `~${Math.floor(num / 100)}.${num % 100}`, num, valkey: 0 };
}

/** `7.4`, `5.0`, `7`, `valkey-9.1`, `valkey 8.1` → a version, for `--redis-version`. */
export function versionFromOption(s: string): ServerVersion | null {
  const m = /^(valkey[- ]?)?(\d+)(?:\.(\d+))?(?:\.\d+)?$/i.exec(s.trim());
  if (!m) return null;
  const producer = m[1] ? 'valkey' : 'redis';
  const text = `${m[2]}.${m[3] ?? '0'}`;
  return parseVersion(text, 0, producer);
}

/** How a report names the modelled server: `Redis 7.4`, `Valkey 9.1`. */
export function modelName(v: ServerVersion): string {
  const n = v.valkey || v.num;
  return `${v.valkey ? 'Valkey' : 'Redis'} ${Math.floor(n / 100)}.${n % 100}`;
}
