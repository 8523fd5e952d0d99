/** Minimal declarations for the parts of lz4js (0.2.x, untyped CommonJS) that rdbscope uses. */
declare module 'lz4js' {
  /**
   * Decodes one raw LZ4 block `src[sIndex, sIndex + sLength)` into `dst` starting at `dIndex`
   * and returns the index just past the last byte written. Matches may reach back into
   * `dst[0, dIndex)`, which is how linked blocks see the previous block's tail. No bounds
   * checks: writes past `dst.length` are dropped but still counted in the returned index.
   */
  export function decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
  /** Encodes `src[sIndex, sIndex + sLength)` as one raw block into `dst` (from 0); returns its size, 0 when incompressible. */
  export function compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
  /** Worst-case compressed size for `n` input bytes. */
  export function compressBound(n: number): number;
  /** Compresses `src` into a whole LZ4 frame (linked 4 MiB blocks, no checksums). */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Decompresses a whole single LZ4 frame in memory. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  const lz4js: {
    decompressBlock: typeof decompressBlock;
    compressBlock: typeof compressBlock;
    compressBound: typeof compressBound;
    compress: typeof compress;
    decompress: typeof decompress;
  };
  export default lz4js;
}

/** lz4js' own xxh32 (used by the tests as a reference). */
declare module 'lz4js/xxh32.js' {
  const xxh32: { hash(seed: number, b: Uint8Array, i: number, n: number): number };
  export default xxh32;
}
