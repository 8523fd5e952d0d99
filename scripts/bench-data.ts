/**
 * Benchmark dumps, built once with a real redis-server and cached under .bench-cache/.
 *
 *   node --import tsx scripts/bench-data.ts [--skip-1g] [--only NAME]   # build what is missing
 *
 * Every dump is written by Debian's redis-server (7.0), filled through its protocol with
 * pipelined commands generated from a fixed-seed PRNG, then SAVEd. The data (keys, values,
 * absolute expiry times) is the same on every build; only what the server derives from its
 * clock (aux ctime) and its hash seed (element order inside hashtable sets) varies.
 *
 *   mixed-1g.rdb    ≈ 1.1 GB: 5M small strings under a handful of prefixes (user:<id>,
 *                   session:<hex>, cache:item:<id>, rate:…, feature:flag:…), 200k hashes of
 *                   5–15 fields (a few hundred with ~500), 3000 sets (half integer), 3000
 *                   zsets and 3000 lists of 10–5000 elements (log-uniform), five 10 MB
 *                   strings, one 1M-element list.
 *   mixed-100m.rdb  ≈ 110 MB: the same mix with every count divided by 10 (one 10 MB string).
 *   list-10m.rdb    ≈ 1 GB: one key holding a 10-million-element list of ~100-byte elements.
 *
 * Each mixed dump also gets a gzip (level 6), an LZ4 frame (`lz4` CLI) and a zstd (`zstd`
 * CLI, level 3) copy; a cache from before the zstd copy gets it added. The cache is keyed by
 * BENCH_DATA_VERSION: change it whenever the generator changes.
 */
import { Sfc32 } from '../test/helpers/sfc32.ts';
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, createWriteStream, openSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable, startRedis, type RedisHandle } from '../test/helpers/redis.ts';

export const BENCH_DATA_VERSION = 'bench-data-v1';
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE_DIR = path.join(ROOT, '.bench-cache', BENCH_DATA_VERSION);

export interface BenchDump {
  name: string;
  /** Absolute path of the plain .rdb. */
  path: string;
  bytes: number;
  keys: number;
  /** Compressed copies (absolute paths), when built for this dump. */
  gz: string | null;
  lz4: string | null;
  zst: string | null;
  /** What is in it, one line. */
  description: string;
  /** Seconds spent filling the server and saving (informational). */
  buildSeconds: number;
  redisVersion: string;
}

interface Manifest extends BenchDump {
  version: string;
}

// ---------------------------------------------------------------------------------------
// Deterministic PRNG (sfc32) and a pool of random text

class Rng extends Sfc32 {
  constructor(seed: number) {
    super(0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0, 15);
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  /** Log-uniform integer in [lo, hi]. */
  logInt(lo: number, hi: number): number {
    return Math.min(hi, Math.floor(Math.exp(Math.log(lo) + this.float() * (Math.log(hi + 1) - Math.log(lo)))));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.float() * xs.length)]!;
  }
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += this.u32().toString(16).padStart(8, '0');
    return s.slice(0, n);
  }
}

const ALNUM = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');

/** 32 MB of random alphanumerics; values are slices of it at random offsets (incompressible to LZF). */
function textPool(seed: number, size = 32 << 20): Buffer {
  const rng = new Rng(seed);
  const pool = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 4) {
    const r = rng.u32();
    pool[i] = ALNUM[(r & 0xff) % 62]!;
    pool[i + 1] = ALNUM[((r >>> 8) & 0xff) % 62]!;
    pool[i + 2] = ALNUM[((r >>> 16) & 0xff) % 62]!;
    pool[i + 3] = ALNUM[(r >>> 24) % 62]!;
  }
  return pool;
}

