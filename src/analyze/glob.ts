/**
 * Redis-style glob matching on key bytes (`KEYS`/`SCAN MATCH` semantics): `*`, `?`,
 * `[abc]`, `[^a-z]`, and `\` to escape. Works on bytes, so binary keys match too.
 */
export class Glob {
  private readonly p: Uint8Array;

  constructor(pattern: string) {
    this.p = new TextEncoder().encode(pattern);
  }

  match(b: Uint8Array, s: number, e: number): boolean {
    return matchAt(this.p, 0, b, s, e, 0);
  }
}

function matchAt(p: Uint8Array, pi: number, b: Uint8Array, si: number, e: number, depth: number): boolean {
  // Bounded recursion: runs of '*' collapse, and each '*' tries the remaining positions.
  if (depth > 64) return false;
  while (pi < p.length) {
    const c = p[pi];
    if (c === 42) {
      while (pi + 1 < p.length && p[pi + 1] === 42) pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= e; k++) if (matchAt(p, pi + 1, b, k, e, depth + 1)) return true;
      return false;
    }
    if (si >= e) return false;
    if (c === 63) {
      pi++;
      si++;
      continue;
    }
    if (c === 91) {
      let i = pi + 1;
      const not = p[i] === 94;
      if (not) i++;
      let hit = false;
      while (i < p.length && p[i] !== 93) {
        if (p[i] === 92 && i + 1 < p.length) {
          i++;
          if (p[i] === b[si]) hit = true;
        } else if (i + 2 < p.length && p[i + 1] === 45 && p[i + 2] !== 93) {
          let lo = p[i];
          let hi = p[i + 2];
          if (lo > hi) [lo, hi] = [hi, lo];
          if (b[si] >= lo && b[si] <= hi) hit = true;
          i += 2;
        } else if (p[i] === b[si]) hit = true;
        i++;
      }
      if (hit === not) return false;
      pi = i + 1;
      si++;
      continue;
    }
    if (c === 92 && pi + 1 < p.length) pi++;
    if (p[pi] !== b[si]) return false;
    pi++;
    si++;
  }
  return si === e;
}
