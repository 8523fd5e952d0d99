/**
 * The library entry (src/index.ts): scanFile / scanStream over every input format agree with
 * the in-process scan record for record, stay bounded on inputs larger than what they buffer,
 * fail with the right errors; scan() takes a visitor with any subset of its methods.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import lz4js from 'lz4js';
import { scan, scanFile, scanStream, RdbError, type KeyRecord, type ScanResult } from '../src/index.ts';
import { buildRdb, type KeyDesc } from './helpers/rdb-writer.ts';
import { Sfc32 } from './helpers/sfc32.ts';
import { fixturesDir } from './helpers/truth.ts';
import { BatchReader, BatchWriter, type RecordBatch } from '../src/api/batch.ts';
import { newKeyRecord } from '../src/format/parser.ts';
import { INPUT_RING_BYTES } from '../src/input/channel.ts';

const shopPath = join(fixturesDir, 'shop-7.0.rdb');
const shop = readFileSync(shopPath);
const shopTruth = JSON.parse(readFileSync(join(fixturesDir, 'shop-7.0.truth.json'), 'utf8')) as { keys: unknown[] };

/** A record as plain data (the scan reuses one record object: copy per key). */
const snapshot = (rec: KeyRecord) => ({ ...rec, key: Buffer.from(rec.key.subarray(0, rec.keyLength)).toString('latin1') });

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const reference = (() => {
  const keys: ReturnType<typeof snapshot>[] = [];
  const result = scan(shop, { onKey: (rec) => void keys.push(snapshot(rec)) });
  return { keys, result };
})();

function assertSame(keys: ReturnType<typeof snapshot>[], result: ScanResult): void {
  assert.equal(keys.length, shopTruth.keys.length);
  assert.equal(result.keys, shopTruth.keys.length);
  assert.deepEqual(keys, reference.keys);
  assert.deepEqual(result, reference.result);
  assert.equal(result.info.checksum, 'ok');
  assert.ok(result.instance && result.instance.usedMemory > 0);
}

describe('scanFile / scanStream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rdbscope-api-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));

  test('a plain file: the same records and result as the in-process scan', async () => {
    const keys: ReturnType<typeof snapshot>[] = [];
    let header = 0;
    const result = await scanFile(shopPath, { onHeader: () => void header++, onKey: (rec) => void keys.push(snapshot(rec)) });
    assert.equal(header, 1);
    assertSame(keys, result);
  });

  test('gzip, LZ4 and zstd files, detected by content', async (t) => {
    const files: [string, Uint8Array][] = [
      ['shop.gz', gzipSync(shop)],
      ['shop.lz4', lz4js.compress(shop)],
    ];
    for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
    if (hasTool('zstd')) {
      execFileSync('zstd', ['-q', '-f', shopPath, '-o', join(dir, 'shop.zst')]);
      files.push(['shop.zst', readFileSync(join(dir, 'shop.zst'))]);
    } else t.diagnostic('zstd not installed: zstd input not covered');
    for (const [name] of files) {
      const keys: ReturnType<typeof snapshot>[] = [];
      const result = await scanFile(join(dir, name), { onKey: (rec) => void keys.push(snapshot(rec)) });
      assertSame(keys, result);
    }
  });

  test('a gzip Node stream and an async iterable of plain chunks', async () => {
    const keys: ReturnType<typeof snapshot>[] = [];
    const gz = Readable.from([shop]).pipe(createGzip());
    assertSame(keys, await scanStream(gz, { onKey: (rec) => void keys.push(snapshot(rec)) }));
    async function* pieces() {
      for (let p = 0; p < shop.length; p += 1000) yield shop.subarray(p, p + 1000);
    }
    keys.length = 0;
    // An async onKey is awaited before the next key.
    assertSame(keys, await scanStream(pieces(), { onKey: async (rec) => void keys.push(snapshot(rec)) }));
  });

  test('a stream far larger than what is buffered is read only as fast as keys are taken', async (t) => {
    // ~12.5 MB of barely compressible values, through a gzip stream.
    const rnd = new Sfc32(7, 8, 9, 10, 12);
    const value = () => Buffer.from(Array.from({ length: 48 }, () => (rnd.u32() >>> 0).toString(36)).join('').slice(0, 240));
    const keys: KeyDesc[] = [];
    for (let i = 0; i < 50_000; i++) keys.push({ key: `k:${i}`, value: { type: 'string', value: value() } });
    const rdb = buildRdb({ version: 10, aux: { 'redis-ver': '7.0.15' }, keys });
    assert.ok(rdb.length > 12e6, `${rdb.length} bytes`);
    let pulled = 0;
    async function* source() {
      for (let p = 0; p < rdb.length; p += 64 << 10) {
        const c = rdb.subarray(p, p + (64 << 10));
        pulled += c.length;
        yield c;
      }
    }
    let lead = 0;
    let n = 0;
    let firstKeyPulled = -1;
    const result = await scanStream(Readable.from(source()).pipe(createGzip()), {
      memory: false,
      async onKey(rec) {
        if (firstKeyPulled < 0) firstKeyPulled = pulled;
        lead = Math.max(lead, pulled - rec.offset);
        // A consumer slower than the parse: the parse must wait, not queue.
        if (++n % 2000 === 0) await new Promise((r) => setImmediate(r));
      },
    });
    t.diagnostic(`${rdb.length} bytes; pulled ${firstKeyPulled} before the first key, at most ${lead} ahead of the parse`);
    assert.equal(result.keys, 50_000);
    assert.equal(n, 50_000);
    // The input ring and gzip's buffers: under half the file.
    const ahead = INPUT_RING_BYTES + (1 << 20);
    assert.ok(ahead < rdb.length / 2);
    assert.ok(firstKeyPulled < ahead, `${firstKeyPulled} bytes pulled before the first key`);
    assert.ok(lead < ahead, `the source ran ${lead} bytes ahead of the parse`);
  });

  test('errors: bad input is an RdbError, a missing file ENOENT, a throwing onKey stops the scan', async () => {
    const truncated = gzipSync(shop).subarray(0, 50_000);
    await assert.rejects(scanStream(Readable.from([truncated]), { file: 'cut.gz' }), (e: unknown) => e instanceof RdbError && /cut\.gz.*truncated/.test(e.message));
    const bad = Buffer.from(shop);
    bad[bad.length - 1] ^= 1;
    writeFileSync(join(dir, 'bad.rdb'), bad);
    await assert.rejects(scanFile(join(dir, 'bad.rdb')), (e: unknown) => e instanceof RdbError && /checksum/.test(e.message));
    const recorded = await scanFile(join(dir, 'bad.rdb'), { checksumMismatch: 'record' });
    assert.equal(recorded.info.checksum, 'mismatch');
    await assert.rejects(scanFile(join(dir, 'missing.rdb')), { code: 'ENOENT' });
    let seen = 0;
    await assert.rejects(
      scanFile(shopPath, {
        onKey() {
          if (++seen === 10) throw new Error('enough');
        },
      }),
      /enough/,
    );
    assert.equal(seen, 10);
    await assert.rejects(scanFile(shopPath, { memory: { version: 'seven' } }), RangeError);
  });

  test('an abort signal stops the scan', async () => {
    const ac = new AbortController();
    let seen = 0;
    await assert.rejects(
      scanStream(Readable.from([shop]), {
        signal: ac.signal,
        onKey() {
          if (++seen === 5) ac.abort(new Error('stop here'));
        },
      }),
      /stop here/,
    );
    assert.ok(seen >= 5 && seen < shopTruth.keys.length);
  });
});