/** Murmur3's 32-bit finalizer: a bijection, so distinct ids give distinct hex prefixes. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------
// A lean pipelining filler: commands are encoded straight into large buffers and replies are
// only counted (every command used here answers with one line: +OK, :n or -ERR).

type Arg = string | Buffer;

class Filler {
  static readonly BUF = 4 << 20;
  /** Most commands in flight before the producer waits for replies. */
  static readonly WINDOW = 40000;
  private buf = Buffer.allocUnsafe(Filler.BUF);
  private pos = 0;
  private queued = 0;
  private sent = 0;
  private replies = 0;
  private atLineStart = true;
  private errorLine: string | null = null;
  private errors = 0;
  private waiter: (() => void) | null = null;
  private waitFor = 0;
  private closedErr: Error | null = null;

  private constructor(private readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.onData(d));
    const fail = (e: Error) => {
      this.closedErr ??= e;
      this.wake(true);
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('redis connection closed')));
  }

  static connect(port: number): Promise<Filler> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ port, host: '127.0.0.1' });
      sock.once('error', reject);
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve(new Filler(sock));
      });
    });
  }

  private onData(d: Buffer): void {
    let i = 0;
    if (this.atLineStart && d.length > 0 && d[0] === 0x2d) this.noteError(d, 0);
    for (;;) {
      const lf = d.indexOf(10, i);
      if (lf < 0) {
        this.atLineStart = false;
        break;
      }
      this.replies++;
      i = lf + 1;
      if (i >= d.length) {
        this.atLineStart = true;
        break;
      }
      if (d[i] === 0x2d) this.noteError(d, i);
    }
    this.wake(false);
  }

  private noteError(d: Buffer, at: number): void {
    this.errors++;
    if (this.errorLine === null) {
      const end = d.indexOf(13, at);
      this.errorLine = d.toString('latin1', at, end < 0 ? Math.min(d.length, at + 200) : end);
    }
  }

  private wake(force: boolean): void {
    if (this.waiter && (force || this.replies >= this.waitFor)) {
      const w = this.waiter;
      this.waiter = null;
      w();
    }
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.flushBuffer();
  }

  private flushBuffer(): void {
    if (this.pos === 0) return;
    this.sock.write(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Filler.BUF);
    this.pos = 0;
    this.sent += this.queued;
    this.queued = 0;
  }

  private header(ch: number, n: number): void {
    this.ensure(24);
    this.buf[this.pos++] = ch;
    this.pos += this.buf.write(String(n), this.pos, 'latin1');
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
  }

  private arg(a: Arg): void {
    if (typeof a === 'string') {
      // Keys and generated values are ASCII: one byte per character.
      this.header(0x24, a.length);
      this.ensure(a.length + 2);
      if (a.length + 2 > this.buf.length) throw new Error('string argument too long');
      this.pos += this.buf.write(a, this.pos, 'latin1');
    } else {
      this.header(0x24, a.length);
      if (a.length > Filler.BUF >> 2) {
        // Big values go to the socket as they are, without a copy.
        this.flushBuffer();
        this.sock.write(a);
      } else {
        this.ensure(a.length + 2);
        a.copy(this.buf, this.pos);
        this.pos += a.length;
      }
    }
    this.ensure(2);
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
  }

  /** Queue one command; true when the caller should `await flush()`. */
  add(args: Arg[]): boolean {
    this.header(0x2a, args.length);
    for (const a of args) this.arg(a);
    this.queued++;
    return this.pos > Filler.BUF - (64 << 10) || this.sent + this.queued - this.replies > Filler.WINDOW;
  }

  /** Send what is queued and wait until at most WINDOW/2 commands remain unanswered. */
  async flush(): Promise<void> {
    this.flushBuffer();
    await this.waitReplies(this.sent - (Filler.WINDOW >> 1));
  }

  private async waitReplies(n: number): Promise<void> {
    if (this.closedErr) throw this.closedErr;
    if (this.errors) throw new Error(`redis replied with an error: ${this.errorLine} (${this.errors} errors)`);
    if (this.replies >= n) return;
    this.waitFor = n;
    await new Promise<void>((r) => (this.waiter = r));
    if (this.closedErr && this.replies < n) throw this.closedErr;
    if (this.errors) throw new Error(`redis replied with an error: ${this.errorLine} (${this.errors} errors)`);
  }

  /** Send everything and wait for every reply. Returns the number of commands sent. */
  async finish(): Promise<number> {
    this.flushBuffer();
    await this.waitReplies(this.sent);
    return this.sent;
  }

  close(): void {
    this.sock.destroy();
  }
}

