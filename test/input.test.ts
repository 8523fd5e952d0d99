import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import lz4js from 'lz4js';
import { RdbError } from '../src/core/types.ts';
import { bufferSource, fileSource, type ChunkSource } from '../src/input/source.ts';
import { detectFormat } from '../src/input/detect.ts';
import { openInput, openStream, zstdContentSize, zstdLibraryVersion, type Input } from '../src/input/decompress.ts';
import { Xxh32, xxh32 } from '../src/input/xxh32.ts';
import { Lz4Block, LZ4_BAD_OFFSET, LZ4_OVERFLOW, LZ4_TRUNCATED } from '../src/input/lz4-block.ts';
import { createControl, pumpToRing, readProgress, type PumpResult } from '../src/input/channel.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA = fileURLToPath(new URL('./data', import.meta.url));
/**
 * Node 20 does not apply `--import tsx` from a Worker's execArgv to the worker's entry
 * module, so the worker boots from a small eval script that registers tsx first.
 */
const WORKER_BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(({ register }) => { register(); return import(${JSON.stringify(new URL('./input-worker.ts', import.meta.url).href)}); })`;

/** RDB-ish bytes: `REDIS0011`, then short random runs, repeated words and long byte runs. */
function makePayload(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(new TextEncoder().encode('REDIS0011'), 0);
  let x = seed >>> 0 || 1;
  const rnd = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const words = ['user:', 'session:', 'cache:', 'queue:', 'value-', 'lorem ipsum dolor sit amet '];
  let p = 9;
  while (p < size) {
    const r = rnd();
    if (r % 10 === 0) {
      const n = 1 + (rnd() % 4000);
      const b = rnd() & 0xff;
      for (let i = 0; i < n && p < size; i++) out[p++] = b;
    } else if (r % 3 === 0) {
      const n = 1 + (rnd() % 24);
      for (let i = 0; i < n && p < size; i++) out[p++] = rnd() & 0xff;
    } else {
      const s = words[r % words.length] + (rnd() % 100000);
      for (let i = 0; i < s.length && p < size; i++) out[p++] = s.charCodeAt(i);
    }
  }
  return out;
}

/** Mostly incompressible bytes (so some LZ4 blocks end up stored). */
function randomBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x >>> 24;
  }
  return out;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function cat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

const le32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};

interface Lz4FrameOptions {
  /** 4..7 → 64 KiB .. 4 MiB. */
  blockSizeId?: number;
  blockChecksum?: boolean;
  contentChecksum?: boolean;
  contentSize?: boolean;
}

/** A test-only LZ4 frame writer: independent blocks compressed with lz4js's block compressor. */
function lz4Frame(src: Uint8Array, o: Lz4FrameOptions = {}): Uint8Array {
  const bsId = o.blockSizeId ?? 4;
  const blockMax = 1 << (8 + 2 * bsId);
  const flg = 0x40 | 0x20 | (o.blockChecksum ? 0x10 : 0) | (o.contentSize ? 0x08 : 0) | (o.contentChecksum ? 0x04 : 0);
  const desc = [flg, bsId << 4];
  if (o.contentSize) {
    const cs = new Uint8Array(8);
    new DataView(cs.buffer).setBigUint64(0, BigInt(src.length), true);
    desc.push(...cs);
  }
  const head = Uint8Array.from(desc);
  const parts: Uint8Array[] = [le32(0x184d2204), head, Uint8Array.of((xxh32(head) >>> 8) & 0xff)];
  const dst = new Uint8Array(lz4js.compressBound(blockMax));
  for (let p = 0; p < src.length; p += blockMax) {
    const end = Math.min(src.length, p + blockMax);
    const n = lz4js.compressBlock(src, dst, p, end - p, new Uint32Array(1 << 16));
    const stored = !(n > 0 && n < end - p);
    const block = stored ? src.slice(p, end) : dst.slice(0, n);
    parts.push(le32(stored ? 0x80000000 | block.length : block.length), block);
    if (o.blockChecksum) parts.push(le32(xxh32(block)));
  }
  parts.push(le32(0));
  if (o.contentChecksum) parts.push(le32(xxh32(src)));
  return cat(...parts);
}

const skippableFrame = (n: number) => cat(le32(0x184d2a5a), le32(n), new Uint8Array(n).fill(0xee));

/** All the chunks, each copied as it arrives (a chunk is valid until the next is requested). */
async function drain(input: Input): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of input.chunks) parts.push(Uint8Array.from(c));
  return cat(...parts);
}

async function readAll(path: string): Promise<{ input: Input; bytes: Uint8Array }> {
  const input = await openInput(path);
  return { input, bytes: await drain(input) };
}

function isRdbError(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof RdbError, `expected an RdbError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  };
}

const hasCli = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;

/** Runs `fn` with these environment variables set, then puts them back. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const old = Object.keys(vars).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of old) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** A shell script standing in for a decoder command; every run appends a line to `log` first. */
function fakeTool(log: string, name: string, body: string): string {
  const p = file(name, new TextEncoder().encode(`#!/bin/sh\necho "$0" >> '${log}'\n${body}\n`));
  chmodSync(p, 0o755);
  return p;
}
const runsIn = (log: string) => readFileSync(log, 'utf8').split('\n').filter(Boolean).length;

