import { closeSync, openSync, readSync } from 'node:fs';

/** A synchronous pull source of byte chunks; the parser calls next() until it returns null (end of input). */
export interface ChunkSource {
  next(): Uint8Array | null;
}

/** A ChunkSource over an open file that should be closed if the parser stops early. */
export interface ClosableChunkSource extends ChunkSource {
  /** Releases the file descriptor; next() then returns null. Idempotent. */
  close(): void;
}

/**
 * Serves `buf` as consecutive views of at most `chunkSize` bytes (the whole buffer in one
 * chunk when omitted). The views alias `buf`; an empty buffer yields no chunk at all.
 */
export function bufferSource(buf: Uint8Array, chunkSize = buf.length): ChunkSource {
  if (!(chunkSize >= 1)) chunkSize = Math.max(1, buf.length);
  let pos = 0;
  return {
    next() {
      if (pos >= buf.length) return null;
      const end = Math.min(buf.length, pos + chunkSize);
      const chunk = buf.subarray(pos, end);
      pos = end;
      return chunk;
    },
  };
}

/**
 * Reads a file synchronously in chunks of up to `chunkSize` bytes. Two buffers alternate,
 * so the chunk returned by one next() call stays valid until the call after the following
 * one (at least until the next call, as the parser requires). The file is opened at once
 * (so a missing file throws here) and closed at end of input or on close().
 */
export function fileSource(path: string, chunkSize = 1 << 20): ClosableChunkSource {
  if (!(chunkSize >= 1)) throw new RangeError(`fileSource: chunkSize must be >= 1, got ${chunkSize}`);
  let fd: number | null = openSync(path, 'r');
  const bufs: Uint8Array[] = [];
  let turn = 0;
  const close = () => {
    if (fd !== null) {
      const f = fd;
      fd = null;
      closeSync(f);
    }
  };
  return {
    next() {
      if (fd === null) return null;
      let buf = bufs[turn];
      if (!buf) buf = bufs[turn] = new Uint8Array(chunkSize);
      turn ^= 1;
      // Fill the buffer as far as the file allows (short reads happen on pipes and FIFOs).
      let n = 0;
      while (n < chunkSize) {
        const got = readSync(fd, buf, n, chunkSize - n, null);
        if (got === 0) break;
        n += got;
      }
      if (n === 0) {
        close();
        return null;
      }
      return n === chunkSize ? buf : buf.subarray(0, n);
    },
    close,
  };
}
