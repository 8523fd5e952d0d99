/** A named input's format (from its first bytes) and size, before anything opens it for reading. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MAGIC_BYTES, detectFormat, type DetectedFormat } from './detect.ts';

/** Format and size of a named file, peeking at its first bytes; null for stdin (`-`). */
export function peek(path: string): { format: DetectedFormat; size: number } | null {
  if (path === '-') return null;
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(MAGIC_BYTES);
    const n = readSync(fd, head, 0, MAGIC_BYTES, 0);
    return { format: detectFormat(head.subarray(0, n)), size: fstatSync(fd).size };
  } finally {
    closeSync(fd);
  }
}