let dir: string;
let payload: Uint8Array;
const file = (name: string, data?: Uint8Array) => {
  const p = join(dir, name);
  if (data) writeFileSync(p, data);
  return p;
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdbscope-input-'));
  payload = makePayload(3 << 20, 12345);
  file('plain.rdb', payload);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('detectFormat', () => {
  test('recognises magics, never names', () => {
    const b = (...x: number[]) => Uint8Array.from(x);
    const t = (s: string) => new TextEncoder().encode(s);
    assert.equal(detectFormat(t('REDIS0011')), 'rdb');
    assert.equal(detectFormat(t('VALKEY080')), 'rdb');
    assert.equal(detectFormat(b(0x1f, 0x8b, 8, 0)), 'gzip');
    assert.equal(detectFormat(b(0x04, 0x22, 0x4d, 0x18, 0x64)), 'lz4');
    assert.equal(detectFormat(b(0x28, 0xb5, 0x2f, 0xfd, 0)), 'zstd');
    assert.equal(detectFormat(t('REDI')), 'unknown');
    assert.equal(detectFormat(t('VALKE')), 'unknown');
    assert.equal(detectFormat(b(0x1f)), 'unknown');
    assert.equal(detectFormat(b()), 'unknown');
    assert.equal(detectFormat(t('PK\x03\x04')), 'unknown');
  });
});

describe('xxh32', () => {
  test('matches the lz4js reference implementation, streamed or not', async () => {
    const ref = (await import('lz4js/xxh32.js')) as unknown as { default: { hash(seed: number, b: Uint8Array, i: number, n: number): number } };
    const data = makePayload(5000, 3);
    for (const n of [0, 1, 3, 4, 15, 16, 17, 33, 1000, 5000]) {
      const want = ref.default.hash(0, data, 0, n) >>> 0;
      assert.equal(xxh32(data, 0, n), want, `len ${n}`);
      const s = new Xxh32();
      for (let i = 0; i < n; i += 7) s.update(data, i, Math.min(n, i + 7));
      assert.equal(s.digest(), want, `streamed len ${n}`);
    }
  });

  test('data in its own region is hashed in place, any offset and split; large inputs through the scratch window', async () => {
    const ref = (await import('lz4js/xxh32.js')) as unknown as { default: { hash(seed: number, b: Uint8Array, i: number, n: number): number } };
    const data = makePayload(300_000, 9);
    const h = new Xxh32(0, 200_000);
    for (const [off, n, step] of [[0, 150_000, 150_000], [3, 100_001, 4099], [17, 33, 5], [1, 0, 1]] as const) {
      h.region.set(data.subarray(0, n), off);
      h.reset();
      for (let i = 0; i < n; i += step) h.update(h.region, off + i, off + Math.min(n, i + step));
      assert.equal(h.digest(), ref.default.hash(0, data, 0, n) >>> 0, `region offset ${off}, ${n} bytes in steps of ${step}`);
    }
    // Bigger than the scratch window, with a seed, one call and split unevenly.
    const want = ref.default.hash(7, data, 0, data.length) >>> 0;
    assert.equal(xxh32(data, 0, data.length, 7), want);
    const s = new Xxh32(7);
    s.update(data, 0, 70_001).update(data, 70_001, 200_000).update(data, 200_000);
    assert.equal(s.digest(), want);
  });
});

describe('LZ4 block decoder', () => {
  /**
   * Decodes `src[s, e)` into `dst` from `d` like the frame reader does: `dst`'s bytes before
   * `d` are the history, nothing is written at or past `dst.length`.
   */
  const decodeBlock = (src: Uint8Array, s: number, e: number, dst: Uint8Array, d: number): number => {
    const blockMax = Math.max(e - s, dst.length, 1);
    const mem = new WebAssembly.Memory({ initial: Math.ceil((Lz4Block.bytes(blockMax) + 64) / 65536) });
    const dec = new Lz4Block(blockMax, mem, 64);
    dec.out.set(dst.subarray(0, d), 0);
    dec.input.set(src.subarray(s, e));
    const end = dec.decode(e - s, d, dst.length);
    if (end >= 0) dst.set(dec.out.subarray(d, end), d);
    return end;
  };

  /** One raw block: a token, extended lengths, literals, then the match offset. */
  const seq = (lits: number[], off?: number, matchLen = 0): number[] => {
    const ext = (n: number) => {
      const out: number[] = [];
      for (n -= 15; n >= 255; n -= 255) out.push(255);
      out.push(n);
      return out;
    };
    const l = lits.length;
    const m = off === undefined ? 0 : matchLen - 4;
    const token = (Math.min(l, 15) << 4) | Math.min(m, 15);
    const out = [token, ...(l >= 15 ? ext(l) : []), ...lits];
    if (off !== undefined) out.push(off & 0xff, off >> 8, ...(m >= 15 ? ext(m) : []));
    return out;
  };
  const decode = (block: number[], size: number, slack = 0) => {
    const dst = new Uint8Array(size + slack);
    const end = decodeBlock(Uint8Array.from(block), 0, block.length, dst, 0);
    return end < 0 ? end : Array.from(dst.subarray(0, end));
  };

  test('round-trips lz4js blocks of every kind of data, with and without room for wide copies', () => {
    const payloads = [makePayload(300_000, 7), cat(randomBytes(20_000, 3), makePayload(20_000, 4)), new Uint8Array(70_000).fill(7)];
    // Short periods repeat the bytes a match is writing (offsets 1..9 around the 8-byte copies).
    for (let period = 1; period <= 9; period++) payloads.push(Uint8Array.from({ length: 5000 }, (_, i) => (i % period) * 31));
    for (const src of payloads) {
      const dst = new Uint8Array(lz4js.compressBound(src.length));
      const n = lz4js.compressBlock(src, dst, 0, src.length, new Uint32Array(1 << 16));
      assert.ok(n > 0 && n < src.length, `payload of ${src.length} compresses`);
      for (const slack of [0, 64]) {
        const out = new Uint8Array(src.length + slack);
        assert.equal(decodeBlock(dst, 0, n, out, 0), src.length);
        assert.ok(Buffer.from(out.subarray(0, src.length)).equals(src), `payload of ${src.length}, slack ${slack}`);
      }
    }
  });

  test('hand-made sequences: overlapping matches, long lengths, history before the start', () => {
    assert.deepEqual(decode([...seq([1, 2, 3], 3, 10), ...seq([9])], 14), [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 9]);
    const lits = Array.from({ length: 300 }, (_, i) => i & 0xff);
    assert.deepEqual(decode([...seq(lits, 1, 40), ...seq([])], 340, 16), [...lits, ...Array(40).fill(lits[299])]);
    // Every short offset and length around the 8-byte copies, with and without room for them.
    const head = [11, 22, 33, 44, 55, 66, 77, 88, 99];
    for (let off = 1; off <= 9; off++) {
      for (let len = 4; len <= 40; len++) {
        const want = [...head];
        for (let i = 0; i < len; i++) want.push(want[want.length - off]!);
        want.push(1, 2, 3, 4, 5);
        for (const slack of [0, 16]) {
          assert.deepEqual(decode([...seq(head, off, len), ...seq([1, 2, 3, 4, 5])], want.length, slack), want, `offset ${off}, length ${len}, slack ${slack}`);
        }
      }
    }
    // A linked block's match reaches into the history placed in front of it.
    const dst = Uint8Array.of(5, 6, 7, 8, 0, 0, 0, 0, 0);
    const block = Uint8Array.from([...seq([], 4, 5), ...seq([])]);
    assert.equal(decodeBlock(block, 0, block.length, dst, 4), 9);
    assert.deepEqual(Array.from(dst), [5, 6, 7, 8, 5, 6, 7, 8, 5]);
  });

  test('damaged blocks are reported, never decoded into garbage', () => {
    assert.equal(decode([0x50, 1, 2], 10), LZ4_TRUNCATED, 'literals past the end');
    assert.equal(decode([0xf0, 255], 400), LZ4_TRUNCATED, 'length bytes past the end');
    assert.equal(decode([0x10, 1, 1], 10), LZ4_TRUNCATED, 'half an offset');
    assert.equal(decode([0x10, 1, 0, 0], 10), LZ4_BAD_OFFSET, 'offset 0');
    assert.equal(decode([0x10, 1, 2, 0], 10), LZ4_BAD_OFFSET, 'offset before the start');
    assert.equal(decode(seq([1, 2, 3, 4, 5]), 4), LZ4_OVERFLOW, 'literals past the output');
    assert.equal(decode(seq([1], 1, 20), 10, 8), LZ4_OVERFLOW, 'match past the output');
    // Random damage to a real block: a result code or a length within the output, never an exception.
    const src = makePayload(20_000, 5);
    const block = new Uint8Array(lz4js.compressBound(src.length));
    const n = lz4js.compressBlock(src, block, 0, src.length, new Uint32Array(1 << 16));
    const out = new Uint8Array(src.length);
    let x = 12345;
    const codes = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      const bad = block.slice(0, n);
      for (let k = 0; k < 1 + (i % 4); k++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        bad[x % n] = x >>> 24;
      }
      const end = decodeBlock(bad, 0, i % 7 === 0 ? n >> 1 : n, out, 0);
      assert.ok(end >= 0 ? end <= out.length : end === LZ4_TRUNCATED || end === LZ4_BAD_OFFSET || end === LZ4_OVERFLOW);
      codes.add(Math.sign(end));
    }
    assert.deepEqual([...codes].sort(), [-1, 1], 'damage both detected and undetectable by the block alone');
  });
});