// ---------------------------------------------------------------------------------------
// The data

/** 2035-01-01T00:00:00Z in ms: absolute expiry times keep the dumps identical across builds. */
const T2035 = Date.UTC(2035, 0, 1);
const PLANS = ['free', 'pro', 'team', 'enterprise'] as const;
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'NL', 'ES', 'CA'] as const;
const STATUSES = ['new', 'active', 'suspended', 'deleted', 'pending'] as const;
const HASH_FIELDS = [
  'name', 'email', 'status', 'created_at', 'updated_at', 'country', 'city', 'zip', 'phone',
  'score', 'visits', 'last_ip', 'plan', 'price', 'qty', 'currency', 'locale', 'referrer',
] as const;
const JOB_KINDS = ['email.send', 'thumbnail', 'webhook', 'report.build', 'index.update'] as const;

interface Mix {
  strings: number;
  hashes: number;
  /** Hashes with ~500 fields among `hashes` (hashtable encoding). */
  bigHashes: number;
  sets: number;
  zsets: number;
  lists: number;
  /** 10 MB strings. */
  blobs: number;
  /** Elements of the one big list. */
  bigList: number;
}

const MIX_1G: Mix = { strings: 5_000_000, hashes: 200_000, bigHashes: 400, sets: 3000, zsets: 3000, lists: 3000, blobs: 5, bigList: 1_000_000 };
const MIX_100M: Mix = { strings: 500_000, hashes: 20_000, bigHashes: 40, sets: 300, zsets: 300, lists: 300, blobs: 1, bigList: 100_000 };

class Gen {
  readonly rng: Rng;
  constructor(
    seed: number,
    private readonly pool: Buffer,
  ) {
    this.rng = new Rng(seed);
  }
  /** `len` random alphanumerics (a view into the pool). */
  text(len: number): Buffer {
    const off = this.rng.int(0, this.pool.length - len);
    return this.pool.subarray(off, off + len);
  }
  textStr(len: number): string {
    return this.text(len).toString('latin1');
  }
}

