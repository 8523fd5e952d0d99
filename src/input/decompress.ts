/**
 * Opening an input: a file or stdin, plain RDB or gzip / LZ4-frame / zstd compressed,
 * recognised by its magic bytes and streamed as decompressed chunks with bounded memory
 * (everything is pulled by the consumer of `Input.chunks`).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fstatSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { RdbError } from '../core/types.ts';
import { MAGIC_BYTES, aofKind, aofMessage, detectFormat, type DetectedFormat } from './detect.ts';
import { Xxh32, xxh32 } from './xxh32.ts';
import { Lz4Block, LZ4_BAD_OFFSET, LZ4_OVERFLOW, LZ4_WINDOW } from './lz4-block.ts';
import { chunkFiller, type Filler } from './channel.ts';

export type InputFormat = Exclude<DetectedFormat, 'unknown'>;

export interface Input {
  /** What the magic bytes said. */
  format: InputFormat;
  /** The input's size on disk (compressed size for compressed inputs) when known: null for pipes. */
  compressedSize: number | null;
  /**
   * The decompressed bytes, in order. A chunk is valid until the next one is requested (its
   * memory may be reused then: copy what you keep), which spares a copy and a buffer per
   * chunk; the pump into the parse worker's ring copies it right away. Iterable once. Errors are
   * RdbErrors naming the input, except I/O errors from the OS, which pass through as is.
   */
  chunks: AsyncIterable<Uint8Array>;
  /**
   * For decoders that can write into given memory (zstd through libzstd), the other way to
   * read: decodes the next bytes into `dst`, resolving with how many (0 at the end). Use either
   * this or `chunks`, not both; null when the decoder cannot.
   */
  fill: Filler | null;
  /** Input (compressed) bytes consumed so far, for progress against compressedSize. */
  bytesRead(): number;
  /**
   * Releases the file or stream. Only needed when `chunks` is not iterated to its end
   * (breaking out of a for-await loop closes it too). Idempotent.
   */
  close(): Promise<void>;
}

const READ_SIZE = 1 << 20;
const EMPTY = new Uint8Array(0);

/** Opens `path` (`-` = stdin), detects its format from the first bytes and prepares the stream. */
export async function openInput(path: string): Promise<Input> {
  const name = path === '-' ? '<stdin>' : path;

  let raw: RawReader;
  let compressedSize: number | null = null;
  if (path === '-') {
    try {
      const st = fstatSync(0);
      if (st.isFile()) compressedSize = st.size;
    } catch {
      /* no usable fd 0: the stream will tell */
    }
    raw = streamReader(process.stdin);
  } else {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (st.isFile()) compressedSize = st.size;
    } catch (e) {
      await fh.close();
      throw e;
    }
    raw = fileReader(fh, READ_SIZE);
  }
  // Only a regular file can be opened again from its start (not a FIFO or a device).
  return openRaw(raw, name, compressedSize, path !== '-' && compressedSize !== null ? path : null);
}

/**
 * The same over bytes the caller streams (a Node Readable or any async iterable of byte
 * chunks): pulled only as fast as `Input.chunks` is consumed. `name` is for messages.
 */
export function openStream(source: AsyncIterable<Uint8Array | string>, name = '<stream>'): Promise<Input> {
  return openRaw(streamReader(source), name, null);
}