describe('sources', () => {
  test('bufferSource serves the buffer in chunks', () => {
    const buf = makePayload(10000, 1);
    const got: Uint8Array[] = [];
    const src = bufferSource(buf, 3000);
    for (let c = src.next(); c; c = src.next()) got.push(c);
    assert.deepEqual(got.map((c) => c.length), [3000, 3000, 3000, 1000]);
    assert.equal(sha(cat(...got)), sha(buf));
    assert.equal(bufferSource(new Uint8Array(0)).next(), null);
    const whole = bufferSource(buf);
    assert.equal(whole.next()?.length, 10000);
    assert.equal(whole.next(), null);
  });

  test('fileSource yields exactly the file bytes, each chunk valid until the next call', () => {
    for (const size of [4096, 1000003, undefined]) {
      const src: ChunkSource = fileSource(file('plain.rdb'), size);
      const parts: Uint8Array[] = [];
      let prev: Uint8Array | null = null;
      let prevCopy: Uint8Array | null = null;
      for (let c = src.next(); c; c = src.next()) {
        // The previous chunk must not have been overwritten by this read.
        if (prev) assert.deepEqual(prev, prevCopy);
        parts.push(c.slice());
        prev = c;
        prevCopy = c.slice();
      }
      assert.equal(src.next(), null);
      assert.equal(sha(cat(...parts)), sha(payload), `chunkSize ${size}`);
    }
    const empty = fileSource(file('empty-src', new Uint8Array(0)));
    assert.equal(empty.next(), null);
    const early = fileSource(file('plain.rdb'), 1024);
    assert.ok(early.next());
    early.close();
    assert.equal(early.next(), null);
  });
});

