/**
 * rdbscope as a library: the one public entry (`import { scanFile } from 'rdbscope'`).
 *
 * - `scanFile(path, options)` and `scanStream(readable, options)` parse any RDB input
 *   (plain, gzip, LZ4 frame, zstd, detected from the first bytes) in a worker thread in
 *   bounded memory, call `onKey` on your thread for every key, and resolve with the file's
 *   facts, the key count and the instance memory estimate.
 * - `scan(bytes | chunkSource, options)` parses a plain RDB synchronously in this thread; it
 *   is the one that takes a `visitor` (element-level events, any subset of the methods).
 *
 * Everything else under src/ is internal and may change between versions.
 */
export { scanFile, scanStream, type AsyncScanOptions } from './api/scan-async.ts';
export { scan, type ScanOptions, type ScanBaseOptions, type MemoryOptions, type ScanResult } from './scan.ts';
export type { PartialVisitor as Visitor } from './format/partial-visitor.ts';
export type { ChunkSource } from './input/source.ts';
export { RdbError } from './core/types.ts';
export type { KeyRecord, FileInfo, RedisType, ValueVisitor, BlobKind, StreamMeta, StreamIdmpMeta } from './core/types.ts';
export { ALLOCATORS, type AllocatorProfile } from './memory/allocator.ts';
export type { InstanceEstimate } from './memory/instance.ts';
export type { ServerVersion } from './format/version.ts';