/** `file`: the input's path when it is a regular file. */
async function openRaw(raw: RawReader, name: string, compressedSize: number | null, file: string | null = null): Promise<Input> {
  const counted = new CountingReader(raw);

  // Peek: gather at least MAGIC_BYTES (or whatever there is) without losing any chunk.
  const head: Uint8Array[] = [];
  let headLen = 0;
  try {
    while (headLen < MAGIC_BYTES) {
      const c = await counted.read();
      if (c === null) break;
      if (c.length === 0) continue;
      head.push(c);
      headLen += c.length;
    }
  } catch (e) {
    await counted.close();
    throw e;
  }
  if (headLen === 0) {
    await counted.close();
    throw new RdbError(0, 'expected an RDB header, found an empty file', name);
  }
  const headBytes = head.length === 1 ? head[0]! : concat(head, headLen);
  const format = detectFormat(headBytes);
  if (format === 'unknown') {
    await counted.close();
    const aof = aofKind(headBytes);
    throw new RdbError(0, aof ? aofMessage(aof) : 'expected an RDB file (REDIS/VALKEY magic) or a gzip, LZ4 or zstd compressed one', name);
  }
  const reader = new PeekedReader(head, counted);

  let chunks: AsyncGenerator<Uint8Array>;
  let fill: Input['fill'] = null;
  let closeFill = async (): Promise<void> => {};
  switch (format) {
    case 'rdb':
      chunks = plainChunks(reader);
      break;
    case 'gzip': {
      // Only a file: a stream could not be decoded again if the tool failed.
      const tool = file && compressedSize !== null ? toolFor('gzip') : null;
      const gunzip = (r: RawReader, c: CountingReader) => gunzipChunks(r, name, c);
      chunks = tool
        ? toolChunks('gzip', tool, reader, name, counted, { path: file!, size: compressedSize!, contentSize: await gzipTrailerSize(file!, compressedSize!) }, gunzip)
        : gunzip(reader, counted);
      break;
    }
    case 'lz4':
      // Its ByteReader copies what it keeps of a chunk before it reads the next one.
      raw.reuseBuffers?.();
      chunks = lz4Chunks(reader, name);
      break;
    case 'zstd': {
      const onDisk = file && compressedSize !== null ? { path: file, size: compressedSize, contentSize: zstdContentSize(headBytes) } : null;
      const fzstd = (r: RawReader, c: CountingReader) => zstdChunks(r, name, c);
      const lib = zstdLibrary();
      if (lib) {
        // libzstd is done with an input chunk before it asks for the next one.
        raw.reuseBuffers?.();
        const f = libzstdFiller(lib, reader, name, counted, onDisk, fzstd);
        fill = f.fill;
        closeFill = f.close;
        chunks = filledChunks(fill, reader);
        break;
      }
      const tool = toolFor('zstd');
      chunks = tool ? toolChunks('zstd', tool, reader, name, counted, onDisk, fzstd) : fzstd(reader, counted);
      break;
    }
  }
  let started = false;
  const iterable: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      if (started) throw new Error(`${name}: Input.chunks can be iterated only once`);
      started = true;
      return chunks;
    },
  };
  return {
    format,
    compressedSize,
    chunks: iterable,
    fill,
    bytesRead: () => counted.count,
    close: async () => {
      await chunks.return(undefined);
      await closeFill();
      await reader.close();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Raw byte readers

interface RawReader {
  /** The next chunk (fresh unless `reuseBuffers()` was called), or null at end of input. */
  read(): Promise<Uint8Array | null>;
  close(): Promise<void>;
  /**
   * From now on a chunk's memory may be reused by the read after the next one: for readers
   * that are done with a chunk by then (not zlib or fzstd, which hold input asynchronously).
   * Saves a buffer of garbage per read. Readers of streams ignore it.
   */
  reuseBuffers?(): void;
}

function fileReader(fh: import('node:fs/promises').FileHandle, size: number): RawReader {
  let closed = false;
  let pool: Uint8Array[] | null = null;
  let turn = 0;
  return {
    reuseBuffers() {
      pool = [];
    },
    async read() {
      if (closed) return null;
      turn ^= 1;
      const buf = pool ? (pool[turn] ??= new Uint8Array(size)) : new Uint8Array(size);
      const { bytesRead } = await fh.read(buf, 0, size, null);
      if (bytesRead === 0) return null;
      return bytesRead === size ? buf : buf.subarray(0, bytesRead);
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}

function streamReader(stream: AsyncIterable<Uint8Array | string>): RawReader {
  const it = stream[Symbol.asyncIterator]();
  let done = false;
  return {
    async read() {
      if (done) return null;
      const r = await it.next();
      if (r.done) {
        done = true;
        return null;
      }
      const v = r.value;
      return typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
    },
    async close() {
      if (done) return;
      done = true;
      await it.return?.();
    },
  };
}

class CountingReader implements RawReader {
  count = 0;
  constructor(private readonly inner: RawReader) {}
  async read(): Promise<Uint8Array | null> {
    const c = await this.inner.read();
    if (c) this.count += c.length;
    return c;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Replays the chunks read while detecting the format, then continues with the reader. */
class PeekedReader implements RawReader {
  constructor(
    private readonly head: Uint8Array[],
    private readonly inner: RawReader,
  ) {}
  read(): Promise<Uint8Array | null> {
    const h = this.head.shift();
    return h ? Promise.resolve(h) : this.inner.read();
  }
  close(): Promise<void> {
    this.head.length = 0;
    return this.inner.close();
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of parts) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Plain

async function* plainChunks(r: RawReader): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      const c = await r.read();
      if (c === null) return;
      if (c.length) yield c;
    }
  } finally {
    await r.close();
  }
}

// ---------------------------------------------------------------------------------------
// gzip (node zlib; Gunzip decodes concatenated members on its own)

async function* gunzipChunks(r: RawReader, name: string, counted: CountingReader): AsyncGenerator<Uint8Array> {
  // Whole reads go in: zlib (node >= 20) stops between output chunks while its reader is
  // behind, so a highly compressed chunk does not balloon; smaller writes only add round trips
  // to zlib's thread.
  async function* rawGen() {
    for (;;) {
      const c = await r.read();
      if (c === null) return;
      yield c;
    }
  }
  const src = Readable.from(rawGen(), { objectMode: true, highWaterMark: 1 });
  // 1 MiB outputs: fewer round trips between zlib's thread and this one.
  const gz = createGunzip({ chunkSize: 1 << 20 });
  pipeline(src, gz, () => {
    /* errors surface through the iteration of gz below */
  });
  try {
    for await (const c of gz as AsyncIterable<Buffer>) yield c;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'Z_BUF_ERROR') {
      throw new RdbError(counted.count, 'gzip data ends unexpectedly (truncated file?)', name);
    }
    if (typeof code === 'string' && code.startsWith('Z_')) {
      // zlib reports no position; bytesWritten is where the input chunk it failed in starts.
      throw new RdbError(gz.bytesWritten, `corrupt gzip data at or after this offset (zlib: ${(e as Error).message})`, name);
    }
    throw e;
  } finally {
    src.destroy();
    gz.destroy();
    await r.close();
  }
}

// ---------------------------------------------------------------------------------------
// External decoders: the zstd tool (fzstd, in JS, is several times slower) and ISA-L's igzip
// (inflates in about two thirds of zlib's time) in a child process. A file is read by the
// tool itself; a stream is fed through its stdin (zstd only: node's own gzip is close enough)

/** What RDBSCOPE_ZSTD_TOOL / RDBSCOPE_GZIP_TOOL say: undefined when unset, null for `none` or empty, else the command. */
function toolSetting(format: 'zstd' | 'gzip'): string | null | undefined {
  const v = process.env[format === 'zstd' ? 'RDBSCOPE_ZSTD_TOOL' : 'RDBSCOPE_GZIP_TOOL'];
  return v === undefined ? undefined : v === '' || v === 'none' ? null : v;
}

/** The command for `format`: the one the environment names (toolSetting), else zstd / igzip. */
function toolFor(format: 'zstd' | 'gzip'): string | null {
  const v = toolSetting(format);
  return v !== undefined ? v : format === 'zstd' ? 'zstd' : 'igzip';
}

/** Resolves once `w` can take more (or is closed, e.g. the tool quit). */
function drained(w: import('node:stream').Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      w.off('drain', done);
      w.off('close', done);
      resolve();
    };
    w.on('drain', done);
    w.on('close', done);
  });
}

