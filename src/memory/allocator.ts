/**
 * Allocation size classes: what `zmalloc_size()` returns for a request of n bytes.
 * - jemalloc: Redis' bundled jemalloc (8-byte quantum: 8, 16, 24, 32, 40, 48, 56, 64, 80, …).
 * - jemalloc16: a system jemalloc with a 16-byte quantum, as Debian's redis-server links
 *   (8, 16, 32, 48, 64, 80, …); from 64 bytes up both use four classes per doubling.
 * - libc: glibc malloc (16-byte chunks with an 8-byte header, 24 bytes at least).
 */
export type AllocatorProfile = 'jemalloc' | 'jemalloc16' | 'libc';

export const ALLOCATORS: readonly AllocatorProfile[] = ['jemalloc', 'jemalloc16', 'libc'];

export type SizeClass = (n: number) => number;

function jemallocLarge(n: number): number {
  // Four classes per power of two: spacing is a quarter of the group's lower bound.
  const shift = 29 - Math.clz32(n - 1);
  const step = 1 << shift;
  return ((n + step - 1) >>> shift) * step;
}

function jemalloc8(n: number): number {
  if (n <= 8) return 8;
  if (n <= 64) return (n + 7) & ~7;
  if (n <= 128) return (n + 15) & ~15;
  if (n < 2 ** 31) return jemallocLarge(n);
  return Math.ceil(n / 2 ** 29) * 2 ** 29;
}

function jemalloc16(n: number): number {
  if (n <= 8) return 8;
  if (n <= 128) return (n + 15) & ~15;
  if (n < 2 ** 31) return jemallocLarge(n);
  return Math.ceil(n / 2 ** 29) * 2 ** 29;
}

function libc(n: number): number {
  const chunk = Math.max(32, Math.ceil((n + 8) / 16) * 16);
  return chunk - 8;
}

export function sizeClassFor(profile: AllocatorProfile): SizeClass {
  return profile === 'jemalloc16' ? jemalloc16 : profile === 'libc' ? libc : jemalloc8;
}