describe('openInput', () => {
  test('plain RDB', async () => {
    const { input, bytes } = await readAll(file('plain.rdb'));
    assert.equal(input.format, 'rdb');
    assert.equal(input.compressedSize, payload.length);
    assert.equal(input.bytesRead(), payload.length);
    assert.equal(sha(bytes), sha(payload));
  });

  test('gzip, one member and two concatenated members', async () => {
    const one = file('one.rdb.gz', gzipSync(payload));
    const half = payload.length >> 1;
    const two = file('two.rdb.gz', cat(gzipSync(payload.subarray(0, half)), gzipSync(payload.subarray(half), { level: 1 })));
    for (const p of [one, two]) {
      const { input, bytes } = await readAll(p);
      assert.equal(input.format, 'gzip');
      assert.equal(input.compressedSize, readFileSync(p).length);
      assert.equal(input.bytesRead(), input.compressedSize);
      assert.equal(sha(bytes), sha(payload), p);
    }
  });

  test('LZ4: lz4js frames (linked blocks) and own frames with every optional field', async () => {
    const viaLz4js = file('lz4js.rdb.lz4', lz4js.compress(payload));
    const rnd = randomBytes(200_000, 9);
    const mixed = cat(payload.subarray(0, 500_000), rnd, payload.subarray(500_000));
    const fancy = file(
      'fancy.rdb.lz4',
      cat(
        lz4Frame(mixed.subarray(0, 1_000_000), { blockSizeId: 4, blockChecksum: true, contentChecksum: true, contentSize: true }),
        skippableFrame(100),
        lz4Frame(new Uint8Array(0), { contentChecksum: true }),
        lz4Frame(mixed.subarray(1_000_000, 2_000_000), { blockSizeId: 5 }),
        skippableFrame(0),
        lz4Frame(mixed.subarray(2_000_000), { blockSizeId: 7, contentChecksum: true }),
      ),
    );
    for (const [p, want] of [
      [viaLz4js, payload],
      [fancy, mixed],
    ] as const) {
      const { input, bytes } = await readAll(p);
      assert.equal(input.format, 'lz4');
      assert.equal(input.bytesRead(), input.compressedSize);
      assert.equal(bytes.length, want.length, p);
      assert.equal(sha(bytes), sha(want), p);
    }
  });

  test('LZ4: a stored block read across chunks, its checksum too, arrives intact', async () => {
    // One stored 2 MiB − 13 block: it crosses the 1 MiB read at offset 2^20 and its block
    // checksum the one at 2^21, so both go through the frame reader's scratch buffer.
    const data = randomBytes((2 << 20) - 13, 21);
    const p = file('stored.rdb.lz4', lz4Frame(data, { blockSizeId: 7, blockChecksum: true, contentChecksum: true }));
    const { bytes } = await readAll(p);
    assert.equal(bytes.length, data.length);
    assert.equal(sha(bytes), sha(data));
  });

  /*
   * test/data/sample.rdb.{lz4,zst} hold makePayload(128 KiB, 7), split at byte 100000 into
   * two frames each, written once with the reference CLIs (lz4 1.9.4, zstd 1.5.4):
   *   lz4 -BD -B4 a  (linked 64 KiB blocks, content checksum) + lz4 -B5 -BX --content-size --no-frame-crc b
   *   zstd -19 a     (with checksum)                          + zstd -1 --no-check b
   */
  test('LZ4 and zstd samples written by the reference CLIs (test/data)', async () => {
    const want = sha(makePayload(128 << 10, 7));
    for (const name of ['sample.rdb.lz4', 'sample.rdb.zst']) {
      const { input, bytes } = await readAll(join(DATA, name));
      assert.equal(input.format, name.endsWith('lz4') ? 'lz4' : 'zstd');
      assert.equal(sha(bytes), want, name);
    }
  });

  for (const [cli, args, ext] of [
    ['lz4', ['-q', '-c', '-BD'], 'lz4'],
    ['lz4', ['-q', '-c', '-B4', '-BX', '--content-size'], 'lz4'],
    ['zstd', ['-q', '-c', '-3'], 'zst'],
    ['zstd', ['-q', '-c', '--long=24', '-T2'], 'zst'],
  ] as const) {
    test(`the ${cli} CLI (${args.join(' ')}) on the 3 MB payload`, { skip: !hasCli(cli) && `${cli} CLI not installed` }, async () => {
      const r = spawnSync(cli, [...args, file('plain.rdb')], { maxBuffer: 64 << 20 });
      assert.equal(r.status, 0, String(r.stderr));
      const { input, bytes } = await readAll(file(`cli.rdb.${ext}`, r.stdout));
      assert.equal(input.format, ext === 'lz4' ? 'lz4' : 'zstd');
      assert.equal(sha(bytes), sha(payload), `${cli} ${args.join(' ')}`);
    });
  }

  test('a chunk keeps its bytes until the next one is requested', async () => {
    for (const p of [file('lz4js.rdb.lz4'), file('fancy.rdb.lz4'), file('worker.rdb.gz', gzipSync(payload))]) {
      const input = await openInput(p);
      const hash = createHash('sha256');
      for await (const c of input.chunks) {
        const copy = Uint8Array.from(c);
        await new Promise((r) => setImmediate(r)); // let zlib's thread and the event loop run
        assert.equal(Buffer.compare(Buffer.from(c.buffer, c.byteOffset, c.length), copy), 0, p);
        hash.update(c);
      }
      assert.equal(hash.digest('hex'), sha((await readAll(p)).bytes), p);
    }
  });

  test('empty file and wrong magic', async () => {
    const empty = file('empty.rdb', new Uint8Array(0));
    await assert.rejects(openInput(empty), (e: unknown) => {
      assert.ok(e instanceof RdbError);
      assert.equal(e.message, `${empty}: offset 0: expected an RDB header, found an empty file`);
      return true;
    });
    for (const [name, data] of [
      ['wrong.rdb', new TextEncoder().encode('PK\x03\x04 not an rdb at all')],
      ['short.rdb', new TextEncoder().encode('RED')],
    ] as const) {
      const p = file(name, data);
      await assert.rejects(openInput(p), (e: unknown) => {
        assert.ok(e instanceof RdbError);
        assert.equal(e.message, `${p}: offset 0: expected an RDB file (REDIS/VALKEY magic) or a gzip, LZ4 or zstd compressed one`);
        return true;
      });
    }
  });

  test('truncated gzip, LZ4 and zstd inputs give an RdbError', async () => {
    const gz = gzipSync(payload);
    const lz = lz4js.compress(payload);
    const lzOwn = lz4Frame(payload, { contentChecksum: true, blockSizeId: 5 });
    const zst = readFileSync(join(DATA, 'sample.rdb.zst'));
    const cases: [string, Uint8Array, RegExp][] = [
      ['trunc.gz', gz.subarray(0, gz.length >> 1), /gzip data ends unexpectedly/],
      ['trunc-tail.gz', gz.subarray(0, gz.length - 3), /gzip data ends unexpectedly/],
      ['trunc.lz4', lz.subarray(0, lz.length >> 1), /LZ4 data ends unexpectedly in a block/],
      ['trunc-endmark.lz4', lz.subarray(0, lz.length - 2), /LZ4 data ends unexpectedly in a block header/],
      ['trunc-sum.lz4', lzOwn.subarray(0, lzOwn.length - 1), /LZ4 data ends unexpectedly in the content checksum/],
      ['trunc-head.lz4', lz.subarray(0, 5), /LZ4 data ends unexpectedly in a frame descriptor/],
      ['trunc.zst', zst.subarray(0, zst.length >> 1), /zstd data ends unexpectedly|corrupt zstd/],
      ['trunc-tail.zst', zst.subarray(0, zst.length - 2), /zstd data ends unexpectedly/],
    ];
    for (const [name, data, pattern] of cases) {
      const p = file(name, data);
      await assert.rejects(readAll(p), isRdbError(pattern), name);
    }
  });

  test('corrupt gzip, LZ4 and zstd data give an RdbError with an offset', async () => {
    const zst = Buffer.from(readFileSync(join(DATA, 'sample.rdb.zst')));
    for (let i = 100; i < 140; i++) zst[i] = zst[i]! ^ 0x5a;
    await assert.rejects(readAll(file('corrupt.zst', zst)), isRdbError(/offset \d+: corrupt zstd data|zstd data ends unexpectedly/));

    const gz = Buffer.from(gzipSync(payload));
    for (let i = 1000; i < 1100; i++) gz[i] = 0xff;
    await assert.rejects(readAll(file('corrupt.gz', gz)), isRdbError(/offset \d+: corrupt gzip data/));

    const lz = Buffer.from(lz4Frame(payload, { contentChecksum: true }));
    lz[5000] = lz[5000]! ^ 0x55;
    await assert.rejects(readAll(file('corrupt.lz4', lz)), isRdbError(/corrupt LZ4/));

    const garbage = cat(lz4Frame(payload.subarray(0, 1000)), new TextEncoder().encode('garbage!'));
    await assert.rejects(readAll(file('garbage.lz4', garbage)), isRdbError(/offset \d+: expected an LZ4 frame/));
  });

  test('stdin ("-") from a pipe and from a redirected file', async () => {
    const gzPath = file('stdin.rdb.gz', gzipSync(payload, { level: 1 }));
    const code = `
      import { openInput } from ${JSON.stringify(join(ROOT, 'src/input/decompress.ts'))};
      import { createHash } from 'node:crypto';
      const input = await openInput('-');
      const h = createHash('sha256');
      let n = 0;
      for await (const c of input.chunks) { h.update(c); n += c.length; }
      console.log(JSON.stringify({ format: input.format, size: input.compressedSize, read: input.bytesRead(), n, hash: h.digest('hex') }));
    `;
    const run = (stdin: 'pipe' | number) =>
      new Promise<{ format: string; size: number | null; read: number; n: number; hash: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
          cwd: ROOT,
          stdio: [stdin, 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout!.on('data', (d) => (out += d));
        child.stderr!.on('data', (d) => (err += d));
        child.on('error', reject);
        child.on('close', (status) => {
          if (status !== 0) reject(new Error(`child exited ${status}: ${err}`));
          else resolve(JSON.parse(out));
        });
        if (stdin === 'pipe') {
          // Write in pieces so the child really reads a stream.
          const data = readFileSync(gzPath);
          let p = 0;
          const pump = () => {
            while (p < data.length) {
              const end = Math.min(data.length, p + 100_000);
              const ok = child.stdin!.write(data.subarray(p, end));
              p = end;
              if (!ok) return void child.stdin!.once('drain', pump);
            }
            child.stdin!.end();
          };
          pump();
        }
      });
    const gzSize = readFileSync(gzPath).length;
    const piped = await run('pipe');
    assert.deepEqual(piped, { format: 'gzip', size: null, read: gzSize, n: payload.length, hash: sha(payload) });
    const fd = openSync(gzPath, 'r');
    try {
      const redirected = await run(fd);
      assert.deepEqual(redirected, { format: 'gzip', size: gzSize, read: gzSize, n: payload.length, hash: sha(payload) });
    } finally {
      closeSync(fd);
    }
  });
});

