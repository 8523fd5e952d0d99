/**
 * The part of the release-server matrix fixtures (fixtures/release/matrix-<server>) beyond
 * fillMatrix: the size boundaries the memory models are checked on, gated by what the server
 * can do (scripts/server-caps.ts). Runs inside fillMatrix, before its every-third-key TTLs;
 * keys whose TTL is part of the experiment are registered with `ttlFixed`.
 */
import type { RespArg } from '../test/helpers/redis.ts';
import type { Filler } from './make-fixtures.ts';
import type { Caps } from './server-caps.ts';

/** 2035-01-01T00:00:00Z in ms. */
const T2035 = Date.UTC(2035, 0, 1);
/** Field TTLs: distinct instants in 2035, apart from the key TTLs (which step by hours). */
const fieldTtl = (i: number) => T2035 + 86_400_000 * 30 + i * 1000 + 7;
/** A stream id in 2035: auto ids (`*`) after it continue its sequence, so they are fixed too. */
const IDMP_BASE_MS = T2035 + 86_400_000 * 60;

const pad = (n: number, w = 3) => String(n).padStart(w, '0');
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

function letters(f: Filler, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += 'abcdefghijklmnopqrstuvwxyz'[f.rng.int(26)];
  return s;
}

/** Sizes either side of Redis' power-of-two dict tables and Valkey's 7-slot buckets. */
const SMALL_TABLE_SIZES = [2, 4, 5, 7, 8, 9, 14, 15, 16, 17, 28, 29, 32, 33, 56, 57, 64, 65, 112, 113, 127];

