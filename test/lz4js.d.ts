/** Minimal declarations for the parts of lz4js (0.2.x, untyped CommonJS) the tests use as an independent LZ4 writer. */
declare module 'lz4js' {
  /** Encodes `src[sIndex, sIndex + sLength)` as one raw block into `dst` (from 0); returns its size, 0 when incompressible. */
  export function compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
  /** Worst-case compressed size for `n` input bytes. */
  export function compressBound(n: number): number;
  /** Compresses `src` into a whole LZ4 frame (linked 4 MiB blocks, no checksums). */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  const lz4js: {
    compressBlock: typeof compressBlock;
    compressBound: typeof compressBound;
    compress: typeof compress;
  };
  export default lz4js;
}

/** lz4js' own xxh32 (used by the tests as a reference). */
declare module 'lz4js/xxh32.js' {
  const xxh32: { hash(seed: number, b: Uint8Array, i: number, n: number): number };
  export default xxh32;
}