async function fillMixed(f: Filler, mix: Mix, g: Gen): Promise<void> {
  const rng = g.rng;
  let n = 0;
  const push = async (args: Arg[]) => {
    if (f.add(args)) await f.flush();
  };
  const t0 = Date.now();
  const tick = (what: string) => {
    if (++n % 500_000 === 0) process.stderr.write(`  ${what}: ${n} commands, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  };

  // Small strings under a handful of prefixes.
  for (let i = 0; i < mix.strings; i++) {
    const r = rng.float();
    if (r < 0.4) {
      const v =
        `{"id":${i},"name":"${g.textStr(rng.int(6, 14))}","email":"${g.textStr(rng.int(6, 12)).toLowerCase()}@example.com",` +
        `"plan":"${rng.pick(PLANS)}","country":"${rng.pick(COUNTRIES)}","created":${1600000000 + rng.int(0, 150000000)},` +
        `"avatar":"${g.textStr(rng.int(10, 40))}"}`;
      await push(['SET', `user:${i}`, v]);
    } else if (r < 0.65) {
      const key = `session:${fmix32(i).toString(16).padStart(8, '0')}${rng.hex(24)}`;
      const v = g.text(rng.int(30, 170));
      if (rng.float() < 0.6) await push(['SET', key, v, 'PXAT', String(T2035 + rng.int(0, 86_400_000))]);
      else await push(['SET', key, v]);
    } else if (r < 0.85) {
      await push(['SET', `cache:item:${i}`, g.text(rng.int(20, 300)), 'PXAT', String(T2035 + rng.int(0, 3_600_000))]);
    } else if (r < 0.95) {
      const key = `rate:${rng.int(1, 254)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}:${i}`;
      await push(['SET', key, String(rng.int(0, 5000)), 'PXAT', String(T2035 + rng.int(0, 60_000))]);
    } else {
      await push(['SET', `feature:flag:${i}`, rng.float() < 0.5 ? 'on' : `{"rollout":${rng.int(0, 100)},"owner":"${g.textStr(8)}"}`]);
    }
    tick('strings');
  }

  // Hashes of 5–15 short fields (listpack), a few hundred of ~500 (hashtable).
  for (let i = 0; i < mix.hashes; i++) {
    const big = mix.bigHashes > 0 && i % Math.floor(mix.hashes / mix.bigHashes) === 0;
    const prefix = i % 3 === 0 ? 'profile' : i % 3 === 1 ? 'product' : 'order';
    const key = `${prefix}:${i}`;
    if (big) {
      const total = rng.int(400, 600);
      for (let j = 0; j < total; j += 100) {
        const args: Arg[] = ['HSET', key];
        for (let k = j; k < Math.min(total, j + 100); k++) args.push(`field:${k}`, g.text(rng.int(5, 40)));
        await push(args);
      }
    } else {
      const nf = rng.int(5, 15);
      const args: Arg[] = ['HSET', key];
      const start = rng.int(0, HASH_FIELDS.length - 1);
      for (let k = 0; k < nf; k++) {
        const field = HASH_FIELDS[(start + k) % HASH_FIELDS.length]!;
        let v: Arg;
        switch (field) {
          case 'score': case 'visits': case 'qty': case 'created_at': case 'updated_at': case 'zip':
            v = String(rng.int(0, 2_000_000_000));
            break;
          case 'status': v = rng.pick(STATUSES); break;
          case 'country': v = rng.pick(COUNTRIES); break;
          case 'plan': v = rng.pick(PLANS); break;
          case 'price': v = (rng.int(1, 99999) / 100).toFixed(2); break;
          default: v = g.text(rng.int(6, 40));
        }
        args.push(field, v);
      }
      await push(args);
    }
    tick('hashes');
  }

  // Sets: half integer members (intset up to 512, hashtable above), half strings.
  for (let i = 0; i < mix.sets; i++) {
    const size = rng.logInt(10, 5000);
    const ints = i % 2 === 0;
    const key = ints ? `followers:${i}` : `tags:${i}`;
    const base = rng.int(0, 1_000_000_000);
    for (let j = 0; j < size; j += 1000) {
      const args: Arg[] = ['SADD', key];
      for (let k = j; k < Math.min(size, j + 1000); k++) args.push(ints ? String(base + k * rng.int(1, 50)) : `m:${k}:${g.textStr(rng.int(4, 24))}`);
      await push(args);
    }
    tick('sets');
  }

  // Sorted sets: listpack up to 128 members, skiplist above.
  for (let i = 0; i < mix.zsets; i++) {
    const size = rng.logInt(10, 5000);
    const key = `leaderboard:${i}`;
    for (let j = 0; j < size; j += 1000) {
      const args: Arg[] = ['ZADD', key];
      for (let k = j; k < Math.min(size, j + 1000); k++) {
        const score = rng.float() < 0.5 ? String(rng.int(0, 1_000_000)) : (rng.float() * 1e6).toFixed(3);
        args.push(score, `player:${k}:${g.textStr(rng.int(3, 12))}`);
      }
      await push(args);
    }
    tick('zsets');
  }

  // Lists (quicklist of listpacks): job payloads.
  for (let i = 0; i < mix.lists; i++) {
    const size = rng.logInt(10, 5000);
    const key = `queue:${rng.pick(JOB_KINDS)}:${i}`;
    for (let j = 0; j < size; j += 1000) {
      const args: Arg[] = ['RPUSH', key];
      for (let k = j; k < Math.min(size, j + 1000); k++) args.push(`{"job":${k},"kind":"${rng.pick(JOB_KINDS)}","arg":"${g.textStr(rng.int(8, 80))}"}`);
      await push(args);
    }
    tick('lists');
  }

  // A few 10 MB strings.
  for (let i = 0; i < mix.blobs; i++) {
    await push(['SET', `blob:${i}`, g.text(10 << 20)]);
  }

  // One big list.
  for (let j = 0; j < mix.bigList; j += 1000) {
    const args: Arg[] = ['RPUSH', 'events:stream'];
    for (let k = j; k < Math.min(mix.bigList, j + 1000); k++) args.push(`${k}|${rng.pick(JOB_KINDS)}|${g.textStr(rng.int(10, 50))}`);
    await push(args);
  }
}

async function fillBigList(f: Filler, elements: number, g: Gen): Promise<void> {
  const rng = g.rng;
  const t0 = Date.now();
  for (let j = 0; j < elements; j += 1000) {
    const args: Arg[] = ['RPUSH', 'biglist'];
    for (let k = j; k < Math.min(elements, j + 1000); k++) args.push(g.text(rng.int(80, 120)));
    if (f.add(args)) await f.flush();
    if (j % 1_000_000 === 0 && j > 0) process.stderr.write(`  biglist: ${j} elements, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }
}

// ---------------------------------------------------------------------------------------
// Building and caching

interface DumpDef {
  name: string;
  seed: number;
  description: string;
  compressed: boolean;
  fill(f: Filler, g: Gen): Promise<void>;
}

export const DUMPS: readonly DumpDef[] = [
  {
    name: 'mixed-100m',
    seed: 100,
    description: '500k small strings (user/session/cache/rate/flag prefixes, 40% with TTL), 20k hashes, 300 sets/zsets/lists of 10–5000, one 10 MB string, a 100k-element list',
    compressed: true,
    fill: (f, g) => fillMixed(f, MIX_100M, g),
  },
  {
    name: 'mixed-1g',
    seed: 1000,
    description: '5M small strings (user/session/cache/rate/flag prefixes, 40% with TTL), 200k hashes, 3000 sets/zsets/lists of 10–5000, five 10 MB strings, a 1M-element list',
    compressed: true,
    fill: (f, g) => fillMixed(f, MIX_1G, g),
  },
  {
    name: 'list-10m',
    seed: 10,
    description: 'one key: a list of 10M elements of 80–120 bytes',
    compressed: false,
    fill: (f, g) => fillBigList(f, 10_000_000, g),
  },
];

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (status ${r.status}, ${r.error?.message ?? r.signal ?? ''})`);
}

async function gzipFile(src: string, dst: string): Promise<void> {
  const tmp = `${dst}.tmp`;
  const gzip = findExecutable('gzip');
  if (gzip) {
    const fd = openSync(tmp, 'w');
    try {
      const r = spawnSync(gzip, ['-6', '-n', '-c', src], { stdio: ['ignore', fd, 'inherit'] });
      if (r.status !== 0) throw new Error(`gzip failed (status ${r.status}, ${r.error?.message ?? r.signal ?? ''})`);
    } finally {
      closeSync(fd);
    }
  } else {
    const { createGzip } = await import('node:zlib');
    const { createReadStream } = await import('node:fs');
    const { pipeline } = await import('node:stream/promises');
    await pipeline(createReadStream(src), createGzip({ level: 6 }), createWriteStream(tmp));
  }
  renameSync(tmp, dst);
}

function lz4File(src: string, dst: string): void {
  const lz4 = findExecutable('lz4');
  if (!lz4) throw new Error('the lz4 CLI is missing: apt-get install -y lz4');
  const tmp = `${dst}.tmp`;
  run(lz4, ['-q', '-f', '-1', src, tmp]);
  renameSync(tmp, dst);
}

function zstdFile(src: string, dst: string): void {
  const zstd = findExecutable('zstd');
  if (!zstd) throw new Error('the zstd CLI is missing: apt-get install -y zstd');
  const tmp = `${dst}.tmp`;
  run(zstd, ['-q', '-f', '-3', '-T1', src, '-o', tmp]);
  renameSync(tmp, dst);
}

function readManifest(name: string): Manifest | null {
  const p = path.join(CACHE_DIR, `${name}.json`);
  if (!existsSync(p)) return null;
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as Manifest;
    if (m.version !== BENCH_DATA_VERSION) return null;
    if (!existsSync(m.path) || statSync(m.path).size !== m.bytes) return null;
    return m;
  } catch {
    return null;
  }
}

function moveFile(src: string, dst: string): void {
  try {
    renameSync(src, dst);
  } catch {
    copyFileSync(src, dst);
    rmSync(src, { force: true });
  }
}

async function build(def: DumpDef, pool: Buffer): Promise<Manifest> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, `${def.name}.rdb`);
  process.stderr.write(`bench-data: building ${def.name} with redis-server (${def.description})\n`);
  const t0 = process.hrtime.bigint();
  let redis: RedisHandle | null = null;
  let filler: Filler | null = null;
  let keys = 0;
  let redisVersion = '';
  try {
    redis = await startRedis(['--dbfilename', `${def.name}.rdb`, '--rdbcompression', 'yes', '--rdbchecksum', 'yes']);
    filler = await Filler.connect(redis.port);
    await def.fill(filler, new Gen(def.seed, pool));
    const cmds = await filler.finish();
    keys = Number(await redis.call('DBSIZE'));
    redisVersion = (await redis.info('server')).redis_version ?? '';
    process.stderr.write(`  filled: ${cmds} commands, ${keys} keys in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s; saving\n`);
    const saved = await redis.save();
    moveFile(saved, file);
  } finally {
    filler?.close();
    await redis?.stop();
  }
  const buildSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = statSync(file).size;
  process.stderr.write(`  ${def.name}.rdb: ${(bytes / 1e6).toFixed(1)} MB in ${buildSeconds.toFixed(1)} s\n`);
  let gz: string | null = null;
  let lz4: string | null = null;
  let zst: string | null = null;
  if (def.compressed) {
    const t1 = Date.now();
    gz = `${file}.gz`;
    await gzipFile(file, gz);
    lz4 = `${file}.lz4`;
    lz4File(file, lz4);
    zst = `${file}.zst`;
    zstdFile(file, zst);
    process.stderr.write(
      `  compressed: .gz ${(statSync(gz).size / 1e6).toFixed(1)} MB, .lz4 ${(statSync(lz4).size / 1e6).toFixed(1)} MB, .zst ${(statSync(zst).size / 1e6).toFixed(1)} MB in ${((Date.now() - t1) / 1000).toFixed(1)} s\n`,
    );
  }
  const m: Manifest = { version: BENCH_DATA_VERSION, name: def.name, path: file, bytes, keys, gz, lz4, zst, description: def.description, buildSeconds, redisVersion };
  writeManifest(m);
  return m;
}

function writeManifest(m: Manifest): void {
  writeFileSync(path.join(CACHE_DIR, `${m.name}.json`), JSON.stringify(m, null, 2) + '\n');
}

/** The benchmark dumps, building (once) whatever the cache lacks. */
export async function ensureBenchData(opts: { skip1g?: boolean; only?: string[] } = {}): Promise<BenchDump[]> {
  if (!findExecutable('redis-server')) throw new Error('redis-server is not on PATH (apt-get install -y redis-server)');
  const wanted = DUMPS.filter((d) => {
    if (opts.skip1g && d.name !== 'mixed-100m') return false;
    if (opts.only?.length && !opts.only.some((o) => d.name.includes(o))) return false;
    return true;
  });
  const out: BenchDump[] = [];
  let pool: Buffer | null = null;
  for (const def of wanted) {
    let m = readManifest(def.name);
    if (!m) {
      pool ??= textPool(0xbe7c4);
      m = await build(def, pool);
    } else if (def.compressed && (!m.zst || !existsSync(m.zst))) {
      m.zst = `${m.path}.zst`;
      process.stderr.write(`bench-data: adding ${path.basename(m.zst)}\n`);
      zstdFile(m.path, m.zst);
      writeManifest(m);
    }
    const { version: _v, ...dump } = m;
    void _v;
    out.push(dump);
  }
  return out;
}

// Standalone: build the cache.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) if (argv[i] === '--only') only.push(argv[++i] ?? '');
  ensureBenchData({ skip1g: argv.includes('--skip-1g'), only })
    .then((dumps) => {
      for (const d of dumps) process.stdout.write(`${d.name}\t${d.path}\t${d.bytes} bytes\t${d.keys} keys\n`);
      process.exit(0);
    })
    .catch((e: Error) => {
      process.stderr.write(`bench-data: ${e.stack ?? e.message}\n`);
      process.exit(1);
    });
}