/** A zstd frame header's content size (RFC 8878, 3.1.1.1), or -1 when it does not say. */
export function zstdContentSize(h: Uint8Array): number {
  if (h.length < 5) return -1;
  const fhd = h[4]!;
  const single = (fhd >> 5) & 1;
  const size = [single, 2, 4, 8][fhd >> 6]!;
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]!;
  if (size === 0 || h.length < at + size) return -1;
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + h[at + i]!;
  return size === 2 ? v + 256 : v;
}

/** The last gzip member's ISIZE (its decoded size mod 2^32): the file's last 4 bytes, little-endian. */
async function gzipTrailerSize(path: string, size: number): Promise<number> {
  if (size < 18) return -1;
  const fh = await open(path, 'r');
  try {
    const b = new Uint8Array(4);
    await fh.read(b, 0, 4, size - 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  } finally {
    await fh.close();
  }
}

/** The gist of the tool's complaint, on one line. */
function toolMessage(stderr: string, code: number | null, signal: string | null): string {
  const line = stderr.split('\n').map((l) => l.replace(/^zstd:\s*/, '').replace(/^\/\*stdin\*\\\s*:\s*/, '').trim()).filter(Boolean).pop();
  return line ?? (signal ? `killed by ${signal}` : `exit status ${code}`);
}

/** A regular file's path and size, and what its header or trailer says of the decoded size. */
interface OnDisk {
  path: string;
  size: number;
  /** zstd: the frame header's content size; gzip: the last member's ISIZE (mod 2^32); -1 when unknown. */
  contentSize: number;
}

/**
 * `file`: the input's path when it is a regular file, read by the tool itself; then `counted`
 * is advanced by an estimate (output so far × size / content size, when the file says its
 * content size), for progress. `fallback` is the in-process decoder over a reader.
 */
async function* toolChunks(
  format: 'zstd' | 'gzip',
  tool: string,
  r: RawReader,
  name: string,
  counted: CountingReader,
  file: OnDisk | null,
  fallback: (r: RawReader, counted: CountingReader) => AsyncGenerator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const args = file ? ['-d', '-c', '-q', '--', file.path] : ['-d', '-c', '-q'];
  const child = spawn(tool, args, { stdio: [file ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  child.on('error', () => {
    /* spawn failures show as pid undefined below; later ones as the exit status */
  });
  if (child.pid === undefined) {
    // Missing or not runnable: nothing was read yet.
    yield* fallback(r, counted);
    return;
  }
  const stdout = child.stdout!;
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  const exited = new Promise<[number | null, string | null]>((resolve) => child.once('close', (code, signal) => resolve([code, signal])));
  let readError: unknown = null;
  let fed = 0;
  const stdin = child.stdin;
  // EPIPE once the tool has quit: its exit status says why.
  stdin?.on('error', () => {});
  const feed = stdin
    ? (async () => {
        try {
          for (;;) {
            const c = await r.read();
            if (c === null || stdin.destroyed) break;
            fed += c.length;
            if (!stdin.write(c)) await drained(stdin);
          }
          stdin.end();
        } catch (e) {
          readError = e;
          stdin.destroy();
        }
      })()
    : r.close();

  // gzip's ISIZE is mod 2^32: the smallest decoded size it allows that is not below the file's.
  let content = file ? file.contentSize : -1;
  if (file && format === 'gzip' && content >= 0) while (content < file.size) content += 2 ** 32;
  const ratio = file && content > 0 ? file.size / content : 0;
  let delivered = 0;
  let failure: [number | null, string | null] | null = null;
  try {
    for await (const c of stdout as AsyncIterable<Buffer>) {
      delivered += c.length;
      if (ratio) counted.count = Math.min(file!.size, Math.round(delivered * ratio));
      yield c;
    }
    const status = await exited;
    await feed;
    if (readError !== null) throw readError;
    if (status[0] === 0) {
      if (file) counted.count = file.size;
      // igzip ignores what follows the last member, node's zlib refuses it: when the trailer's
      // size does not match the output (bytes after the end, or several members), node decides.
      if (!file || format !== 'gzip' || file.contentSize === delivered % 2 ** 32) return;
    } else {
      failure = status;
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    stdin?.destroy();
    stdout.destroy();
    await r.close();
  }
  if (file) {
    yield* decodeAgain(file, delivered, counted, fallback);
    return;
  }
  const why = toolMessage(stderr, failure![0], failure![1]);
  if (/premature end|truncated/i.test(why)) throw new RdbError(counted.count, `${format} data ends unexpectedly (truncated file?)`, name);
  // The tool names no position: it had been handed this many bytes.
  throw new RdbError(fed, `corrupt ${format} data at or before this offset (${format}: ${why})`, name);
}

/**
 * After an external or native decoder failed on a file: the file decoded again in-process, whose
 * verdict (and offset) then stands, so results never depend on which decoder ran. The `skip`
 * bytes delivered already are not delivered again.
 */
async function* decodeAgain(
  file: OnDisk,
  skip: number,
  counted: CountingReader,
  fallback: (r: RawReader, counted: CountingReader) => AsyncGenerator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const again = new CountingReader(fileReader(await open(file.path, 'r'), READ_SIZE));
  for await (const c of fallback(again, again)) {
    // Progress: the figure so far until the second reading passes it.
    if (again.count > counted.count) counted.count = again.count;
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    yield skip ? c.subarray(skip) : c;
    skip = 0;
  }
  counted.count = file.size;
}

// ---------------------------------------------------------------------------------------
// zstd through libzstd in-process (zstd-napi, an optional native dependency): no child
// process and no copy of the decoded bytes, which it writes straight into the input ring

/** What is used of zstd-napi's low-level binding (a thin wrapper of libzstd's API). */
interface ZstdLibrary {
  DCtx: new () => {
    /** ZSTD_decompressStream: [0 once a frame is complete, else a hint; bytes written; bytes consumed]. */
    decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
  };
  versionString(): string;
}
let library: ZstdLibrary | null | undefined;

/** zstd-napi's binding, unless RDBSCOPE_ZSTD_LIB=none, an explicit RDBSCOPE_ZSTD_TOOL, or it is not installed. */
function zstdLibrary(): ZstdLibrary | null {
  if (process.env.RDBSCOPE_ZSTD_LIB === 'none' || toolSetting('zstd')) return null;
  if (library === undefined) {
    try {
      library = createRequire(import.meta.url)('zstd-napi/binding') as ZstdLibrary;
    } catch {
      library = null;
    }
  }
  return library;
}

/** libzstd's version when zstd input is decoded by it in this process, else null (for tests and the benchmark). */
export function zstdLibraryVersion(): string | null {
  return zstdLibrary()?.versionString() ?? null;
}

/**
 * libzstd's streaming decoder as Input.fill. Its verdict on the data stands (it also checks
 * the content checksum, which fzstd does not). A frame whose window is over libzstd's default
 * limit (128 MiB, as for the zstd tool without --memory) goes to `fallback` instead, which has
 * no such limit: a file decoded again, or a stream whose first frame it is.
 */
function libzstdFiller(
  lib: ZstdLibrary,
  r: RawReader,
  name: string,
  counted: CountingReader,
  file: OnDisk | null,
  fallback: (r: RawReader, counted: CountingReader) => AsyncGenerator<Uint8Array>,
): { fill: Filler; close(): Promise<void> } {
  const dctx = new lib.DCtx();
  let src: Uint8Array = EMPTY;
  let ended = false;
  /** 0 once a frame is complete (libzstd's return value), else more input is needed. */
  let hint = 0;
  /** The last call filled its output: the context may hold decoded bytes still. */
  let full = false;
  let delivered = 0;
  let again: { fill: Filler; close(): Promise<void> } | null = null;

  const decode = async (dst: Uint8Array): Promise<number> => {
    for (;;) {
      if (src.length === 0 && !full) {
        if (ended) {
          if (hint !== 0) throw new RdbError(counted.count, 'zstd data ends unexpectedly (truncated file?)', name);
          return 0;
        }
        const c = await r.read();
        if (c === null) ended = true;
        else src = c;
        continue;
      }
      let res: [number, number, number];
      try {
        res = dctx.decompressStream(dst, src);
      } catch (e) {
        // libzstd names no position: the offset is where the input it failed in starts.
        throw new RdbError(counted.count - src.length, `corrupt zstd data at or after this offset (${(e as Error).message})`, name);
      }
      const [h, written, consumed] = res;
      // A call that neither reads nor writes (after a frame, with no input) hints at the next
      // frame's header: that is not a frame left unfinished.
      if (written || consumed) hint = h;
      full = written === dst.length;
      src = src.subarray(consumed);
      if (written) return written;
    }
  };
  return {
    fill: async (dst) => {
      if (again) return again.fill(dst);
      try {
        const n = await decode(dst);
        delivered += n;
        return n;
      } catch (e) {
        if (!(e instanceof RdbError) || !/too much memory/.test(e.message)) throw e;
        if (file) {
          await r.close();
          again = chunkFiller(decodeAgain(file, delivered, counted, fallback));
        } else if (delivered === 0 && counted.count === src.length) {
          // libzstd stopped in the first frame's header: `src` is the stream from its start.
          again = chunkFiller(fallback(new PeekedReader([src], r), counted));
        } else throw e;
        return again.fill(dst);
      }
    },
    close: async () => {
      await again?.close();
    },
  };
}


/** A filler's output as chunks (two buffers in turn, each valid until the next chunk is asked for). */
async function* filledChunks(fill: Filler, r: RawReader): AsyncGenerator<Uint8Array> {
  const bufs = [new Uint8Array(READ_SIZE), new Uint8Array(READ_SIZE)];
  let turn = 0;
  try {
    for (;;) {
      const buf = bufs[(turn ^= 1)]!;
      const n = await fill(buf);
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } finally {
    await r.close();
  }
}

// ---------------------------------------------------------------------------------------
// zstd (fzstd streaming decoder)

/** Largest compressed slice pushed into fzstd at once; shrinks when output balloons. */
const ZSTD_SLICE_MAX = 256 << 10;
const ZSTD_SLICE_MIN = 4 << 10;
const ZSTD_OUTPUT_SOFT_LIMIT = 16 << 20;

async function* zstdChunks(r: RawReader, name: string, counted: CountingReader): AsyncGenerator<Uint8Array> {
  let out: Uint8Array[] = [];
  let outBytes = 0;
  const dec = new ZstdDecompress((data) => {
    if (data.length) {
      out.push(data);
      outBytes += data.length;
    }
  });
  let pushed = 0; // compressed bytes handed to fzstd so far
  let slice = ZSTD_SLICE_MAX;
  const push = (data: Uint8Array, final: boolean) => {
    try {
      dec.push(data, final);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 5) throw new RdbError(counted.count, 'zstd data ends unexpectedly (truncated file?)', name);
      // fzstd reports no position: the offset is where the slice it failed in starts.
      throw new RdbError(pushed, `corrupt zstd data at or after this offset (${(e as Error).message})`, name);
    }
    pushed += data.length;
  };
  try {
    for (;;) {
      const c = await r.read();
      if (c === null) {
        push(EMPTY, true);
        for (const o of out) yield o;
        return;
      }
      for (let p = 0; p < c.length; ) {
        const end = Math.min(c.length, p + slice);
        push(c.subarray(p, end), false);
        p = end;
        // Adapt the slice so one push cannot produce unbounded output (RLE blocks).
        if (outBytes > ZSTD_OUTPUT_SOFT_LIMIT) slice = Math.max(ZSTD_SLICE_MIN, slice >> 2);
        else if (outBytes < ZSTD_OUTPUT_SOFT_LIMIT >> 4 && slice < ZSTD_SLICE_MAX) slice <<= 1;
        if (out.length) {
          const batch = out;
          out = [];
          outBytes = 0;
          for (const o of batch) yield o;
        }
      }
    }
  } finally {
    await r.close();
  }
}

// ---------------------------------------------------------------------------------------
// LZ4 frame format (own streaming frame parser and block decoder)

const LZ4_MAGIC = 0x184d2204;
const LZ4_LEGACY_MAGIC = 0x184c2102;
const LZ4_SKIPPABLE_MASK = 0xfffffff0;
const LZ4_SKIPPABLE = 0x184d2a50;

/** Exact-size reads over a chunk stream, tracking the absolute offset. */
class ByteReader {
  private chunk: Uint8Array = EMPTY;
  private pos = 0;
  private scratch: Uint8Array = EMPTY;
  /** Absolute offset of the next unread byte. */
  offset = 0;
  constructor(private readonly r: RawReader) {}

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      const c = await this.r.read();
      if (c === null) return true;
      this.chunk = c;
      this.pos = 0;
    }
    return false;
  }

  /**
   * The next `n` bytes as a view valid until the next call, or null when the input ends
   * first (the bytes that were there are consumed; `offset` is then the end of input).
   */
  async take(n: number): Promise<Uint8Array | null> {
    if (this.chunk.length - this.pos >= n) {
      const v = this.chunk.subarray(this.pos, this.pos + n);
      this.pos += n;
      this.offset += n;
      return v;
    }
    if (this.scratch.length < n) this.scratch = new Uint8Array(Math.max(n, 64));
    const v = this.scratch.subarray(0, n);
    return (await this.fill(v)) ? v : null;
  }

  /** Reads the next `dst.length` bytes into `dst`; false when the input ends first (as take). */
  async fill(dst: Uint8Array): Promise<boolean> {
    let have = 0;
    while (have < dst.length) {
      if (this.pos >= this.chunk.length && (await this.atEnd())) return false;
      const k = Math.min(dst.length - have, this.chunk.length - this.pos);
      dst.set(this.chunk.subarray(this.pos, this.pos + k), have);
      have += k;
      this.pos += k;
      this.offset += k;
    }
    return true;
  }

  /** Skips `n` bytes; false when the input ends first. */
  async skip(n: number): Promise<boolean> {
    while (n > 0) {
      if (this.pos >= this.chunk.length && (await this.atEnd())) return false;
      const k = Math.min(n, this.chunk.length - this.pos);
      this.pos += k;
      this.offset += k;
      n -= k;
    }
    return true;
  }
}

const u32le = (b: Uint8Array, p = 0) => (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
const hex32 = (v: number) => '0x' + v.toString(16).toUpperCase().padStart(8, '0');

async function* lz4Chunks(r: RawReader, name: string): AsyncGenerator<Uint8Array> {
  const br = new ByteReader(r);
  const fail = (offset: number, what: string): never => {
    throw new RdbError(offset, what, name);
  };
  const need = async (n: number, what: string): Promise<Uint8Array> => {
    const v = await br.take(n);
    return v ?? fail(br.offset, `LZ4 data ends unexpectedly in ${what} (truncated file?)`);
  };
  const fill = async (dst: Uint8Array, what: string): Promise<void> => {
    if (!(await br.fill(dst))) fail(br.offset, `LZ4 data ends unexpectedly in ${what} (truncated file?)`);
  };
  // Every block, stored ones too, lands in the decoder's output area, which lives in the
  // content hash's memory (output is hashed in place); both are kept across frames unless a
  // frame's blocks are larger. Linked blocks find the last `histLen` bytes of output (up to
  // 64 KiB) at the front of that area.
  let sum: Xxh32 | null = null;
  let dec: Lz4Block | null = null;
  let decMax = 0;
  let histLen = 0;

  try {
    let frames = 0;
    while (!(await br.atEnd())) {
      const frameStart = br.offset;
      const magic = u32le(await need(4, 'a frame magic'));
      if ((magic & LZ4_SKIPPABLE_MASK) === LZ4_SKIPPABLE >>> 0) {
        const size = u32le(await need(4, 'a skippable frame header'));
        if (!(await br.skip(size))) fail(br.offset, 'LZ4 data ends unexpectedly in a skippable frame (truncated file?)');
        continue;
      }
      if (magic === LZ4_LEGACY_MAGIC) fail(frameStart, 'legacy LZ4 frames (lz4 -l) are not supported; recompress with the default LZ4 frame format');
      if (magic !== LZ4_MAGIC) {
        fail(frameStart, `expected an LZ4 frame (magic 04 22 4D 18)${frames ? ' or the end of the file after the previous frame' : ''}, found ${hex32(magic)}`);
      }
      frames++;

      // Frame descriptor: FLG, BD, [content size: 8], [dict id: 4], HC.
      const fb = await need(2, 'a frame descriptor');
      const flg = fb[0]!;
      const bd = fb[1]!;
      if (flg >> 6 !== 1) fail(frameStart + 4, `unsupported LZ4 frame version ${flg >> 6} (FLG byte ${flg})`);
      if (flg & 0x02 || bd & 0x8f) fail(frameStart + 4, 'corrupt LZ4 frame descriptor (reserved bits set)');
      const independent = (flg & 0x20) !== 0;
      const blockSums = (flg & 0x10) !== 0;
      const hasContentSize = (flg & 0x08) !== 0;
      const contentSum = (flg & 0x04) !== 0;
      const hasDict = (flg & 0x01) !== 0;
      const bsId = (bd >> 4) & 7;
      if (bsId < 4) fail(frameStart + 5, `corrupt LZ4 frame descriptor (block size id ${bsId})`);
      const blockMax = 1 << (8 + 2 * bsId);
      const extra = (hasContentSize ? 8 : 0) + (hasDict ? 4 : 0);
      const desc = new Uint8Array(2 + extra);
      desc[0] = flg;
      desc[1] = bd;
      const rest = await need(extra + 1, 'a frame descriptor');
      desc.set(rest.subarray(0, extra), 2);
      const hc = rest[extra]!;
      if (hc !== ((xxh32(desc) >>> 8) & 0xff)) {
        fail(frameStart + 6 + extra, 'corrupt LZ4 frame descriptor (header checksum mismatch)');
      }
      let contentSize = -1;
      if (hasContentSize) contentSize = u32le(desc, 2) + u32le(desc, 6) * 2 ** 32;
      if (hasDict) fail(frameStart + 4, 'LZ4 frames that need a dictionary are not supported');

      if (dec === null || decMax < blockMax) {
        sum = new Xxh32(0, Lz4Block.bytes(blockMax));
        dec = new Lz4Block(blockMax, sum.memory, sum.region.byteOffset);
        decMax = blockMax;
      }
      sum!.reset();
      let produced = 0;
      histLen = 0;
      for (;;) {
        const blockStart = br.offset;
        const word = u32le(await need(4, 'a block header'));
        if (word === 0) break; // end mark
        const stored = (word & 0x80000000) !== 0;
        const size = word & 0x7fffffff;
        if (size > blockMax) fail(blockStart, `corrupt LZ4 block (size ${size} exceeds the frame's ${blockMax}-byte block maximum)`);
        // The block is read straight into the decoder: a stored one into its output area, a
        // compressed one into its input.
        const out = dec.out;
        const start = independent ? 0 : histLen;
        const data = stored ? out.subarray(start, start + size) : dec.input.subarray(0, size);
        await fill(data, 'a block');
        const dataSum = blockSums ? xxh32(data) : 0;
        let end: number;
        if (stored) {
          end = start + size;
        } else {
          end = dec.decode(size, start, start + blockMax);
          if (end < 0) {
            fail(
              blockStart,
              end === LZ4_OVERFLOW
                ? `corrupt LZ4 block (decodes past the ${blockMax}-byte block maximum)`
                : end === LZ4_BAD_OFFSET
                  ? 'corrupt LZ4 block (a match reaches back before the start of the data)'
                  : 'corrupt LZ4 block (a sequence runs past the end of the block)',
            );
          }
        }
        if (blockSums) {
          const want = u32le(await need(4, 'a block checksum'));
          if (want !== dataSum) fail(blockStart, 'corrupt LZ4 block (block checksum mismatch)');
        }
        if (end === start) continue;
        if (contentSum) sum!.update(out, start, end);
        produced += end - start;
        yield out.subarray(start, end);
        // The chunk is released: keep the last 64 KiB of output in front for the next block.
        if (!independent) {
          histLen = Math.min(end, LZ4_WINDOW);
          out.copyWithin(0, end - histLen, end);
        }
      }
      if (contentSum) {
        const at = br.offset;
        const want = u32le(await need(4, 'the content checksum'));
        if (want !== sum!.digest()) fail(at, 'corrupt LZ4 frame (content checksum mismatch)');
      }
      if (contentSize >= 0 && contentSize !== produced) {
        fail(br.offset, `corrupt LZ4 frame (decoded ${produced} bytes, the header announced ${contentSize})`);
      }
    }
  } finally {
    await r.close();
  }
}