describe('zstd through the zstd tool (RDBSCOPE_ZSTD_TOOL), fzstd as the fallback', { skip: !hasCli('zstd') && 'zstd CLI not installed' }, () => {
  let zst: Uint8Array;
  let want: string;
  let log: string;
  const fakeZstd = (name: string, body: string) => fakeTool(log, name, body);
  const runs = () => runsIn(log);
  // RDBSCOPE_ZSTD_LIB=none: with `none` for the tool, fzstd rather than libzstd.
  const withTool = <T>(tool: string, fn: () => Promise<T>) => withEnv({ RDBSCOPE_ZSTD_TOOL: tool, RDBSCOPE_ZSTD_LIB: 'none' }, fn);
  const fromStream = async () => drain(await openStream(Readable.from([Buffer.from(zst)]), 'piped'));

  before(() => {
    zst = spawnSync('zstd', ['-q', '-c', '-3', file('plain.rdb')], { maxBuffer: 64 << 20 }).stdout;
    file('tool.rdb.zst', zst);
    want = sha(payload);
    log = file('tool.log', new Uint8Array(0));
  });

  test('the same bytes through the tool and through fzstd, from a file and from a stream', async () => {
    const real = fakeZstd('logging-zstd', 'exec zstd "$@"');
    const before = runs();
    assert.equal(sha((await withTool(real, () => readAll(file('tool.rdb.zst')))).bytes), want);
    assert.equal(sha(await withTool(real, fromStream)), want);
    assert.equal(runs(), before + 2, 'the tool ran for both');
    assert.equal(sha((await withTool('none', () => readAll(file('tool.rdb.zst')))).bytes), want);
    assert.equal(sha(await withTool('none', fromStream)), want);
    assert.equal(runs(), before + 2, 'and not with RDBSCOPE_ZSTD_TOOL=none');
  });

  test('a missing tool, or one that quits without reading: fzstd for a file, never a hang', async () => {
    assert.equal(sha((await withTool(join(dir, 'no-such-zstd'), () => readAll(file('tool.rdb.zst')))).bytes), want);
    assert.equal(sha(await withTool(join(dir, 'no-such-zstd'), fromStream)), want);
    const quits = fakeZstd('quitting-zstd', 'echo "zstd: gave up" >&2; exit 3');
    assert.equal(sha((await withTool(quits, () => readAll(file('tool.rdb.zst')))).bytes), want);
    // A stream cannot be read again: one clean error (the input is larger than the pipe).
    await assert.rejects(withTool(quits, fromStream), isRdbError(/^piped: offset \d+: corrupt zstd data at or before this offset \(zstd: gave up\)$/));
  });

  test('a tool that fails mid-stream: a file continues through fzstd from where it stopped', async () => {
    const fails = fakeZstd('failing-zstd', 'zstd "$@" | head -c 1000000; echo "zstd: simulated failure" >&2; exit 1');
    const before = runs();
    const { bytes } = await withTool(fails, () => readAll(file('tool.rdb.zst')));
    assert.equal(runs(), before + 1);
    assert.equal(bytes.length, payload.length);
    assert.equal(sha(bytes), want);
    await assert.rejects(withTool(fails, fromStream), isRdbError(/^piped: offset \d+: corrupt zstd data at or before this offset \(zstd: simulated failure\)$/));
  });

  test('the content size in a zstd frame header (progress through the tool)', () => {
    assert.equal(zstdContentSize(zst), payload.length);
    for (const n of [1, 300, 70_000]) {
      const z = spawnSync('zstd', ['-q', '-c', file(`cs-${n}.rdb`, payload.subarray(0, n))]).stdout;
      assert.equal(zstdContentSize(z), n);
    }
    // Compressed from a pipe, the tool does not know the size and leaves it out.
    assert.equal(zstdContentSize(spawnSync('zstd', ['-q', '-c'], { input: payload.subarray(0, 1000) }).stdout), -1);
  });

  test('damaged data: the same error from a file with and without the tool', async () => {
    const real = fakeZstd('logging-zstd', 'exec zstd "$@"');
    const cut = file('tool-cut.rdb.zst', zst.subarray(0, zst.length >> 1));
    const bad = Buffer.from(zst);
    for (let i = 20; i < 60; i++) bad[i] = 0xff;
    const flipped = file('tool-bad.rdb.zst', bad);
    for (const p of [cut, flipped]) {
      const errors: string[] = [];
      for (const tool of [real, 'none']) {
        await assert.rejects(withTool(tool, () => readAll(p)), (e: unknown) => {
          assert.ok(e instanceof RdbError, String(e));
          errors.push(e.message);
          return true;
        });
      }
      assert.equal(errors[0], errors[1], p);
      assert.match(errors[0]!, /: offset \d+: (corrupt zstd data|zstd data ends unexpectedly)/);
    }
  });
});