describe('record batches (worker → caller)', () => {
  test('carry every field, optional ones set only on later records too, over several batches', () => {
    const batches: RecordBatch[] = [];
    const w = new BatchWriter((b) => void batches.push(structuredClone(b)));
    const src = newKeyRecord();
    const sent: unknown[] = [];
    // Parser-owned and reused: each record must carry its own state.
    const shared = { dim: 0, elements: [0] };
    for (let i = 0; i < 5000; i++) {
      const key = Buffer.from(`key:${i}:${'x'.repeat(i % 300)}`);
      if (src.key.length < key.length) src.key = new Uint8Array(key.length);
      src.key.set(key);
      src.keyLength = key.length;
      src.db = i % 4;
      src.type = i % 2 ? 'hash' : 'module';
      src.module = i % 2 ? '' : 'vectorset';
      src.memoryBytes = i * 1.5;
      src.expireAtMs = i % 3 ? -1 : 1.7e12 + i;
      // An optional object field the first record does not have.
      const extra = src as unknown as { vectorset?: unknown };
      if (i >= 3000) {
        shared.dim = i;
        shared.elements[0] = -i;
        extra.vectorset = i % 2 ? null : shared;
      }
      w.add(src);
      sent.push(structuredClone({ ...src, key: key.toString() }));
    }
    w.flush();
    assert.ok(batches.length >= 3, `${batches.length} batches`);
    const r = new BatchReader();
    const rec = newKeyRecord();
    const got: unknown[] = [];
    for (const b of batches) {
      r.load(b);
      while (r.next(rec)) got.push({ ...rec, key: Buffer.from(rec.key.subarray(0, rec.keyLength)).toString() });
    }
    assert.deepEqual(got, sent);
  });
});

describe('scan() with a partial visitor', () => {
  test('only the methods given are called; the others default to no-ops', () => {
    let begins = 0;
    let ends = 0;
    scan(shop, { memory: false, visitor: { begin: () => void begins++, end: () => void ends++ } });
    assert.equal(begins, shopTruth.keys.length);
    assert.equal(ends, shopTruth.keys.length);
  });

  test('a visitor that takes elements gets packed values decoded without a blob() of its own', () => {
    let elements = 0;
    scan(shop, { memory: false, visitor: { str: () => void elements++, int: () => void elements++ } });
    let full = 0;
    scan(shop, { memory: false, visitor: { str: () => void full++, int: () => void full++, blob: () => true } });
    assert.ok(elements > shopTruth.keys.length, `${elements} elements`);
    assert.equal(elements, full);
  });
});