export async function fillReleaseExtras(f: Filler, caps: Caps): Promise<void> {
  const { rng } = f;
  await f.select(0);
  let ttl = 100_000; // TTL slots of their own (see ttlAt in make-fixtures.ts: hours + ms)
  const at = () => T2035 + ttl * 1000 + ttl++;

  // --- strings: every length around the embedded-string limits, short (5-byte), medium
  // (20-byte) and long (40-byte) key names, with and without TTL.
  const lens = [...range(1, 72), 76, 80, 84, 88, 92, 96, ...range(98, 130)];
  for (const L of lens) {
    for (const keyLen of [5, 20, 40]) {
      // Medium names only where the embedding limits can fall for them.
      if (keyLen === 20 && L > 72) continue;
      for (const withTtl of [false, true]) {
        const name =
          keyLen === 40
            ? `str:boundary:len${pad(L)}:${withTtl ? 'ttl' : 'persist'}:`.padEnd(40, 'x')
            : keyLen === 20
              ? `s20:${pad(L)}:${withTtl ? 'ttl' : 'persist'}`.padEnd(20, '_')
              : `${withTtl ? 't' : 'p'}${pad(L)}`.padEnd(5, 'k');
        const k = f.key(name, withTtl ? at() : null, true);
        f.cmd('SET', k, letters(f, L));
      }
    }
  }
  // Integers: shared objects (0..9999) and beyond, with and without TTL.
  for (const [i, v] of ['0', '7', '9999', '10000', '123456789', '-1', '9223372036854775807'].entries()) {
    for (const withTtl of [false, true]) {
      const k = f.key(`i${withTtl ? 't' : 'p'}${i}`, withTtl ? at() : null, true);
      f.cmd('SET', k, v);
    }
  }
  f.cmd('SET', f.key('str:lzf:1k'), 'abcdefgh'.repeat(128));
  f.cmd('SET', f.key('str:raw:131'), letters(f, 131));
  f.cmd('SET', f.key('str:raw:200'), letters(f, 200));
  await f.flush();

  // --- lists: listpack (7.2+) up to 128 entries / 8 KiB, quicklists beyond
  f.cmd('RPUSH', f.key('list:128'), ...range(1, 128).map((i) => `e${i}`));
  f.cmd('RPUSH', f.key('list:129'), ...range(1, 129).map((i) => `e${i}`));
  f.cmd('RPUSH', f.key('list:8k-under'), ...range(1, 100).map(() => letters(f, 78)));
  f.cmd('RPUSH', f.key('list:8k-over'), ...range(1, 110).map(() => letters(f, 78)));
  await f.flush();

  // --- sets
  f.cmd('SADD', f.key('set:intset:1'), '42');
  f.cmd('SADD', f.key('set:intset:100'), ...range(1, 100).map((i) => String(i * 131 - 5000)));
  f.cmd('SADD', f.key('set:str:128'), ...range(1, 128).map((i) => `s${i}`));
  f.cmd('SADD', f.key('set:str:129'), ...range(1, 129).map((i) => `s${i}`));
  for (const n of [200, 513, 3000]) {
    f.cmd('SADD', f.key(`set:ht:${n}`), ...range(1, n).map((i) => `m${i}${letters(f, i % 5)}`));
  }
  // Small hashtables: one member longer than the listpack limit (64 bytes) forces them.
  for (const n of SMALL_TABLE_SIZES) {
    f.cmd('SADD', f.key(`set:longmember:${pad(n)}`), 'L'.repeat(70), ...range(2, n).map((i) => `x${i}`));
  }
  await f.flush();

  // --- zsets
  for (const n of [200, 1000]) {
    const z: RespArg[] = [];
    for (let i = 0; i < n; i++) z.push((rng.next() * 1e6).toFixed(3), `z${i}${letters(f, i % 7)}`);
    f.cmd('ZADD', f.key(`zset:sl:${n}`), ...z);
  }
  for (const n of [2, 8, 9, 16, 17, 33, 65]) {
    const z: RespArg[] = ['0', 'M'.repeat(70)];
    for (let i = 2; i <= n; i++) z.push(String(i), `x${i}`);
    f.cmd('ZADD', f.key(`zset:longmember:${pad(n)}`), ...z);
  }
  await f.flush();

  // --- hashes
  const hash = (n: number, val: (i: number) => string): RespArg[] => range(1, n).flatMap((i) => [`f${i}`, val(i)]);
  // Hashes stay listpacks up to 512 fields (hash:512 / hash:513 are in the base matrix).
  f.cmd('HSET', f.key('hash:700'), ...hash(700, (i) => letters(f, i % 9)));
  for (const n of [1, ...SMALL_TABLE_SIZES]) {
    f.cmd('HSET', f.key(`hash:longval:${pad(n)}`), ...hash(n, (i) => (i === 1 ? 'V'.repeat(70) : `v${i}`)));
  }
  await f.flush();

  // --- hash field expiry
  if (caps.fieldExpiry) {
    let ft = 0;
    const hpexpire = (k: Buffer, fields: string[]) => f.cmd('HPEXPIREAT', k, fieldTtl(ft++), 'FIELDS', fields.length, ...fields);
    const some = f.key('hfe:small:some');
    f.cmd('HSET', some, ...hash(6, (i) => `v${i}`));
    hpexpire(some, ['f1', 'f4']);
    const all = f.key('hfe:small:all');
    f.cmd('HSET', all, ...hash(4, (i) => String(i * 10)));
    for (const fl of ['f1', 'f2', 'f3', 'f4']) hpexpire(all, [fl]);
    const big = f.key('hfe:ht:some');
    f.cmd('HSET', big, ...hash(600, (i) => `v${i}`));
    for (let i = 1; i <= 600; i += 3) hpexpire(big, [`f${i}`]);
    const bigAll = f.key('hfe:ht:all');
    f.cmd('HSET', bigAll, ...hash(520, (i) => `${letters(f, i % 5)}`));
    hpexpire(bigAll, range(1, 520).map((i) => `f${i}`));
    const lpBig = f.key('hfe:lp:200');
    f.cmd('HSET', lpBig, ...hash(200, (i) => `${i}`));
    hpexpire(lpBig, range(1, 200).filter((i) => i % 2).map((i) => `f${i}`));
    const longval = f.key('hfe:ht:longval');
    f.cmd('HSET', longval, ...hash(5, (i) => (i === 2 ? 'W'.repeat(80) : `v${i}`)));
    hpexpire(longval, ['f2', 'f5']);
    if (caps.hsetex) {
      const hx = f.key('hfe:hsetex');
      f.cmd('HSETEX', hx, 'PXAT', fieldTtl(ft++), 'FIELDS', 3, 'a', '1', 'b', 'two', 'c', '3.5');
      f.cmd('HSET', hx, 'persistent', 'yes');
      const hx2 = f.key('hfe:hsetex:150');
      f.cmd('HSETEX', hx2, 'PXAT', fieldTtl(ft++), 'FIELDS', 150, ...range(1, 150).flatMap((i) => [`h${i}`, `x${i}`]));
    }
    f.notes.push('hfe:* hashes carry per-field TTLs (HPEXPIREAT / HSETEX PXAT, instants in 2035): field_expire_at_ms lists them');
    await f.flush();
  }

  // --- streams
  if (caps.streams) {
    {
      // ~40 bytes of dump per pending entry (group and consumer PEL): 800 keeps the file small.
      const k = f.key('stream:pel:800');
      for (let j = 0; j < 900; j++) f.cmd('XADD', k, `${1700001000000 + j}-0`, 'n', String(j));
      f.cmd('XGROUP', 'CREATE', k, 'g', '0');
      f.cmd('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', 570, 'STREAMS', k, '>');
      f.cmd('XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', 280, 'STREAMS', k, '>');
      f.cmd('XACK', k, 'g', ...range(0, 49).map((j) => `${1700001000000 + j}-0`));
      f.cmd('XGROUP', 'CREATE', k, 'g2', '0');
      f.cmd('XREADGROUP', 'GROUP', 'g2', 'solo', 'COUNT', 5, 'STREAMS', k, '>');
    }
    {
      const k = f.key('stream:xdel:half');
      for (let j = 0; j < 400; j++) f.cmd('XADD', k, `${1700002000000 + j}-0`, 'v', letters(f, j % 19));
      f.cmd('XDEL', k, ...range(0, 199).map((j) => `${1700002000000 + 2 * j}-0`));
    }
    {
      const k = f.key('stream:trimmed:minid');
      for (let j = 0; j < 300; j++) f.cmd('XADD', k, `${1700003000000 + j}-0`, 'a', String(j), 'b', 'x');
      f.cmd('XTRIM', k, 'MINID', `${1700003000000 + 220}-0`);
    }
    await f.flush();
  }
  if (caps.idmp) {
    // Idempotent producers: IDMP only accepts auto ids; starting the stream at a fixed 2035
    // id makes `*` continue that id's sequence, so the ids are fixed too.
    const k = f.key('stream:idmp');
    f.cmd('XADD', k, `${IDMP_BASE_MS}-0`, 'init', '1');
    f.cmd('XCFGSET', k, 'IDMP-DURATION', 86400, 'IDMP-MAXSIZE', 50);
    for (const p of ['producer-a', 'producer-b', 'p3']) {
      for (let i = 0; i < 12; i++) f.cmd('XADD', k, 'IDMP', p, `${p}-iid-${i}`, '*', 'p', p, 'i', String(i));
      f.cmd('XADD', k, 'IDMP', p, `${p}-iid-3`, '*', 'p', p, 'i', 'duplicate');
    }
    for (let i = 0; i < 6; i++) f.cmd('XADD', k, 'IDMPAUTO', 'auto-producer', '*', 'order', String(1000 + i));
    f.cmd('XGROUP', 'CREATE', k, 'g', '0');
    f.cmd('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 7, 'STREAMS', k, '>');
    const k2 = f.key('stream:idmp:evicting');
    f.cmd('XADD', k2, `${IDMP_BASE_MS + 1000}-0`, 'init', '1');
    f.cmd('XCFGSET', k2, 'IDMP-DURATION', 3600, 'IDMP-MAXSIZE', 100);
    for (let i = 0; i < 130; i++) f.cmd('XADD', k2, 'IDMP', 'bulk', `iid:${pad(i, 4)}:${letters(f, i % 9)}`, '*', 'n', String(i));
    f.notes.push(
      'stream:idmp* use idempotent producers (XCFGSET IDMP-DURATION/IDMP-MAXSIZE, XADD IDMP pid iid * / IDMPAUTO); each starts at a fixed 2035 id so the auto ids are deterministic; stream:idmp:evicting holds 130 iids of one producer with maxsize 100 (the oldest 30 evicted); extra.stream.idmp is XINFO STREAM\'s idmp-* / pids / iids figures',
    );
    await f.flush();
  }

  // --- vector sets
  if (caps.vectorsets) {
    const specs: { name: string; n: number; dim: number; quant: string | null; attrEvery: number; m?: number }[] = [
      { name: 'vset:q8:d3:n1', n: 1, dim: 3, quant: null, attrEvery: 1 },
      { name: 'vset:q8:d32:n10', n: 10, dim: 32, quant: null, attrEvery: 2 },
      { name: 'vset:noquant:d3:n10', n: 10, dim: 3, quant: 'NOQUANT', attrEvery: 1 },
      { name: 'vset:noquant:d3:n100', n: 100, dim: 3, quant: 'NOQUANT', attrEvery: 0 },
      { name: 'vset:bin:d300:n40', n: 40, dim: 300, quant: 'BIN', attrEvery: 5 },
      { name: 'vset:q8:d300:n12', n: 12, dim: 300, quant: 'Q8', attrEvery: 3 },
      { name: 'vset:noquant:d32:n20', n: 20, dim: 32, quant: 'NOQUANT', attrEvery: 4 },
      // The links dominate a big set's dump: M 4 keeps 1000+ elements at ~75 bytes each.
      { name: 'vset:q8:d3:n1000:m4', n: 1000, dim: 3, quant: null, attrEvery: 10, m: 4 },
    ];
    for (const s of specs) {
      const k = f.key(s.name);
      for (let i = 0; i < s.n; i++) {
        const vec = range(1, s.dim).map(() => (rng.next() * 2 - 1).toFixed(4));
        const args: RespArg[] = ['VADD', k, 'VALUES', s.dim, ...vec, `el:${pad(i, 4)}`];
        if (s.quant) args.push(s.quant);
        if (s.m) args.push('M', s.m);
        if (s.attrEvery && i % s.attrEvery === 0) args.push('SETATTR', JSON.stringify({ i, tag: letters(f, 1 + (i % 5)) }));
        f.cmd(...args);
      }
      await f.flush();
    }
    f.notes.push(
      'vset:* are vector sets (VADD VALUES; default quantization Q8, NOQUANT, BIN; M 4 on one; SETATTR JSON on some): type "vectorset", length = VCARD, no value; sample = the first 3 element names in byte order and value_sha256 = sha256 of the compact JSON array of all element names in byte order; extra.vectorset holds VDIM, VINFO and the attributes (VGETATTR) by element. HNSW levels are random, so serialized size, VINFO max-level and memory vary between runs',
    );
  }
}