describe('zstd through libzstd (zstd-napi), fzstd as the fallback', { skip: zstdLibraryVersion() === null && 'zstd-napi (an optional dependency) is not installed' }, () => {
  let zst: Uint8Array;
  let want: string;
  const without = <T>(fn: () => Promise<T>) => withEnv({ RDBSCOPE_ZSTD_LIB: 'none', RDBSCOPE_ZSTD_TOOL: 'none' }, fn);
  /** The bytes, or the error message, of reading `p`; and whether libzstd was used. */
  const outcome = async (p: string): Promise<[string, boolean]> => {
    const input = await openInput(p);
    try {
      const bytes = await drain(input);
      assert.equal(input.bytesRead(), input.compressedSize, `progress ends at the file's size: ${p}`);
      return [sha(bytes), input.fill !== null];
    } catch (e) {
      assert.ok(e instanceof RdbError, String(e));
      return [e.message, input.fill !== null];
    }
  };

  before(() => {
    // zstd's frame format written by hand would prove little: the reference CLI, else the sample.
    zst = hasCli('zstd') ? spawnSync('zstd', ['-q', '-c', '-3', file('plain.rdb')], { maxBuffer: 64 << 20 }).stdout : new Uint8Array(0);
    want = sha(payload);
  });

  test('the same bytes as fzstd from files, and from a stream', async () => {
    const files = [join(DATA, 'sample.rdb.zst')];
    if (zst.length) files.push(file('lib.rdb.zst', zst));
    for (const p of files) {
      const [viaLib, used] = await outcome(p);
      assert.ok(used, `libzstd decoded ${p}`);
      assert.deepEqual(await without(() => outcome(p)), [viaLib, false], p);
      if (p !== files[0]) assert.equal(viaLib, want);
      const streamed = await openStream(Readable.from([readFileSync(p)]), 'piped');
      assert.ok(streamed.fill !== null);
      assert.equal(sha(await drain(streamed)), viaLib === want ? want : viaLib);
    }
  });

  test('Input.fill: decodes into output of any size, down to a byte', async () => {
    const input = await openInput(join(DATA, 'sample.rdb.zst'));
    const whole = await drain(await openInput(join(DATA, 'sample.rdb.zst')));
    const out = new Uint8Array(whole.length + 1);
    let at = 0;
    for (let i = 0; ; i++) {
      const n = await input.fill!(out.subarray(at, Math.min(out.length, at + [1, 7, 300, 65536][i % 4]!)));
      if (n === 0) break;
      at += n;
    }
    assert.equal(at, whole.length);
    assert.equal(sha(out.subarray(0, at)), sha(whole));
    await input.close();
  });

  test('truncation, bytes after the frame, skippable and further frames: the same bytes or kind of error as fzstd', { skip: !hasCli('zstd') && 'zstd CLI not installed' }, async () => {
    const cases: [string, Uint8Array, RegExp | null][] = [
      ['lib-cut.zst', zst.subarray(0, zst.length >> 1), /offset \d+: zstd data ends unexpectedly/],
      ['lib-cut-tail.zst', zst.subarray(0, zst.length - 2), /offset \d+: zstd data ends unexpectedly/],
      ['lib-garbage.zst', cat(zst, new TextEncoder().encode('garbage after the frame\n')), /offset \d+: corrupt zstd data/],
      ['lib-zeros.zst', cat(zst, new Uint8Array(512)), /offset \d+: corrupt zstd data/],
      ['lib-skippable.zst', cat(zst, skippableFrame(100)), null],
    ];
    for (const [name, data, error] of cases) {
      const p = file(name, data);
      const [viaLib, used] = await outcome(p);
      const [viaFzstd, usedThen] = await without(() => outcome(p));
      assert.ok(used && !usedThen, name);
      // libzstd names the offset where the garbage starts, fzstd where its slice did.
      for (const got of [viaLib, viaFzstd]) {
        if (error) assert.match(got, new RegExp(`^${p}: ${error.source}`), name);
        else assert.equal(got, want, name);
      }
      const streamed = openStream(Readable.from([Buffer.from(data)]), 'piped').then(drain);
      if (error) await assert.rejects(streamed, isRdbError(new RegExp(`^piped: ${error.source}`)), name);
      else assert.equal(sha(await streamed), want, name);
    }
    const two = file('lib-two.zst', cat(zst, spawnSync('zstd', ['-q', '-c', '--no-check'], { input: payload.subarray(0, 5000) }).stdout));
    assert.equal((await outcome(two))[0], sha(cat(payload, payload.subarray(0, 5000))));
  });

  test('damaged blocks and a wrong content checksum: libzstd\'s verdict, from a file and from a stream', { skip: !hasCli('zstd') && 'zstd CLI not installed' }, async () => {
    const bad = Buffer.from(zst);
    for (let i = 2000; i < 2040; i++) bad[i] = bad[i]! ^ 0x5a;
    const badSum = Buffer.from(zst);
    badSum[badSum.length - 1] = badSum[badSum.length - 1]! ^ 1;
    for (const [name, data] of [['lib-bad.zst', bad], ['lib-sum.zst', badSum]] as const) {
      const p = file(name, data);
      const [viaLib, used] = await outcome(p);
      assert.ok(used, name);
      // fzstd does not check the content checksum: libzstd (like the zstd tool) does.
      assert.match(viaLib, new RegExp(`^${p}: offset \\d+: corrupt zstd data at or after this offset \\(Restored data doesn't match checksum\\)$`), name);
      const streamed = openStream(Readable.from([Buffer.from(data)]), 'piped').then(drain);
      await assert.rejects(streamed, isRdbError(/^piped: offset \d+: corrupt zstd data at or after this offset \(Restored data doesn't match checksum\)$/), name);
    }
  });

  test('a window over libzstd\'s 128 MiB limit (zstd --long=28 from a pipe): fzstd, from a file and from a stream', { skip: !hasCli('zstd') && 'zstd CLI not installed' }, async () => {
    const part = payload.subarray(0, 1 << 20);
    const long = spawnSync('zstd', ['-q', '-c', '--long=28'], { input: part }).stdout;
    assert.equal(spawnSync('zstd', ['-t', '-q', '-'], { input: long }).status, 1, 'the zstd tool needs --memory for it');
    const p = file('lib-long.zst', long);
    const [viaLib, used] = await outcome(p);
    assert.ok(used);
    assert.equal(viaLib, sha(part));
    assert.equal(sha(await drain(await openStream(Readable.from([Buffer.from(long)]), 'piped'))), sha(part));
  });

  test('an explicit RDBSCOPE_ZSTD_TOOL or RDBSCOPE_ZSTD_LIB=none: not libzstd', async () => {
    for (const vars of [{ RDBSCOPE_ZSTD_TOOL: 'zstd' }, { RDBSCOPE_ZSTD_LIB: 'none' }] as Record<string, string>[]) {
      const input = await withEnv(vars, () => openInput(join(DATA, 'sample.rdb.zst')));
      assert.equal(input.fill, null, JSON.stringify(vars));
      await input.close();
    }
    assert.match(zstdLibraryVersion() ?? '', /^1\.\d+\.\d+$/);
  });
});

describe('gzip through igzip (RDBSCOPE_GZIP_TOOL), node zlib as the fallback', { skip: !hasCli('igzip') && 'igzip (ISA-L) not installed' }, () => {
  let gz: Uint8Array;
  let want: string;
  let log: string;
  const fakeIgzip = (name: string, body: string) => fakeTool(log, name, body);
  const runs = () => runsIn(log);
  const withTool = <T>(tool: string, fn: () => Promise<T>) => withEnv({ RDBSCOPE_GZIP_TOOL: tool }, fn);
  /** The bytes, or the error message, of reading `p`. */
  const outcome = async (p: string) => {
    try {
      const { input, bytes } = await readAll(p);
      assert.equal(input.bytesRead(), input.compressedSize, `progress ends at the file's size: ${p}`);
      return sha(bytes);
    } catch (e) {
      assert.ok(e instanceof RdbError, String(e));
      return e.message;
    }
  };

  before(() => {
    gz = gzipSync(payload, { level: 1 });
    file('tool.rdb.gz', gz);
    want = sha(payload);
    log = file('gz-tool.log', new Uint8Array(0));
  });

  test('the same bytes through the tool and through zlib; a stream never goes through the tool', async () => {
    const real = fakeIgzip('logging-igzip', 'exec igzip "$@"');
    const half = payload.length >> 1;
    const two = file('tool-two.rdb.gz', cat(gzipSync(payload.subarray(0, half)), gzipSync(payload.subarray(half))));
    const before = runs();
    for (const p of [file('tool.rdb.gz'), two]) {
      assert.equal(await withTool(real, () => outcome(p)), want, p);
      assert.equal(await withTool('none', () => outcome(p)), want, p);
    }
    // Two members: the trailer gives the second one's size only, so zlib reads the file again to confirm its end.
    assert.equal(runs(), before + 2, 'the tool ran once a file');
    const streamed = await withTool(real, async () => drain(await openStream(Readable.from([Buffer.from(gz)]), 'piped')));
    assert.equal(sha(streamed), want);
    assert.equal(runs(), before + 2, 'and not for a stream');
  });

  test('a missing tool, one that quits without output, or one that fails mid-stream: the same bytes through zlib', async () => {
    const quits = fakeIgzip('quitting-igzip', 'echo "igzip: gave up" >&2; exit 3');
    const fails = fakeIgzip('failing-igzip', 'igzip "$@" | head -c 1000000; exit 1');
    const before = runs();
    for (const tool of [join(dir, 'no-such-igzip'), quits, fails]) assert.equal(await withTool(tool, () => outcome(file('tool.rdb.gz'))), want, tool);
    assert.equal(runs(), before + 2);
  });

  test('bytes after the last member, zero padding, truncation and damage: the same outcome with and without the tool', async () => {
    const real = fakeIgzip('logging-igzip', 'exec igzip "$@"');
    const bad = Buffer.from(gz);
    for (let i = 1000; i < 1100; i++) bad[i] = 0xff;
    const cases: [string, Uint8Array, RegExp | null][] = [
      ['tool-garbage.gz', cat(gz, new TextEncoder().encode('garbage after the member\n')), /offset \d+: corrupt gzip data/],
      ['tool-zeros.gz', cat(gz, new Uint8Array(512)), null],
      ['tool-cut.gz', gz.subarray(0, gz.length >> 1), /gzip data ends unexpectedly/],
      ['tool-cut-tail.gz', gz.subarray(0, gz.length - 3), /gzip data ends unexpectedly/],
      ['tool-bad.gz', bad, /offset \d+: corrupt gzip data/],
    ];
    const before = runs();
    for (const [name, data, error] of cases) {
      const p = file(name, data);
      const viaTool = await withTool(real, () => outcome(p));
      assert.equal(viaTool, await withTool('none', () => outcome(p)), name);
      if (error) assert.match(viaTool, error, name);
      else assert.equal(viaTool, want, name);
    }
    assert.equal(runs(), before + cases.length, 'the tool ran for every file');
  });
});

describe('channel (main thread → worker)', () => {
  interface WorkerReport {
    ok: boolean;
    bytes: number;
    chunks?: number;
    hash?: string;
    srcBytes?: number;
    isRdbError?: boolean;
    message?: string;
    offset?: number;
  }

  async function throughWorker(
    path: string,
    opts: { capacity?: number; stopAfter?: number; delayEvery?: number } = {},
  ): Promise<{ report: WorkerReport; pump: PumpResult; progress: { bytes: number; keys: number } }> {
    const input = await openInput(path);
    const control = createControl(opts.capacity);
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER_BOOT, {
      eval: true,
      workerData: { port: port2, control, stopAfter: opts.stopAfter, delayEvery: opts.delayEvery },
      transferList: [port2],
    });
    try {
      const reportP = new Promise<WorkerReport>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (c) => reject(new Error(`worker exited with ${c} before reporting`)));
      });
      const [pump, report] = await Promise.all([pumpToRing(input.chunks, control, port1), reportP]);
      return { report, pump, progress: readProgress(control) };
    } finally {
      await worker.terminate();
      port1.close();
      await input.close();
    }
  }

  test('gzip input pumped through a small ring arrives whole, the writer waiting on a slow reader', { timeout: 60_000 }, async () => {
    const gz = file('worker.rdb.gz', gzipSync(payload));
    // 64 KiB of ring for a 3 MB payload: it wraps ~50 times and the pump waits for room.
    const { report, pump, progress } = await throughWorker(gz, { capacity: 64 << 10, delayEvery: 2 });
    assert.equal(report.ok, true, report.message);
    assert.equal(report.bytes, payload.length);
    assert.equal(report.srcBytes, payload.length);
    assert.equal(report.hash, sha(payload));
    assert.equal(pump.outcome, 'end');
    assert.equal(pump.bytes, payload.length);
    // Chunks handed out are at most a quarter of the ring.
    assert.ok(report.chunks! >= payload.length / (16 << 10), `${report.chunks} chunks`);
    assert.deepEqual(progress, { bytes: payload.length, keys: report.chunks });
  });

  test('plain and LZ4 inputs through the worker', { timeout: 60_000 }, async () => {
    for (const p of [file('plain.rdb'), file('lz4js.rdb.lz4'), file('fancy.rdb.lz4')]) {
      const { report, pump } = await throughWorker(p);
      const want = readAll(p).then((r) => r.bytes);
      assert.equal(report.ok, true, report.message);
      assert.equal(report.hash, sha(await want), p);
      assert.equal(pump.outcome, 'end');
    }
  });

  test('a decompression error reaches the worker as an RdbError', { timeout: 60_000 }, async () => {
    const gz = gzipSync(payload);
    const p = file('worker-trunc.gz', gz.subarray(0, gz.length >> 1));
    const { report, pump } = await throughWorker(p);
    assert.equal(pump.outcome, 'error');
    assert.ok(pump.error instanceof RdbError);
    assert.equal(report.ok, false);
    assert.equal(report.isRdbError, true);
    assert.equal(report.message, (pump.error as RdbError).message);
    assert.match(report.message!, /gzip data ends unexpectedly/);
  });

  test('a worker that stops early cancels the pump', { timeout: 60_000 }, async () => {
    const { report, pump } = await throughWorker(file('plain.rdb'), { stopAfter: 1, capacity: 64 << 10 });
    assert.equal(report.ok, true);
    assert.equal(report.chunks, 1);
    assert.equal(pump.outcome, 'cancelled');
    assert.ok(pump.bytes < payload.length);
  });
});
