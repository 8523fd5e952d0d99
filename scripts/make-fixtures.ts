/**
 * Regenerate the committed fixtures in fixtures/ with a real redis-server.
 *
 *   npm run fixtures                 # all fixtures
 *   npm run fixtures -- matrix-7.0   # only the named ones
 *   npm run fixtures -- --server redis-8.6.3 matrix
 *                                    # fixtures/release/matrix-redis-8.6.3 with that release
 *                                    # build (scripts/server-caps.ts finds it; see
 *                                    # makeReleaseFixture and docs/truth-format.md section 6)
 *
 * For each fixture: start a fresh server, fill it deterministically (fixed-seed PRNG,
 * explicit stream IDs, absolute PEXPIREAT times in 2035), read the truth back from the live
 * server, SAVE, copy the server's own dump to fixtures/NAME.rdb and write
 * fixtures/NAME.truth.json in the corpus truth format (docs/truth-format.md).
 * Then DEBUG RELOAD (memory after reload), redis-check-rdb, and a load verification on a
 * second fresh server.
 *
 * Re-running gives the same truth except what the server derives from its clock or its
 * random state (see NONDETERMINISM below).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  findExecutable,
  startRedis,
  type RedisHandle,
  type RespArg,
  type RespValue,
} from '../test/helpers/redis.ts';
import { probeCaps, resolveServer, type Caps, type ServerTarget } from './server-caps.ts';
import { fillReleaseExtras } from './release-matrix.ts';
import { measureDelDropsMedian } from './del-drop.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** FIXTURES_OUT writes elsewhere (to compare a regeneration with the committed files). */
const OUT = process.env.FIXTURES_OUT ?? path.join(ROOT, 'fixtures');
const GENERATOR = 'scripts/make-fixtures.ts';
export const SEED = 20240601;
/** 2035-01-01T00:00:00Z in ms. */
const T2035 = Date.UTC(2035, 0, 1);
const VALUE_MAX_ELEMENTS = 1000;
const VALUE_MAX_BYTES = 64 * 1024;

const NONDETERMINISM = [
  'clock-derived data is not in the truth: RDB aux ctime, PEL delivery times, consumer seen-times',
  'skiplist node levels are random (seeded from the clock by the server), so memory_usage of skiplist zsets varies by a few percent between runs',
  'hashtable iteration order (and so the element order inside the .rdb) depends on the server\'s random hash seed; the truth is order-independent (sets sorted, hashes by field)',
  'info_memory / info_memory_after_debug_reload include server bookkeeping and may differ by a few bytes between runs',
  'memory_usage_after_reload of a small hash that is a hashtable only because of one long field/value depends on where that pair sits in the saved (seed-dependent) order: the loader starts a listpack, converts to a dict sized for the pairs read so far, then expands for the rest and stays mid-rehash (e.g. ht sizes 8+16), so it can differ by 64 bytes between runs',
];

// ---------------------------------------------------------------------------------------
// Deterministic PRNG (mulberry32)

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)] as T;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(16)];
    return s;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  words(n: number): string {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.pick(WORDS));
    return out.join(' ');
  }
}

const WORDS = [
  'organic', 'cotton', 'shirt', 'blue', 'slim', 'fit', 'summer', 'sale', 'leather', 'boots',
  'waterproof', 'jacket', 'kids', 'wool', 'scarf', 'classic', 'denim', 'jeans', 'running', 'shoes',
  'linen', 'dress', 'gift', 'card', 'premium', 'coffee', 'beans', 'ceramic', 'mug', 'garden',
  'chair', 'oak', 'table', 'lamp', 'vintage', 'poster', 'eco', 'bottle', 'steel', 'watch',
];

// ---------------------------------------------------------------------------------------
// JSON with Python's json.dumps conventions (the corpus truth files were written by Python)

/** A double that must print like Python's float repr (1.0, 1e+300, 5e-324). */
export class PyFloat {
  constructor(readonly v: number) {}
}
export type J = null | boolean | number | string | PyFloat | J[] | Map<string, J> | JObj;
interface JObj {
  [k: string]: J | undefined;
}

/** Python repr() of a finite float. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, expS] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const decpt = Number(expS) + 1; // x = 0.DIGITS × 10^decpt
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = decpt - 1;
  return `${sign}${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** Code-point order (= UTF-8 byte order), as Python's sort_keys uses. */
function cmpCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * json.dumps(v, ensure_ascii=False, sort_keys=sortKeys, indent=indent) — compact separators
 * (",", ":") when indent is undefined.
 */
export function dumps(v: J, sortKeys: boolean, indent?: number, level = 0): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`dumps: non-integer number ${v} (use PyFloat)`);
    return String(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof PyFloat) return pyFloatRepr(v.v);
  const nl = indent === undefined ? '' : '\n' + ' '.repeat(indent * (level + 1));
  const end = indent === undefined ? '' : '\n' + ' '.repeat(indent * level);
  const kv = indent === undefined ? ':' : ': ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[' + nl + v.map((x) => dumps(x, sortKeys, indent, level + 1)).join(',' + nl) + end + ']';
  }
  let entries: [string, J][] =
    v instanceof Map
      ? [...v.entries()]
      : (Object.entries(v).filter(([, x]) => x !== undefined) as [string, J][]);
  if (sortKeys) entries = entries.sort((a, b) => cmpCodePoints(a[0], b[0]));
  if (entries.length === 0) return '{}';
  return (
    '{' +
    nl +
    entries.map(([k, x]) => JSON.stringify(k) + kv + dumps(x, sortKeys, indent, level + 1)).join(',' + nl) +
    end +
    '}'
  );
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Canonical form of a string/member/element: text, or {"b64": ...} when not UTF-8. */
function canonStr(b: Buffer): J {
  return isUtf8(b) ? b.toString('utf8') : { b64: b.toString('base64') };
}
/** Canonical object key (hash field, stream field): text, or "b64:<base64>". */
function canonKey(b: Buffer): string {
  return isUtf8(b) ? b.toString('utf8') : 'b64:' + b.toString('base64');
}

// ---------------------------------------------------------------------------------------
// Reply helpers

function buf(v: RespValue): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string' || typeof v === 'number') return Buffer.from(String(v));
  throw new Error(`expected a string reply, got ${JSON.stringify(v)}`);
}
function txt(v: RespValue): string {
  return buf(v).toString('utf8');
}
function num(v: RespValue): number {
  const n = typeof v === 'number' ? v : Number(txt(v));
  if (!Number.isFinite(n)) throw new Error(`expected a number, got ${JSON.stringify(v)}`);
  return n;
}
function arr(v: RespValue): RespValue[] {
  if (!Array.isArray(v)) throw new Error(`expected an array reply, got ${JSON.stringify(v)}`);
  return v;
}
/** Flat [name, value, name, value...] reply → Map. */
function fields(v: RespValue): Map<string, RespValue> {
  const a = arr(v);
  const m = new Map<string, RespValue>();
  for (let i = 0; i + 1 < a.length; i += 2) m.set(txt(a[i] as RespValue), a[i + 1] as RespValue);
  return m;
}
function get(m: Map<string, RespValue>, k: string): RespValue {
  if (!m.has(k)) throw new Error(`reply has no field ${k}`);
  return m.get(k) as RespValue;
}
function parseScore(v: RespValue): number {
  const s = txt(v);
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  const n = Number(s);
  if (Number.isNaN(n)) throw new Error(`bad score ${s}`);
  return n;
}
function scoreJ(x: number): J {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return new PyFloat(x);
}

// ---------------------------------------------------------------------------------------
// Filling

export interface Tracked {
  db: number;
  key: Buffer;
  /** PEXPIREAT to apply at the end of the fill (absolute ms), or null. */
  expireAt: number | null;
  /** The TTL (or its absence) is part of what the key tests: no every-third-key TTL. */
  ttlFixed?: boolean;
}

export class Filler {
  readonly keys: Tracked[] = [];
  private readonly seen = new Set<string>();
  private q: RespArg[][] = [];
  db = 0;
  readonly notes: string[] = [];
  readonly config: JObj = {};
  /** Fields the fill adds to the truth's `extra` (e.g. what a fixture was meant to show). */
  readonly truthExtra: JObj = {};
  /** What the server can do (fillMatrix gates on it); unset = everything Redis 7.0 has. */
  caps?: Caps;
  /** More keys, filled by fillMatrix before it sets its TTLs. */
  extras?: (f: Filler) => Promise<void>;

  constructor(
    readonly r: RedisHandle,
    readonly rng: Rng,
  ) {}

  /** Register a key of the current db (fill order = truth order). Returns the key bytes. */
  key(k: string | Buffer, expireAt: number | null = null, ttlFixed = false): Buffer {
    const b = typeof k === 'string' ? Buffer.from(k, 'utf8') : k;
    const id = `${this.db}:${b.toString('hex')}`;
    if (this.seen.has(id)) throw new Error(`key registered twice: ${id}`);
    this.seen.add(id);
    this.keys.push(ttlFixed ? { db: this.db, key: b, expireAt, ttlFixed } : { db: this.db, key: b, expireAt });
    return b;
  }

  cmd(...args: RespArg[]): void {
    this.q.push(args);
  }

  async flush(): Promise<RespValue[]> {
    const q = this.q;
    this.q = [];
    return q.length ? this.r.pipeline(q) : [];
  }

  async call(...args: RespArg[]): Promise<RespValue> {
    await this.flush();
    return this.r.call(...args);
  }

  async select(db: number): Promise<void> {
    await this.flush();
    await this.r.call('SELECT', db);
    this.db = db;
  }

  /** Apply the registered expiries (after everything else, since SET etc. clear TTLs). */
  async applyExpires(): Promise<void> {
    await this.flush();
    for (const db of dbsOf(this.keys)) {
      await this.r.call('SELECT', db);
      const cmds = this.keys
        .filter((k) => k.db === db && k.expireAt !== null)
        .map((k) => ['PEXPIREAT', k.key, k.expireAt as number] as RespArg[]);
      const res = await this.r.pipeline(cmds);
      res.forEach((v, i) => {
        if (v !== 1) throw new Error(`PEXPIREAT failed for ${String(cmds[i]?.[1])}`);
      });
    }
    await this.r.call('SELECT', this.db);
  }
}

const keyId = (k: { db: number; key: Buffer }) => `${k.db}:${k.key.toString('hex')}`;

function dbsOf(keys: { db: number }[]): number[] {
  return [...new Set(keys.map((k) => k.db))].sort((a, b) => a - b);
}

/** TTL slot i: 2035-01-01 + i hours + i ms (exact, distinct). */
const ttlAt = (i: number) => T2035 + i * 3_600_000 + i;

// ---------------------------------------------------------------------------------------
// Fixture: shop-7.0 — a small e-shop (Magento-ish object/page cache, sessions, queues)
// (exported with Filler/Rng: test/shop.test.ts builds the same shop on a live server)

export async function fillShop(f: Filler): Promise<void> {
  const { rng } = f;
  let ttl = 0;
  f.notes.push(
    'an e-shop as an ops playbook describes it: object cache hashes cache:product:*, full-page cache fpc:*, PHP sessions session:<32 hex> (some without TTL), an abandoned list queue:email:pending (12000 jobs, no consumer), Sidekiq (queue:default, queues, schedule, retry, stat:*), Bull (bull:mail:*), an order event stream with a consumer group and pending entries, and keys without namespace (counter, config, 12345, deadbeefcafe); db 0 and db 3',
  );
  await f.select(0);

  // Object cache: product hashes with TTLs; a few carry a long description (→ hashtable).
  for (let i = 0; i < 120; i++) {
    const id = 1001 + i;
    const k = f.key(`cache:product:${id}`, ttlAt(ttl++));
    const name = `${rng.words(3)} ${id}`;
    const h: string[] = [
      'entity_id', String(id),
      'sku', `SKU-${rng.hex(6).toUpperCase()}`,
      'name', name,
      'price', (rng.range(499, 19999) / 100).toFixed(2),
      'qty', String(rng.range(0, 500)),
      'status', String(rng.range(1, 2)),
      'url_key', name.replace(/ /g, '-'),
      'updated_at', `2025-${String(rng.range(1, 12)).padStart(2, '0')}-${String(rng.range(1, 28)).padStart(2, '0')} 10:00:00`,
    ];
    if (i % 10 === 3) h.push('special_price', (rng.range(299, 9999) / 100).toFixed(2));
    if (i % 12 === 5) h.push('description', `<p>${rng.words(rng.range(30, 70))}</p>`);
    f.cmd('HSET', k, ...h);
  }

  // Full-page cache: HTML strings per category and store view.
  for (const cat of [3, 4, 5, 8, 13, 21, 34, 55]) {
    for (const store of ['default', 'de', 'fr']) {
      const exp = cat === 55 && store === 'fr' ? null : ttlAt(ttl++);
      const k = f.key(`fpc:category:${cat}:store:${store}`, exp);
      const items: string[] = [];
      const n = rng.range(10, 30);
      for (let j = 0; j < n; j++) {
        const pid = rng.range(1001, 1120);
        items.push(
          `<li class="product-item"><a href="/catalog/product/view/id/${pid}">${rng.words(3)}</a>` +
            `<span class="price">€${(rng.range(499, 19999) / 100).toFixed(2)}</span></li>`,
        );
      }
      const html =
        `<!doctype html><html lang="${store === 'default' ? 'en' : store}"><head><title>Category ${cat}</title>` +
        `<link rel="stylesheet" href="/static/version1700000000/frontend/Luma/styles-m.css"></head>` +
        `<body class="catalog-category-view"><ul class="products list items">${items.join('')}</ul></body></html>`;
      f.cmd('SET', k, html);
    }
  }

  // Sessions: PHP-serialized strings; every fifth one never expires (leaked).
  for (let i = 0; i < 80; i++) {
    const exp = i % 5 === 4 ? null : ttlAt(ttl++);
    const k = f.key(`session:${rng.hex(32)}`, exp);
    const ip = `203.0.113.${rng.range(1, 254)}`;
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0';
    let v =
      `_session_validator_data|a:2:{s:11:"remote_addr";s:${ip.length}:"${ip}";` +
      `s:15:"http_user_agent";s:${ua.length}:"${ua}";}`;
    if (i % 3 === 0) v += `customer_base|a:1:{s:11:"customer_id";i:${rng.range(1, 99999)};}`;
    if (i % 4 === 0) v += `checkout|a:1:{s:8:"quote_id";i:${rng.range(1, 99999)};}`;
    f.cmd('SET', k, v);
  }
  await f.flush();

  // The abandoned email queue: 12000 jobs nobody consumes.
  {
    const k = f.key('queue:email:pending');
    const tpls = ['cart_reminder', 'order_confirmation', 'newsletter', 'password_reset'];
    for (let i = 0; i < 12000; i += 500) {
      const batch: string[] = [];
      for (let j = i; j < i + 500; j++) batch.push(`{"id":${100000 + j},"tpl":"${rng.pick(tpls)}","c":${rng.range(1, 99999)}}`);
      f.cmd('RPUSH', k, ...batch);
    }
  }

  // Sidekiq.
  {
    const k = f.key('queue:default');
    const jobs: string[] = [];
    for (let i = 0; i < 40; i++) {
      jobs.push(
        `{"retry":true,"queue":"default","class":"${rng.pick(['HardWorker', 'ReindexWorker', 'MailerWorker'])}",` +
          `"args":[${rng.range(1, 9999)}],"jid":"${rng.hex(24)}","created_at":${1767225600 + i}.${rng.range(100, 999)},` +
          `"enqueued_at":${1767225600 + i}.${rng.range(100, 999)}}`,
      );
    }
    f.cmd('LPUSH', k, ...jobs);
    f.cmd('SADD', f.key('queues'), 'default', 'mailers');
    f.cmd('SET', f.key('stat:processed'), '184467');
    f.cmd('SET', f.key('stat:failed'), '12');
    const sched: RespArg[] = [];
    for (let i = 0; i < 8; i++) sched.push(String(1767225600 + i * 60 + 0.25), `{"class":"ReportWorker","jid":"${rng.hex(24)}"}`);
    f.cmd('ZADD', f.key('schedule'), ...sched);
    // Members of at most 64 bytes keep this 5-member zset a listpack: as a skiplist its
    // MEMORY USAGE would follow the server's random node levels, by more than the 2% the
    // shop test holds its one-key namespace to.
    const retry: RespArg[] = [];
    for (let i = 0; i < 5; i++) retry.push(String(1767230000.5 + i * 17), `{"class":"MailerWorker","retry_count":${i},"jid":"${rng.hex(12)}"}`);
    f.cmd('ZADD', f.key('retry'), ...retry);
  }

  // Bull (mail queue).
  {
    const ids: string[] = [];
    for (let id = 101; id <= 160; id++) ids.push(String(id));
    f.cmd('LPUSH', f.key('bull:mail:wait'), ...ids.slice(1));
    f.cmd('LPUSH', f.key('bull:mail:active'), ids[0] as string);
    f.cmd('SET', f.key('bull:mail:id'), '160');
    for (const id of ids) {
      f.cmd(
        'HSET', f.key(`bull:mail:${id}`),
        'name', '__default__',
        'data', `{"to":"customer${rng.range(1, 99999)}@example.com","template":"order_shipped"}`,
        'opts', '{"attempts":3,"delay":0,"timestamp":1767225600000}',
        'timestamp', String(1767225600000 + Number(id)),
        'delay', '0',
        'priority', '0',
      );
    }
    const done: RespArg[] = [];
    for (let id = 1; id <= 150; id++) done.push(String(1767220000000 + id * 1000), String(id));
    f.cmd('ZADD', f.key('bull:mail:completed'), ...done); // > 128 members → skiplist
    f.cmd('ZADD', f.key('bull:mail:delayed'), '1767300000000', '161', '1767300060000', '162');
    const ev: RespArg[][] = [];
    for (let i = 0; i < 40; i++) {
      ev.push(['XADD', 'bull:mail:events', `${1767225600000 + i * 250}-0`, 'event', i % 2 ? 'completed' : 'active', 'jobId', String(101 + (i >> 1))]);
    }
    f.key('bull:mail:events');
    for (const c of ev) f.cmd(...c);
  }

  // Order events stream with a consumer group and pending entries.
  {
    const k = f.key('events:orders');
    for (let i = 0; i < 60; i++) {
      f.cmd(
        'XADD', k, `${1767225600000 + i * 60000}-0`,
        'order_id', String(500000 + i),
        'status', rng.pick(['new', 'paid', 'shipped']),
        'total', (rng.range(999, 49999) / 100).toFixed(2),
        'store', rng.pick(['default', 'de', 'fr']),
      );
    }
    f.cmd('XGROUP', 'CREATE', k, 'fulfillment', '0');
    f.cmd('XGROUP', 'CREATE', k, 'analytics', '$');
    f.cmd('XREADGROUP', 'GROUP', 'fulfillment', 'worker-1', 'COUNT', 20, 'STREAMS', k, '>');
    f.cmd('XREADGROUP', 'GROUP', 'fulfillment', 'worker-2', 'COUNT', 10, 'STREAMS', k, '>');
    const acks: string[] = [];
    for (let i = 0; i < 15; i++) acks.push(`${1767225600000 + i * 60000}-0`);
    f.cmd('XACK', k, 'fulfillment', ...acks);
  }

  // Zsets: bestsellers (listpack), popular search terms (> 128 → skiplist).
  {
    const best: RespArg[] = [];
    for (let i = 0; i < 25; i++) best.push(rng.range(1, 500), String(1001 + i));
    f.cmd('ZADD', f.key('leaderboard:bestsellers:week'), ...best);
    const terms: RespArg[] = [];
    for (let i = 0; i < 300; i++) terms.push(rng.range(1, 100000), `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${i}`);
    f.cmd('ZADD', f.key('search:terms:popular'), ...terms);
  }

  // Sets: intsets of category ids, a hashtable set of tags.
  for (let i = 0; i < 6; i++) {
    const cats: string[] = [];
    for (let j = 0; j < rng.range(2, 6); j++) cats.push(String(rng.range(2, 60)));
    f.cmd('SADD', f.key(`product:${1001 + i}:category_ids`), ...cats);
  }
  f.cmd('SADD', f.key('tags:catalog'), ...WORDS.map((w) => `tag:${w}`));

  // No namespace.
  f.cmd('SET', f.key('counter'), '48213');
  f.cmd('HSET', f.key('config'), 'currency', 'EUR', 'locale', 'de_DE', 'timezone', 'Europe/Berlin', 'cache_enabled', '1');
  f.cmd('SET', f.key('12345'), 'legacy import marker');
  f.cmd('SET', f.key('deadbeefcafe', ttlAt(ttl++)), 'x');

  // db 3: rate limits and locks.
  await f.select(3);
  for (let i = 0; i < 30; i++) {
    f.cmd('SET', f.key(`rate:ip:198.51.100.${i + 1}`, ttlAt(ttl++)), String(rng.range(1, 120)));
  }
  f.cmd('SET', f.key('lock:cron:indexer_reindex_all_invalid', ttlAt(ttl++)), `host-a:${rng.range(1000, 9999)}`);
  f.cmd('HSET', f.key('cache:config:store:default'), 'web/secure/base_url', 'https://shop.example.com/', 'general/locale/code', 'en_US');
  await f.flush();
  await f.select(0);
  await f.applyExpires();
}

// ---------------------------------------------------------------------------------------
// Fixture: incident-7.0 — a busy shop as an on-call engineer meets it: object and page
// cache, sessions, Bull and Sidekiq queues, a leaderboard and an event stream with a backlog

/**
 * The namespaces a developer of this shop would name: the leaf patterns the default namespace
 * rules should produce (recorded in the truth's extra.meant_namespaces; test/incident.test.ts
 * holds the report to it).
 */
const INCIDENT_STORES = ['default', 'de', 'en', 'fr'] as const;
const INCIDENT_MEANT = [
  ...INCIDENT_STORES.map((s) => `cache:eav:*:${s}`),
  'cache:product:*',
  ...INCIDENT_STORES.map((s) => `fpc:category:*:store:${s}`),
  'session:*',
  'queue:email:pending',
  'bull:orders:*',
  'bull:orders:wait',
  'bull:orders:active',
  'bull:orders:delayed',
  'bull:orders:id',
  'schedule',
  'retry',
  'dead',
  'leaderboard:global',
  'events:orders',
  'rate:ip:*',
];

export async function fillIncident(f: Filler): Promise<void> {
  const { rng } = f;
  let ttl = 0;
  f.notes.push(
    'a shop instance during an incident: EAV attribute cache cache:eav:<attr>_<id>:<store> (1200 keys from 300 attribute codes, 56 without TTL), cache:product:<id> hashes, full-page cache fpc:category:<id>:store:<store> (the biggest namespace once its store views are added up), sessions session:<32 hex> (12 without TTL), a backlog list queue:email:pending, Bull bull:orders:* (job hashes, wait/active lists, a delayed zset scored in ms), Sidekiq schedule/retry/dead zsets scored in seconds, a 20000-member leaderboard:global (points, not times), a 12000-entry stream events:orders whose group holds 2500 delivered, unacknowledged entries (MEMORY USAGE counts about 1 KiB per pending entry, so a bigger backlog would outweigh everything else), and rate:ip:<ip> counters with TTLs',
  );
  f.truthExtra.meant_namespaces = INCIDENT_MEANT;
  await f.select(0);

  // EAV attribute cache: many attribute codes (3-letter syllables), each with ids and stores.
  const syl = () => 'bcdfghklmnprstvz'[rng.int(16)] + 'aeiou'[rng.int(5)] + 'bcdfghklmnprstvz'[rng.int(16)];
  const attrs = new Set<string>();
  while (attrs.size < 300) attrs.add(syl());
  const attrList = [...attrs];
  const eavSeen = new Set<string>();
  for (let i = 0; eavSeen.size < 1200; i++) {
    const name = `cache:eav:${rng.pick(attrList)}_${rng.range(1, 999)}:${rng.pick(INCIDENT_STORES)}`;
    if (eavSeen.has(name)) continue;
    eavSeen.add(name);
    // Every 1200/56-th key misses its EXPIRE (56 in all).
    const noTtl = (eavSeen.size * 56) % 1200 < 56;
    f.cmd('SET', f.key(name, noTtl ? null : ttlAt(ttl++)), `a:3:{s:5:"label";s:12:"${rng.words(2).slice(0, 12).padEnd(12, ' ')}";s:7:"options";a:${rng.range(1, 9)}:{}s:4:"type";s:6:"select";}`);
  }
  await f.flush();

  // Object cache: product hashes.
  for (let i = 0; i < 150; i++) {
    f.cmd(
      'HSET', f.key(`cache:product:${20001 + i}`, ttlAt(ttl++)),
      'name', `${rng.words(3)} ${i}`,
      'sku', `SKU-${rng.hex(6).toUpperCase()}`,
      'price', (rng.range(499, 19999) / 100).toFixed(2),
      'qty', String(rng.range(0, 500)),
    );
  }

  // Full-page cache: category pages over 64 KiB each, one per store view.
  for (let c = 0; c < 15; c++) {
    const cat = 300 + c * 7;
    for (const store of INCIDENT_STORES) {
      const items: string[] = [];
      while (items.join('').length < 70_000) {
        const pid = rng.range(20001, 20150);
        items.push(
          `<li class="product-item" data-id="${pid}"><a href="/${store}/catalog/product/view/id/${pid}">${rng.words(4)}</a>` +
            `<span class="price">${(rng.range(499, 19999) / 100).toFixed(2)}</span><span class="stock">${rng.range(0, 90)}</span></li>`,
        );
      }
      f.cmd('SET', f.key(`fpc:category:${cat}:store:${store}`, ttlAt(ttl++)), `<!doctype html><html><body><ul>${items.join('')}</ul></body></html>`);
    }
    await f.flush();
  }

  // Sessions: every 80th never expires.
  for (let i = 0; i < 1000; i++) {
    const k = f.key(`session:${rng.hex(32)}`, i % 80 === 79 ? null : ttlAt(ttl++));
    let v = `_session_validator_data|a:2:{s:11:"remote_addr";s:12:"203.0.113.${rng.range(10, 99)}";}`;
    v += `cart|a:${rng.range(1, 9)}:{`;
    while (v.length < 1400) v += `i:${rng.range(20001, 20150)};a:2:{s:3:"qty";i:${rng.range(1, 5)};s:4:"name";s:20:"${rng.words(3).slice(0, 20)}";}`;
    f.cmd('SET', k, v + '}');
    if (i % 200 === 199) await f.flush();
  }

  // The email backlog.
  {
    const k = f.key('queue:email:pending');
    for (let i = 0; i < 12000; i += 500) {
      const batch: string[] = [];
      for (let j = i; j < i + 500; j++) batch.push(`{"id":${300000 + j},"tpl":"order_update","to":"c${rng.range(1, 99999)}@example.com"}`);
      f.cmd('RPUSH', k, ...batch);
    }
  }

  // Bull: job hashes, wait/active lists, a delayed zset scored by due time in ms.
  {
    for (let id = 1; id <= 300; id++) {
      f.cmd(
        'HSET', f.key(`bull:orders:${id}`),
        'name', '__default__',
        'data', `{"orderId":${700000 + id},"items":${rng.range(1, 9)}}`,
        'opts', '{"attempts":5,"backoff":{"type":"exponential","delay":1000}}',
        'timestamp', String(1767225600000 + id * 1000),
      );
    }
    const wait: string[] = [];
    for (let id = 301; id <= 500; id++) wait.push(String(id));
    f.cmd('LPUSH', f.key('bull:orders:wait'), ...wait);
    f.cmd('LPUSH', f.key('bull:orders:active'), '1', '2', '3', '4', '5');
    const delayed: RespArg[] = [];
    for (let id = 501; id <= 650; id++) delayed.push(String(1767229200000 + id * 5000), String(id));
    f.cmd('ZADD', f.key('bull:orders:delayed'), ...delayed);
    f.cmd('SET', f.key('bull:orders:id'), '650');
  }

  // Sidekiq: schedule / retry / dead, scored by epoch seconds with fractions.
  for (const [name, n] of [['schedule', 200], ['retry', 50], ['dead', 300]] as const) {
    const z: RespArg[] = [];
    for (let i = 0; i < n; i++) {
      z.push(String(1767225600 + i * 37 + 0.125), `{"class":"SyncWorker","args":[${rng.range(1, 99999)}],"jid":"${rng.hex(24)}"}`);
    }
    f.cmd('ZADD', f.key(name), ...z);
  }
  await f.flush();

  // A leaderboard: points, not times.
  {
    const k = f.key('leaderboard:global');
    for (let i = 0; i < 20000; i += 1000) {
      const z: RespArg[] = [];
      for (let j = i; j < i + 1000; j++) z.push(rng.range(0, 250000), `player:${100000 + j}`);
      f.cmd('ZADD', k, ...z);
    }
    await f.flush();
  }

  // Order events with a consumer group that stopped acknowledging.
  {
    const k = f.key('events:orders');
    for (let i = 0; i < 12000; i++) {
      f.cmd('XADD', k, `${1767225600000 + i * 1000}-0`, 'order', String(700000 + i), 'status', rng.pick(['new', 'paid', 'shipped']));
      if (i % 1000 === 999) await f.flush();
    }
    f.cmd('XGROUP', 'CREATE', k, 'fulfillment', '0');
    f.cmd('XREADGROUP', 'GROUP', 'fulfillment', 'worker-1', 'COUNT', 2500, 'STREAMS', k, '>');
    await f.flush();
  }

  // Rate limits.
  for (let i = 0; i < 200; i++) f.cmd('SET', f.key(`rate:ip:198.51.${100 + (i >> 8)}.${(i & 255) + 1}`, ttlAt(ttl++)), String(rng.range(1, 120)));
  await f.flush();
  await f.applyExpires();
}

// ---------------------------------------------------------------------------------------
// Fixture: matrix-7.0 — every type/encoding and edge value 7.0 can produce

async function fillMatrix(f: Filler): Promise<void> {
  const { rng } = f;
  const has = (c: keyof Caps) => !f.caps || Boolean(f.caps[c]);
  const s = (k: string | Buffer, v: string | Buffer) => f.cmd('SET', f.key(k), v);
  await f.select(0);

  // --- odd key names
  s('', 'value of the empty key');
  s(Buffer.concat([Buffer.from('bin:'), Buffer.from([0xff, 0xfe, 0x00, 0x80])]), 'binary key (not UTF-8)');
  s(Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), 'key that is only invalid UTF-8');
  s(Buffer.concat([Buffer.from('surrogate:'), Buffer.from([0xed, 0xa0, 0x80])]), 'CESU-8 surrogate in key');
  s('key,with,commas', 'a,b,"c"');
  s('key "with" \'quotes\'', '"quoted" value');
  s('key\nwith\nnewlines', 'line1\nline2\r\nline3');
  s('key\twith\ttabs\r\n', 'tabs');
  s('=HYPERLINK("http://evil.example","x")', 'csv injection =');
  s('+cmd|\' /C calc\'!A0', 'csv injection +');
  s('-2+3', 'csv injection -');
  s('@SUM(1+1)', 'csv injection @');
  s('<script>alert(1)</script>', '<img src=x onerror=alert(1)>');
  s('| md | pipe |', '`code` and **bold** and | pipes |');
  s('`backticks` *stars* _under_ [link](x)', 'markdown');
  s('ключ:über', 'значение');
  s('str:emoji:🔑', '😀 emoji value 🎉');
  s(' leading and trailing space ', ' v ');
  s('nul\0inside', 'a\0b');

  // --- integer strings and near-misses
  const ints: [string, string][] = [
    ['str:int:0', '0'], ['str:int:1', '1'], ['str:int:9999', '9999'], ['str:int:10000', '10000'],
    ['str:int:-1', '-1'], ['str:int:127', '127'], ['str:int:128', '128'], ['str:int:-128', '-128'],
    ['str:int:-129', '-129'], ['str:int:32767', '32767'], ['str:int:32768', '32768'],
    ['str:int:-32768', '-32768'], ['str:int:-32769', '-32769'], ['str:int:2147483647', '2147483647'],
    ['str:int:2147483648', '2147483648'], ['str:int:-2147483648', '-2147483648'],
    ['str:int:-2147483649', '-2147483649'], ['str:int:max64', '9223372036854775807'],
    ['str:int:min64', '-9223372036854775808'], ['str:notint:2^63', '9223372036854775808'],
    ['str:notint:007', '007'], ['str:notint:plus1', '+1'], ['str:notint:negzero', '-0'],
    ['str:notint:space', ' 1'], ['str:notint:1e3', '1e3'], ['str:float', '3.14159'],
  ];
  for (const [k, v] of ints) s(k, v);

  // --- string sizes and LZF
  s('str:empty', '');
  s('str:embstr:44', 'e'.repeat(44));
  s('str:raw:45', 'r'.repeat(45));
  s('str:len20', 'abcdefghijklmnopqrst');
  s('str:len21:lzf', 'a'.repeat(21));
  s('str:embstr:44:random', rng.bytes(22).toString('hex'));
  s('str:lzf:100k', Buffer.from('0123456789abcdef-compressible-'.repeat(3500)).subarray(0, 102400));
  // Release fixtures keep under ~400 KB: their big raw string is str:lzf:100k alone.
  if (!f.extras) s('str:rand:100k', rng.bytes(102400));
  s('str:rand:1k', rng.bytes(1024));
  s('str:lzf:text', `${rng.words(300)}`);
  s('str:binary:256', Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  s('str:utf8:cjk', '漢字とかなカナ한국어');
  f.key('str:append');
  f.cmd('APPEND', 'str:append', 'hello');
  f.cmd('APPEND', 'str:append', ' world');
  f.key('str:setrange');
  f.cmd('SETRANGE', 'str:setrange', 10, 'tail');
  f.key('str:incr');
  for (let i = 0; i < 5; i++) f.cmd('INCR', 'str:incr');
  f.key('str:incrbyfloat');
  f.cmd('INCRBYFLOAT', 'str:incrbyfloat', '10.5');
  f.cmd('INCRBYFLOAT', 'str:incrbyfloat', '0.25');
  await f.flush();

  // --- lists (7.0: always quicklist, listpack nodes)
  f.cmd('RPUSH', f.key('list:small'), 'a', 'bb', '', 'ccc', '42', '-7', 'ünïcødé', 'x'.repeat(100));
  // Integers of every listpack width (7/13/16/24/32/64-bit) and ziplist width (4-bit imm,
  // 8/16/24/32/64-bit), their boundaries, and integer-looking strings that are not ints.
  const widths = [
    '0', '1', '12', '13', '127', '128', '-1', '-63', '-64', '-128', '-129', '255', '256',
    '4095', '4096', '-4096', '-4097', '32767', '32768', '-32768', '-32769',
    '8388607', '8388608', '-8388608', '-8388609', '2147483647', '2147483648',
    '-2147483648', '-2147483649', '9223372036854775807', '-9223372036854775808',
    '9223372036854775808', '007', '-0', '+5', ' 5', '1.0',
  ];
  f.cmd('RPUSH', f.key('list:intwidths'), ...widths);
  // String lengths at listpack (63/64, 4095/4096) and ziplist (63/64, 16383/16384) boundaries.
  f.cmd('RPUSH', f.key('list:strlens'), ...[0, 1, 63, 64, 4095, 4096].map((n) => 's'.repeat(n)));
  f.cmd('RPUSH', f.key('list:bigelem'), 'head', 'B'.repeat(10240), 'tail');
  f.cmd('LPUSH', f.key('list:lpush'), 'one', 'two', 'three');
  {
    const k = f.key('list:large');
    for (let i = 0; i < 3000; i += 500) {
      const b: string[] = [];
      for (let j = i; j < i + 500; j++) b.push(j % 3 === 0 ? String(j) : j % 3 === 1 ? `item:${j}` : String(-j * 1000));
      f.cmd('RPUSH', k, ...b);
    }
  }
  await f.flush();
  // PLAIN quicklist nodes: lower the packed threshold for this key only.
  if (has('plainNodes')) {
    await f.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', 8192);
    await f.call('RPUSH', f.key('list:plain'), 'a', 'P'.repeat(9000), 'b', rng.bytes(10000).toString('hex'), 'c');
    await f.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', 1073741824);
    f.notes.push(
      'list:plain was built under DEBUG QUICKLIST-PACKED-THRESHOLD 8192 (then restored to 1073741824): its 9000- and 20000-byte elements are PLAIN quicklist nodes. list:bigelem (10 KiB element, default threshold) is a one-entry PACKED node.',
    );
  }
  // LZF-compressed quicklist nodes.
  await f.call('CONFIG', 'SET', 'list-compress-depth', '1');
  {
    const k = f.key('list:compressed');
    // Release fixtures (f.extras) keep under ~400 KB: fewer nodes show the same thing.
    const n = f.extras ? 1500 : 5000;
    for (let i = 0; i < n; i += 500) {
      const b: string[] = [];
      for (let j = i; j < i + 500; j++) b.push(`compressible-value-${j}-zzzzzzzzzzzzzzzzzzzz`);
      f.cmd('RPUSH', k, ...b);
    }
    await f.flush();
  }
  await f.call('CONFIG', 'SET', 'list-compress-depth', '0');
  f.notes.push(
    'list:compressed was built under list-compress-depth 1 (then reset to 0): its interior nodes are LZF-compressed in memory and all its nodes are LZF in the RDB; a server loading the dump with the default depth 0 keeps it uncompressed (see memory_usage_after_reload)',
  );

  // --- sets
  f.cmd('SADD', f.key('set:intset16'), '1', '2', '3', '-5', '32767', '-32768', '100');
  f.cmd('SADD', f.key('set:intset32'), '1', '32768', '-32769', '2147483647', '-2147483648');
  f.cmd('SADD', f.key('set:intset64'), '1', '2147483648', '-2147483649', '9223372036854775807', '-9223372036854775808');
  f.cmd('SADD', f.key('set:intset:512'), ...Array.from({ length: 512 }, (_, i) => String(i * 7 - 1000)));
  f.cmd('SADD', f.key('set:ints:513'), ...Array.from({ length: 513 }, (_, i) => String(i * 7 - 1000)));
  f.cmd('SADD', f.key('set:small:str'), 'apple', 'banana', 'cherry', '', 'ünï', '12a');
  f.cmd('SADD', f.key('set:binary'), Buffer.from([0xff]), Buffer.from([0x00, 0x01]), Buffer.from([0xc3, 0x28]), 'text');
  f.cmd('SADD', f.key('set:longmember'), 'short', 'L'.repeat(100));
  f.cmd('SADD', f.key('set:large'), ...Array.from({ length: 1200 }, (_, i) => `member:${String(i).padStart(5, '0')}`));

  // --- zsets
  f.cmd(
    'ZADD', f.key('zset:small'),
    '-inf', 'neginf', '-2.25', 'neg', '-0.1', 'neg.tenth', '-1e-300', 'tiny.neg', '0', 'zero',
    '5e-324', 'denorm', '1', 'one', '1.5', 'one.five', '3.141592653589793', 'pi',
    '123456789012345678', 'bigint', '1e300', 'huge', '+inf', 'posinf',
  );
  f.cmd('ZADD', f.key('zset:binarymember'), '2', Buffer.from([0xfe, 0xff, 0x62]), '1', 'text');
  f.cmd('ZADD', f.key('zset:intmembers'), '10', '1', '20', '300', '30', '-70000', '40', '9223372036854775807');
  {
    const z: RespArg[] = [];
    for (let i = 0; i < 128; i++) z.push(String(i / 2), `e${String(i).padStart(3, '0')}`);
    f.cmd('ZADD', f.key('zset:128'), ...z);
    const z2: RespArg[] = [];
    for (let i = 0; i < 129; i++) z2.push(String(i / 2), `e${String(i).padStart(3, '0')}`);
    f.cmd('ZADD', f.key('zset:129'), ...z2);
    const z3: RespArg[] = ['-inf', 'm:-inf', '-1.7976931348623157e308', 'm:min', '1.7976931348623157e308', 'm:max'];
    for (let i = 0; i < 300; i++) z3.push(String((rng.next() * 2000 - 1000).toFixed(6)), `m:${String(i).padStart(3, '0')}`);
    f.cmd('ZADD', f.key('zset:large'), ...z3);
  }
  f.cmd('ZADD', f.key('zset:longmember'), '1', 'a', '2', 'M'.repeat(65), '3', 'c');

  // --- hashes
  f.cmd(
    'HSET', f.key('hash:small'),
    'name', 'Alice', 'age', '42', 'empty', '', 'neg', '-7', 'float', '2.5', '12', 'numeric field',
    'big', '9223372036854775807', 'ключ🔑', 'значение',
  );
  f.cmd('HSET', f.key('hash:binaryvals'), 'ok', 'fine', 'nul', '\0\x01\x02', 'bin', Buffer.from([0x80, 0x61, 0x62, 0x63]));
  f.cmd('HSET', f.key('hash:binaryfield'), 'plain', 'x', Buffer.from([0xff, 0xfe]), 'binary field name');
  {
    const h: RespArg[] = [];
    for (let i = 0; i < widths.length; i++) h.push(`w${i}`, widths[i] as string);
    f.cmd('HSET', f.key('hash:intvals'), ...h);
    const h512: RespArg[] = [];
    for (let i = 0; i < 512; i++) h512.push(`k${String(i).padStart(3, '0')}`, `v${i}`);
    f.cmd('HSET', f.key('hash:512'), ...h512);
    const h513: RespArg[] = [];
    for (let i = 0; i < 513; i++) h513.push(`k${String(i).padStart(3, '0')}`, `v${i}`);
    f.cmd('HSET', f.key('hash:513'), ...h513);
    const hl: RespArg[] = [];
    for (let i = 0; i < 1200; i++) hl.push(`field:${String(i).padStart(4, '0')}`, i % 2 ? String(i * 13) : `value:${i}:${'q'.repeat(i % 20)}`);
    f.cmd('HSET', f.key('hash:large'), ...hl);
  }
  f.cmd('HSET', f.key('hash:val100'), 'a', '1', 'b', 'V'.repeat(100), 'c', '3');
  f.cmd('HSET', f.key('hash:longfield'), 'F'.repeat(65), 'x', 'y', 'z');
  await f.flush();

  // --- streams
  if (has('streams')) {
    const k = f.key('stream:main');
    let n = 0;
    for (let sec = 0; sec < 10; sec++) {
      for (let seq = 0; seq < 3; seq++) {
        const id = `${1700000000000 + sec * 1000}-${seq}`;
        const kind = n % 3;
        if (kind === 0) f.cmd('XADD', k, id, 'sensor', 'temp', 'value', (20 + n * 0.1).toFixed(1));
        else if (kind === 1) f.cmd('XADD', k, id, 'event', 'login', 'user', `user${n}`, 'ok', '1');
        else f.cmd('XADD', k, id, 'n', String(n * 1000), 'payload', 'p'.repeat(n), 'emoji', '📦');
        n++;
      }
    }
    f.cmd('XDEL', k, '1700000001000-1', '1700000004000-2', '1700000005000-2');
    f.cmd('XGROUP', 'CREATE', k, 'g1', '0');
    f.cmd('XGROUP', 'CREATE', k, 'g2', '0');
    f.cmd('XGROUP', 'CREATE', k, 'g3', '$');
    f.cmd('XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', 4, 'STREAMS', k, '>');
    f.cmd('XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', 4, 'STREAMS', k, '>');
    if (has('streamMeta7')) f.cmd('XGROUP', 'CREATECONSUMER', k, 'g1', 'carol');
    f.cmd('XACK', k, 'g1', '1700000000000-0', '1700000000000-1');
    // Re-deliver two of bob's entries to alice (delivery count 2).
    f.cmd('XCLAIM', k, 'g1', 'alice', 0, '1700000002000-0', '1700000002000-1');
    f.cmd('XREADGROUP', 'GROUP', 'g2', 'zed', 'COUNT', 2, 'STREAMS', k, '>');
  }
  if (has('streams')) {
    const k = f.key('stream:trimmed');
    for (let i = 0; i < 300; i++) f.cmd('XADD', k, `${1700000100000 + i}-0`, 'i', String(i));
    f.cmd('XTRIM', k, 'MAXLEN', 50);
  }
  if (has('streams')) {
    const k = f.key('stream:big');
    for (let i = 0; i < 250; i++) {
      f.cmd('XADD', k, `${1700000200000 + i}-0`, 'job', `job-${i}`, 'attempt', String(i % 4), 'body', `${rng.words(4)}`);
    }
    f.cmd('XGROUP', 'CREATE', k, 'workers', '0');
    f.cmd('XREADGROUP', 'GROUP', 'workers', 'w1', 'COUNT', 60, 'STREAMS', k, '>');
    f.cmd('XREADGROUP', 'GROUP', 'workers', 'w2', 'COUNT', 40, 'STREAMS', k, '>');
  }
  if (has('streams')) f.cmd('XGROUP', 'CREATE', f.key('stream:empty'), 'grp', '$', 'MKSTREAM');
  if (has('streams')) {
    const k = f.key('stream:alldeleted');
    for (let i = 0; i < 3; i++) f.cmd('XADD', k, `${1700000300000 + i}-0`, 'f', 'v');
    f.cmd('XDEL', k, '1700000300000-0', '1700000300001-0', '1700000300002-0');
  }
  if (has('streams')) {
    const k = f.key('stream:binary');
    f.cmd('XADD', k, '1700000400000-0', 'text', 'plain', 'bin', Buffer.from([0xff, 0x00, 0xfe]));
    f.cmd('XADD', k, '1700000400000-1', Buffer.from([0xc3, 0x28]), 'binary field name');
  }
  await f.flush();

  // --- other dbs (the same key name in db 0 and db 1 with different values)
  s('str:int:shared-name', '12345');
  await f.select(1);
  s('str:int:shared-name', '67890');
  f.cmd('RPUSH', f.key('db1:list'), 'a', 'b', 'c');
  f.cmd('HSET', f.key('db1:hash'), 'k', 'v');
  await f.select(2);
  f.cmd('SADD', f.key('db2:set'), '1', '2', '3');
  s('db2:long', 'L'.repeat(64));
  await f.select(15);
  s('db15:str', 'fifteen');
  f.cmd('RPUSH', f.key('db15:list'), ...Array.from({ length: 1000 }, (_, i) => String(i)));
  s('db15:volatile', 'expires');
  await f.flush();
  await f.select(0);

  if (f.extras) await f.extras(f);

  // --- function library
  if (has('functions')) {
    await f.call(
      'FUNCTION', 'LOAD',
      "#!lua name=fixturelib\nredis.register_function('fx_echo', function(keys, args) return args[1] end)\n" +
        "redis.register_function{function_name='fx_get', callback=function(keys, args) return redis.call('GET', keys[1]) end, flags={'no-writes'}}\n",
    );
  }

  // PEXPIREAT on every third key.
  f.keys.forEach((k, i) => {
    if (i % 3 === 1 && !k.ttlFixed) k.expireAt = ttlAt(i);
  });
  await f.applyExpires();
}

// ---------------------------------------------------------------------------------------
// Fixtures: lfu-7.0 / lru-7.0 — a handful of keys, FREQ / IDLE opcodes

async function fillSmallMixed(f: Filler): Promise<void> {
  const { rng } = f;
  await f.select(0);
  f.cmd('SET', f.key('s:int'), '123456');
  f.cmd('SET', f.key('s:embstr', ttlAt(1)), 'hello, embstr!!');
  f.cmd('SET', f.key('s:raw'), 'x'.repeat(100));
  f.cmd('SET', f.key('s:blob'), rng.bytes(300));
  f.cmd('RPUSH', f.key('l:small', ttlAt(2)), 'a', 'b', 'c', 'd');
  f.cmd('RPUSH', f.key('l:large'), ...Array.from({ length: 2000 }, (_, i) => (i % 2 ? `e${i}` : String(i))));
  f.cmd('SADD', f.key('set:int'), '1', '2', '3');
  f.cmd('SADD', f.key('set:str', ttlAt(3)), 'a', 'b', 'c');
  f.cmd('SADD', f.key('set:big'), ...Array.from({ length: 600 }, (_, i) => `m${i}`));
  f.cmd('ZADD', f.key('z:small'), '1', 'a', '2', 'b', '3', 'c');
  const z: RespArg[] = [];
  for (let i = 0; i < 200; i++) z.push(String(i), `member-${i}`);
  f.cmd('ZADD', f.key('z:big', ttlAt(4)), ...z);
  f.cmd('HSET', f.key('h:small'), 'f1', 'v1', 'f2', 'v2');
  const h: RespArg[] = [];
  for (let i = 0; i < 600; i++) h.push(`field${i}`, `value${i}`);
  f.cmd('HSET', f.key('h:big'), ...h);
  const xk = f.key('x:stream', ttlAt(5));
  for (let i = 0; i < 5; i++) f.cmd('XADD', xk, `1700000000000-${i}`, 'n', String(i));
  f.cmd('XGROUP', 'CREATE', xk, 'g', '0');
  f.cmd('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', 2, 'STREAMS', xk, '>');
  await f.select(1);
  f.cmd('SET', f.key('db1:s'), 'db1 value');
  f.cmd('RPUSH', f.key('db1:l'), 'x', 'y');
  await f.flush();
  await f.select(0);
  await f.applyExpires();
}

/** Extra TOUCHes per key (LFU) and idle seconds per key (LRU), by key index. */
const LFU_TOUCHES = [0, 1, 2, 3, 7, 20, 60, 120, 300, 0, 5, 250, 11, 42, 17, 99];
const LRU_IDLE_S = [0, 1, 2, 5, 30, 60, 300, 3600, 7200, 86400, 172800, 604800, 10, 45, 900, 2592000];

/**
 * Recreate every key with RESTORE so the LFU counter / LRU idle time is exactly what we ask
 * for (the fill itself touched keys an irregular number of times), then TOUCH (LFU).
 */
async function setAccessState(f: Filler, mode: 'lfu' | 'lru'): Promise<void> {
  for (const db of dbsOf(f.keys)) {
    await f.r.call('SELECT', db);
    for (const [i, t] of f.keys.entries()) {
      if (t.db !== db) continue;
      const payload = buf(await f.r.call('DUMP', t.key));
      const at = num(await f.r.call('PEXPIRETIME', t.key));
      const args: RespArg[] = ['RESTORE', t.key, at > 0 ? at : 0, payload, 'REPLACE'];
      if (at > 0) args.push('ABSTTL');
      if (mode === 'lfu') args.push('FREQ', 5);
      else args.push('IDLETIME', LRU_IDLE_S[i % LRU_IDLE_S.length] as number);
      await f.r.call(...args);
      if (mode === 'lfu') {
        const n = LFU_TOUCHES[i % LFU_TOUCHES.length] as number;
        if (n) await f.r.pipeline(Array.from({ length: n }, () => ['TOUCH', t.key]));
      }
    }
  }
  await f.r.call('SELECT', 0);
}

// ---------------------------------------------------------------------------------------
// Reading the truth back

/** The capabilities of the server being read (null: Debian's 7.0, everything 7.0 has). */
let CAPS: Caps | null = null;

interface KeyTruth {
  db: number;
  keyBuf: Buffer;
  type: string;
  encoding: string;
  expire_at_ms: number | null;
  length: number;
  value?: J;
  sample?: J;
  memory_usage: number;
  value_sha256?: string;
  sample_note?: string;
  field_name_note?: string;
  stream?: JObj;
  vectorset?: JObj;
  field_expire_at_ms?: Map<string, J>;
  debug_object: JObj;
}

function parseDebugObject(s: string): JObj {
  const out: JObj = {};
  const m = new Map<string, string>();
  for (const tok of s.split(' ')) {
    const i = tok.indexOf(':');
    if (i > 0) m.set(tok.slice(0, i), tok.slice(i + 1));
  }
  out.serializedlength = Number(m.get('serializedlength'));
  for (const k of ['ql_nodes', 'ql_avg_node', 'ql_listpack_max', 'ql_compressed', 'ql_uncompressed_size']) {
    const v = m.get(k);
    if (v === undefined) continue;
    out[k] = k === 'ql_avg_node' ? new PyFloat(Number(v)) : Number(v);
  }
  return out;
}

const streamId = (v: RespValue): string => txt(v);

/**
 * Absolute expiry of a key. Before PEXPIRETIME (7.0) only PTTL exists: then the instant set by
 * the fill (`expected`) is confirmed against PTTL rather than derived from the clock.
 */
async function expireAt(r: RedisHandle, key: Buffer, expected: number | null | undefined): Promise<number | null> {
  if (!CAPS || CAPS.pexpiretime) {
    const v = num(await r.call('PEXPIRETIME', key));
    return v >= 0 ? v : null;
  }
  const pttl = num(await r.call('PTTL', key));
  const now = Date.now();
  if (pttl < 0) {
    if (expected != null) throw new Error(`${key.toString()}: no TTL, expected ${expected}`);
    return null;
  }
  if (expected == null || Math.abs(now + pttl - expected) > 5000) {
    throw new Error(`${key.toString()}: PTTL ${pttl} does not match the expiry set (${expected})`);
  }
  return expected;
}

async function readKey(r: RedisHandle, db: number, key: Buffer, expected?: number | null): Promise<KeyTruth> {
  const [type, enc, mem, dbg] = await r.pipeline([
    ['TYPE', key],
    ['OBJECT', 'ENCODING', key],
    ['MEMORY', 'USAGE', key, 'SAMPLES', 0],
    ['DEBUG', 'OBJECT', key],
  ]);
  const t: KeyTruth = {
    db,
    keyBuf: key,
    type: txt(type as RespValue),
    encoding: txt(enc as RespValue),
    expire_at_ms: await expireAt(r, key, expected),
    length: 0,
    memory_usage: num(mem as RespValue),
    debug_object: parseDebugObject(txt(dbg as RespValue)),
  };
  let value: J;
  let count = 0;
  let bytes = 0;
  const collect = (b: Buffer) => {
    bytes += b.length;
    return canonStr(b);
  };
  switch (t.type) {
    case 'string': {
      const v = buf(await r.call('GET', key));
      t.length = v.length;
      if (v.length > VALUE_MAX_BYTES) {
        t.sample = [canonStr(v.subarray(0, 32))];
        t.value_sha256 = sha256(v);
        t.sample_note = 'string too large: sample is its first 32 bytes';
      } else t.value = canonStr(v);
      return t;
    }
    case 'list': {
      const a = arr(await r.call('LRANGE', key, 0, -1)).map(buf);
      count = a.length;
      value = a.map(collect);
      break;
    }
    case 'set': {
      const a = arr(await r.call('SMEMBERS', key)).map(buf).sort(Buffer.compare);
      count = a.length;
      value = a.map(collect);
      break;
    }
    case 'zset': {
      const a = arr(await r.call('ZRANGE', key, 0, -1, 'WITHSCORES'));
      const out: J[] = [];
      for (let i = 0; i < a.length; i += 2) {
        out.push([collect(buf(a[i] as RespValue)), scoreJ(parseScore(a[i + 1] as RespValue))]);
        bytes += 8;
      }
      count = out.length;
      value = out;
      break;
    }
    case 'hash': {
      const a = arr(await r.call('HGETALL', key)).map(buf);
      const pairs: [string, J][] = [];
      for (let i = 0; i < a.length; i += 2) {
        const fb = a[i] as Buffer;
        if (!isUtf8(fb)) t.field_name_note = 'non-UTF-8 field names appear as "b64:<base64>" object keys';
        bytes += fb.length;
        pairs.push([canonKey(fb), collect(a[i + 1] as Buffer)]);
      }
      pairs.sort((x, y) => cmpCodePoints(x[0], y[0]));
      count = pairs.length;
      value = new Map(pairs);
      if (CAPS?.fieldExpiry && a.length) {
        const names = a.filter((_, i) => i % 2 === 0);
        const ttls = arr(await r.call('HPEXPIRETIME', key, 'FIELDS', names.length, ...names)).map(num);
        const fe: [string, J][] = [];
        names.forEach((fb, i) => {
          if ((ttls[i] as number) >= 0) fe.push([canonKey(fb), ttls[i] as number]);
        });
        if (fe.length) t.field_expire_at_ms = new Map(fe.sort((x, y) => cmpCodePoints(x[0], y[0])));
      }
      break;
    }
    case 'vectorset': {
      await readVectorSet(r, key, t);
      return t;
    }
    case 'stream': {
      const { value: v, count: c, bytes: b, extra } = await readStream(r, key);
      value = v;
      count = c;
      bytes = b;
      t.stream = extra;
      break;
    }
    default:
      throw new Error(`unsupported type ${t.type}`);
  }
  const lenCmd = { list: 'LLEN', set: 'SCARD', zset: 'ZCARD', hash: 'HLEN', stream: 'XLEN' }[t.type] as string;
  t.length = num(await r.call(lenCmd, key));
  if (t.length !== count) throw new Error(`${key.toString()}: ${lenCmd} ${t.length} but read ${count} elements`);
  if (count > VALUE_MAX_ELEMENTS || bytes > VALUE_MAX_BYTES) {
    t.value_sha256 = sha256(dumps(value, true));
    if (value instanceof Map) t.sample = [...value.entries()].slice(0, 3).map(([k, v]) => [k, v]);
    else if (Array.isArray(value)) t.sample = value.slice(0, 3);
    else if (t.type === 'stream') t.sample = ((value as JObj).entries as J[]).slice(0, 3);
  } else t.value = value;
  return t;
}

async function readStream(
  r: RedisHandle,
  key: Buffer,
): Promise<{ value: J; count: number; bytes: number; extra: JObj }> {
  let bytes = 0;
  const entries: J[] = [];
  for (const e of arr(await r.call('XRANGE', key, '-', '+'))) {
    const [id, kv] = arr(e);
    const m = new Map<string, J>();
    const a = arr(kv as RespValue).map(buf);
    for (let i = 0; i < a.length; i += 2) {
      const fb = a[i] as Buffer;
      const vb = a[i + 1] as Buffer;
      bytes += fb.length + vb.length;
      const ck = canonKey(fb);
      if (m.has(ck)) throw new Error(`stream ${key.toString()}: duplicate field ${ck} in one entry`);
      m.set(ck, canonStr(vb));
    }
    entries.push([streamId(id as RespValue), m]);
  }
  const info = fields(await r.call('XINFO', 'STREAM', key));
  const groups: J[] = [];
  const groupsPel: J[] = [];
  for (const g of arr(await r.call('XINFO', 'GROUPS', key))) {
    const gm = fields(g);
    const name = txt(get(gm, 'name'));
    const consumers: J[] = [];
    for (const c of arr(await r.call('XINFO', 'CONSUMERS', key, name))) {
      const cm = fields(c);
      consumers.push({ name: txt(get(cm, 'name')), pending: num(get(cm, 'pending')) });
    }
    groups.push({
      name,
      last_delivered_id: streamId(get(gm, 'last-delivered-id')),
      pending: num(get(gm, 'pending')),
      consumers,
    });
    const pel = arr(await r.call('XPENDING', key, name, '-', '+', 1_000_000)).map((p) => {
      const [id, consumer, , deliveries] = arr(p);
      return [streamId(id as RespValue), txt(consumer as RespValue), num(deliveries as RespValue)] as J;
    });
    const er = gm.has('entries-read') ? get(gm, 'entries-read') : undefined;
    groupsPel.push({ name, pel, entries_read: er === undefined ? undefined : er === null ? null : num(er) });
  }
  const first = get(info, 'first-entry');
  const last = get(info, 'last-entry');
  const extra: JObj = {
    first_entry_id: first === null ? null : streamId(arr(first)[0] as RespValue),
    last_entry_id: last === null ? null : streamId(arr(last)[0] as RespValue),
    groups_pel: groupsPel,
    pel_note: 'pel rows are [id, consumer, delivery_count]',
  };
  // 7.0+ (RDB 10) stream metadata.
  if (info.has('entries-added')) {
    extra.entries_added = num(get(info, 'entries-added'));
    extra.max_deleted_entry_id = streamId(get(info, 'max-deleted-entry-id'));
    extra.recorded_first_entry_id = streamId(get(info, 'recorded-first-entry-id'));
  }
  // 8.6 idempotent producers.
  if (info.has('idmp-duration')) {
    const idmp: JObj = {};
    for (const f of ['idmp-duration', 'idmp-maxsize', 'pids-tracked', 'iids-tracked', 'iids-added', 'iids-duplicates']) {
      if (info.has(f)) idmp[f.replace(/-/g, '_')] = num(get(info, f));
    }
    extra.idmp = idmp;
  }
  const value: JObj = { entries, last_id: streamId(get(info, 'last-generated-id')), groups };
  return { value, count: entries.length, bytes, extra };
}

/**
 * A vector set has no canonical value: the truth holds its element names (sorted by bytes;
 * sample + sha256), VCARD as length, VDIM, VINFO and the attributes.
 */
async function readVectorSet(r: RedisHandle, key: Buffer, t: KeyTruth): Promise<void> {
  t.length = num(await r.call('VCARD', key));
  const names = arr(await r.call('VRANDMEMBER', key, Math.max(1, t.length))).map(buf).sort(Buffer.compare);
  if (names.length !== t.length) throw new Error(`${key.toString()}: VRANDMEMBER gave ${names.length} of ${t.length} elements`);
  const canon = names.map(canonStr);
  t.sample = canon.slice(0, 3);
  t.value_sha256 = sha256(dumps(canon, true));
  t.sample_note = 'vector set: sample = first 3 element names in byte order; value_sha256 over all names in byte order (compact JSON array)';
  const vinfo = fields(await r.call('VINFO', key));
  const infoJ: JObj = {};
  for (const [k, v] of vinfo) infoJ[k] = typeof v === 'number' ? v : txt(v);
  const attrs = await r.pipeline(names.map((n) => ['VGETATTR', key, n]));
  const attributes = new Map<string, J>();
  names.forEach((n, i) => {
    const a = attrs[i];
    if (a !== null && a !== undefined) attributes.set(canonKey(n), txt(a));
  });
  t.vectorset = { vdim: num(await r.call('VDIM', key)), vinfo: infoJ, attributes };
}

/** Finish incremental rehashing left by the fill: one lookup per element (corpus method). */
async function finishRehash(r: RedisHandle, keys: Tracked[]): Promise<void> {
  for (const db of dbsOf(keys)) {
    await r.call('SELECT', db);
    for (const t of keys) {
      if (t.db !== db) continue;
      const enc = txt(await r.call('OBJECT', 'ENCODING', t.key));
      if (enc !== 'hashtable' && enc !== 'skiplist') continue;
      const type = txt(await r.call('TYPE', t.key));
      let cmds: RespArg[][] = [];
      if (type === 'set') cmds = arr(await r.call('SMEMBERS', t.key)).map((m) => ['SISMEMBER', t.key, buf(m)]);
      else if (type === 'hash') cmds = arr(await r.call('HKEYS', t.key)).map((m) => ['HEXISTS', t.key, buf(m)]);
      else if (type === 'zset') cmds = arr(await r.call('ZRANGE', t.key, 0, -1)).map((m) => ['ZSCORE', t.key, buf(m)]);
      await r.pipeline(cmds);
      if (CAPS && !CAPS.htstatsKey) continue;
      const st = txt(await r.call('DEBUG', 'HTSTATS-KEY', t.key));
      // Redis lists a "rehashing target" table; Valkey 9 prints "rehashing index: -1" when idle.
      if (/rehashing target|rehashing index: \d/i.test(st)) throw new Error(`${t.key.toString()} still rehashing after lookups`);
    }
  }
  await r.call('SELECT', 0);
}

/** OBJECT FREQ / OBJECT IDLETIME for every key (these do not touch the key). */
async function readAccess(r: RedisHandle, keys: Tracked[], mode: 'lfu' | 'lru'): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const db of dbsOf(keys)) {
    await r.call('SELECT', db);
    const ks = keys.filter((k) => k.db === db);
    const res = await r.pipeline(ks.map((k) => ['OBJECT', mode === 'lfu' ? 'FREQ' : 'IDLETIME', k.key]));
    ks.forEach((k, i) => out.set(keyId(k), num(res[i] as RespValue)));
  }
  await r.call('SELECT', 0);
  return out;
}

async function readAll(r: RedisHandle, keys: Tracked[]): Promise<KeyTruth[]> {
  const out: KeyTruth[] = [];
  for (const db of dbsOf(keys)) {
    await r.call('SELECT', db);
    for (const t of keys) if (t.db === db) out.push(await readKey(r, db, t.key, t.expireAt));
  }
  await r.call('SELECT', 0);
  // Back to fill order.
  const idx = new Map(keys.map((k, i) => [`${k.db}:${k.key.toString('hex')}`, i]));
  return out.sort((a, b) => (idx.get(`${a.db}:${a.keyBuf.toString('hex')}`) ?? 0) - (idx.get(`${b.db}:${b.keyBuf.toString('hex')}`) ?? 0));
}

async function memoryUsages(r: RedisHandle, keys: Tracked[]): Promise<Map<Tracked, number>> {
  const out = new Map<Tracked, number>();
  for (const db of dbsOf(keys)) {
    await r.call('SELECT', db);
    const ks = keys.filter((k) => k.db === db);
    const res = await r.pipeline(ks.map((k) => ['MEMORY', 'USAGE', k.key, 'SAMPLES', 0]));
    ks.forEach((k, i) => out.set(k, num(res[i] as RespValue)));
  }
  await r.call('SELECT', 0);
  return out;
}

async function infoMemory(r: RedisHandle): Promise<JObj> {
  const m = await r.info('memory');
  const o: JObj = {};
  for (const k of ['used_memory', 'used_memory_dataset', 'used_memory_overhead', 'used_memory_startup']) o[k] = Number(m[k]);
  return o;
}

async function keyspace(r: RedisHandle): Promise<JObj> {
  const ks = await r.info('keyspace');
  const o: JObj = {};
  for (const [k, v] of Object.entries(ks)) {
    const m = /^db(\d+)$/.exec(k);
    if (!m) continue;
    const f = Object.fromEntries(v.split(',').map((p) => p.split('=') as [string, string]));
    o[m[1] as string] = { keys: Number(f.keys), expires: Number(f.expires) };
  }
  return o;
}

async function functionNames(r: RedisHandle): Promise<string[]> {
  return arr(await r.call('FUNCTION', 'LIST'))
    .map((lib) => txt(get(fields(lib), 'library_name')))
    .sort();
}

/** Every key the server holds, per db, as "db:hex" — to check the tracked list is complete. */
async function scanAll(r: RedisHandle): Promise<Set<string>> {
  const out = new Set<string>();
  for (const db of Object.keys(await keyspace(r)).map(Number)) {
    await r.call('SELECT', db);
    let cursor = '0';
    do {
      const [c, ks] = arr(await r.call('SCAN', cursor, 'COUNT', 1000));
      cursor = txt(c as RespValue);
      for (const k of arr(ks as RespValue)) out.add(`${db}:${buf(k).toString('hex')}`);
    } while (cursor !== '0');
  }
  await r.call('SELECT', 0);
  return out;
}

function checkRdb(file: string, toolPath: string | null = findExecutable('redis-check-rdb')): JObj {
  const name = toolPath ? path.basename(toolPath) : 'redis-check-rdb';
  if (!toolPath) return { tool: name, ok: false, exit_code: null, summary: [`${name} not found`] };
  const res = spawnSync(toolPath, [file], { encoding: 'utf8' });
  const lines = `${res.stdout ?? ''}\n${res.stderr ?? ''}`.split('\n').map((l) => l.trim());
  const summary = lines.filter((l) => /Checksum|RDB looks OK|keys read|RDB ERROR|--- RDB/.test(l));
  return { tool: name, ok: res.status === 0, exit_code: res.status, summary };
}

// ---------------------------------------------------------------------------------------
// Truth assembly

function truthKey(t: KeyTruth, access: { lfu?: number; lru?: number }, memAfter: number | undefined): JObj {
  const o: JObj = { db: t.db };
  if (isUtf8(t.keyBuf)) o.key = t.keyBuf.toString('utf8');
  else o.key_b64 = t.keyBuf.toString('base64');
  o.type = t.type;
  o.encoding = t.encoding;
  o.expire_at_ms = t.expire_at_ms;
  o.length = t.length;
  if (t.value !== undefined) o.value = t.value;
  else o.sample = t.sample ?? [];
  o.memory_usage = t.memory_usage;
  if (t.field_expire_at_ms) o.field_expire_at_ms = t.field_expire_at_ms;
  if (access.lfu !== undefined) o.lfu_freq = access.lfu;
  if (access.lru !== undefined) o.lru_idle_s = access.lru;
  const extra: JObj = {};
  if (t.value_sha256) extra.value_sha256 = t.value_sha256;
  if (t.sample_note) extra.sample_note = t.sample_note;
  if (t.field_name_note) extra.field_name_note = t.field_name_note;
  if (t.stream) extra.stream = t.stream;
  if (t.vectorset) extra.vectorset = t.vectorset;
  extra.debug_object = t.debug_object;
  if (memAfter !== undefined) extra.memory_usage_after_reload = memAfter;
  o.extra = extra;
  return o;
}

/** The parts of a key's truth a loaded dump must reproduce exactly. */
function comparable(t: KeyTruth): string {
  return dumps(
    {
      type: t.type,
      expire_at_ms: t.expire_at_ms,
      length: t.length,
      value: t.value,
      sample: t.sample,
      value_sha256: t.value_sha256,
      stream: t.stream,
      field_expire_at_ms: t.field_expire_at_ms,
      vectorset: t.vectorset === undefined ? undefined : { ...t.vectorset, vinfo: undefined },
    },
    true,
  );
}

// ---------------------------------------------------------------------------------------
// Driver

interface FixtureDef {
  name: string;
  variant: 'shop' | 'incident' | 'matrix' | 'lfu' | 'lru';
  /** Server args (and the truth's config block). */
  config: Record<string, string | number>;
  fill(f: Filler): Promise<void>;
  notes: string[];
}

const FIXTURES: FixtureDef[] = [
  {
    name: 'shop-7.0',
    variant: 'shop',
    config: { 'maxmemory-policy': 'noeviction' },
    fill: fillShop,
    notes: [],
  },
  {
    name: 'incident-7.0',
    variant: 'incident',
    config: { 'maxmemory-policy': 'noeviction' },
    fill: fillIncident,
    notes: [],
  },
  {
    name: 'matrix-7.0',
    variant: 'matrix',
    config: { 'maxmemory-policy': 'noeviction' },
    fill: fillMatrix,
    notes: [],
  },
  {
    name: 'lfu-7.0',
    variant: 'lfu',
    config: { 'lfu-log-factor': 0, 'lfu-decay-time': 0, 'maxmemory-policy': 'allkeys-lfu' },
    fill: fillSmallMixed,
    notes: [
      'lfu-log-factor 0 makes every access add exactly 1 to the LFU counter (cap 255); lfu-decay-time 0 disables decay, so OBJECT FREQ equals the FREQ byte written by SAVE',
      'after the fill every key was re-created with RESTORE ... FREQ 5 (the counter of a new key) and then TOUCHed a known number of extra times (extra.touches), so lfu_freq = min(255, 5 + touches); RESTORE also leaves each value in the state a loader builds (memory_usage equals memory_usage_after_reload)',
    ],
  },
  {
    name: 'lru-7.0',
    variant: 'lru',
    config: { 'maxmemory-policy': 'allkeys-lru' },
    fill: fillSmallMixed,
    notes: [
      'after the fill every key was re-created with RESTORE ... IDLETIME n (extra.idletime_set), so the IDLE opcodes carry known values; lru_idle_s is OBJECT IDLETIME read just before SAVE and re-read after it (identical). A loader sees the same idle plus the seconds since SAVE',
      'RESTORE leaves each value in the state a loader builds (memory_usage equals memory_usage_after_reload)',
    ],
  },
];

async function makeFixture(def: FixtureDef): Promise<JObj> {
  const serverArgs = Object.entries(def.config).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const r = await startRedis(serverArgs);
  try {
    const f = new Filler(r, new Rng(SEED));
    await def.fill(f);
    await f.flush();
    const notes = [...def.notes, ...f.notes];

    // The tracked list must be exactly what the server holds.
    const tracked = new Set(f.keys.map((k) => `${k.db}:${k.key.toString('hex')}`));
    const onServer = await scanAll(r);
    for (const k of onServer) if (!tracked.has(k)) throw new Error(`untracked key on server: ${k}`);
    for (const k of tracked) if (!onServer.has(k)) throw new Error(`tracked key missing on server: ${k}`);

    const mode = def.variant === 'lfu' || def.variant === 'lru' ? def.variant : null;
    let access = new Map<string, number>();
    let truths: KeyTruth[];
    let info_memory: JObj;
    let ks: JObj;
    let functions: string[];
    const dumpCopy = path.join(OUT, `${def.name}.rdb`);

    if (!mode) {
      await finishRehash(r, f.keys);
      truths = await readAll(r, f.keys);
      functions = await functionNames(r);
      ks = await keyspace(r);
      info_memory = await infoMemory(r);
      copyFileSync(await r.save(), dumpCopy);
    } else {
      // Reading values touches keys; record FREQ/IDLE first, SAVE, confirm unchanged, then read.
      for (let attempt = 1; ; attempt++) {
        await setAccessState(f, mode);
        access = await readAccess(r, f.keys, mode);
        functions = await functionNames(r);
        ks = await keyspace(r);
        info_memory = await infoMemory(r);
        const dump = await r.save();
        const again = await readAccess(r, f.keys, mode);
        if ([...access].every(([k, v]) => again.get(k) === v)) {
          copyFileSync(dump, dumpCopy);
          break;
        }
        if (attempt >= 5) throw new Error('access state kept changing around SAVE');
      }
      truths = await readAll(r, f.keys);
    }

    // Memory after the server reloads this very dump.
    await r.call('DEBUG', 'RELOAD');
    const memAfter = await memoryUsages(r, f.keys);
    const infoAfter = await infoMemory(r);
    const trackedByKey = new Map(f.keys.map((k) => [`${k.db}:${k.key.toString('hex')}`, k]));

    const rdb = readFileSync(dumpCopy);
    const magic = rdb.subarray(0, 9).toString('latin1');
    if (!/^REDIS\d{4}$/.test(magic)) throw new Error(`unexpected magic ${magic}`);
    const rdbVersion = Number(magic.slice(5));

    const redisVersion = (await r.info('server')).redis_version ?? '';
    const allocator = (await r.info('memory')).mem_allocator ?? '';

    const keysJ = truths.map((t) => {
      const tk = trackedByKey.get(`${t.db}:${t.keyBuf.toString('hex')}`) as Tracked;
      const a = access.get(keyId(tk));
      const o = truthKey(t, mode === 'lfu' ? { lfu: a } : mode === 'lru' ? { lru: a } : {}, memAfter.get(tk));
      const i = f.keys.indexOf(tk);
      if (mode === 'lfu') (o.extra as JObj).touches = LFU_TOUCHES[i % LFU_TOUCHES.length] as number;
      if (mode === 'lru') (o.extra as JObj).idletime_set = LRU_IDLE_S[i % LRU_IDLE_S.length] as number;
      return o;
    });

    const verification = await verifyLoad(def, dumpCopy, truths, access, mode);
    const truth: JObj = {
      name: def.name,
      generator: GENERATOR,
      redis_version: redisVersion,
      allocator,
      rdb_version: rdbVersion,
      config: def.config as JObj,
      info_memory,
      keyspace: ks,
      functions: functions.length ? functions : undefined,
      keys: keysJ,
      extra: {
        variant: def.variant,
        seed: SEED,
        ...f.truthExtra,
        notes: [
          ...notes,
          `allocator ${allocator}: MEMORY USAGE figures are for this allocator (the shared corpus' 7.0.15 used the bundled jemalloc-5.2.1 with an 8-byte quantum)`,
        ],
        not_covered_by_this_version: ['hash field expiry (7.4+)', 'listpack lists and sets (7.2+)'],
        nondeterminism: NONDETERMINISM,
        rdb_check: checkRdb(dumpCopy),
        info_memory_after_debug_reload: infoAfter,
        extra_fields_note:
          "per-key 'extra' is outside TRUTH-FORMAT.md: value_sha256 = sha256 of the raw string bytes, or of the canonical value serialized as compact JSON (Python json.dumps with sort_keys, ensure_ascii=False, separators (',',':'); scores as Python float repr), UTF-8; memory_usage_after_reload = MEMORY USAGE SAMPLES 0 after DEBUG RELOAD of this very dump; stream = RDB-level stream metadata and PEL; debug_object = selected DEBUG OBJECT fields (serializedlength is the value's size in the RDB, ql_* describe the in-memory quicklist). A collection's value is absent when it has more than 1000 elements or more than 64 KiB of element bytes (members, fields and values; 8 per zset score); then sample = its first 3 elements in canonical order (hash: [field, value] pairs in field order; stream: entries)",
        load_verification: verification,
      },
    };
    writeFileSync(path.join(OUT, `${def.name}.truth.json`), dumps(truth, false, 1) + '\n');
    return truth;
  } finally {
    await r.stop();
  }
}

/** Compare keys re-read from a server that loaded the dump with the truth read before SAVE. */
function compareLoaded(again: KeyTruth[], truths: KeyTruth[], problems: string[], changes: JObj): void {
  again.forEach((g, i) => {
    const w = truths[i] as KeyTruth;
    const name = `db${w.db}:${JSON.stringify(w.keyBuf.toString())}`;
    if (comparable(g) !== comparable(w)) problems.push(`${name}: loaded value differs`);
    if (g.encoding !== w.encoding) changes[w.keyBuf.toString()] = [w.encoding, g.encoding];
  });
}

/** Load the dump into a fresh server (same policy) and re-read every key. */
async function verifyLoad(
  def: FixtureDef,
  file: string,
  truths: KeyTruth[],
  access: Map<string, number>,
  mode: 'lfu' | 'lru' | null,
): Promise<JObj> {
  const serverArgs = Object.entries(def.config).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const r = await startRedis(serverArgs);
  const problems: string[] = [];
  const changes: JObj = {};
  try {
    copyFileSync(file, path.join(r.dir, 'dump.rdb'));
    const t0 = Date.now();
    await r.call('DEBUG', 'RELOAD', 'NOSAVE');
    const keys: Tracked[] = truths.map((t) => ({ db: t.db, key: t.keyBuf, expireAt: null }));
    const onServer = await scanAll(r);
    if (onServer.size !== keys.length) problems.push(`loaded ${onServer.size} keys, truth has ${keys.length}`);
    if (mode) {
      const got = await readAccess(r, keys, mode);
      const slack = Math.ceil((Date.now() - t0) / 1000) + 1;
      keys.forEach((k) => {
        const g = got.get(keyId(k)) as number;
        const w = access.get(keyId(k)) as number;
        const ok = mode === 'lfu' ? g === w : g >= w && g <= w + slack;
        if (!ok) problems.push(`${k.key.toString()}: ${mode} ${g}, truth ${w}`);
      });
    }
    compareLoaded(await readAll(r, keys), truths, problems, changes);
  } finally {
    await r.stop();
  }
  return {
    ok: problems.length === 0,
    problems,
    encoding_changes_on_load: changes,
    method: 'dump loaded by a fresh server of the same build (DEBUG RELOAD NOSAVE); every key re-read and compared with this file',
  };
}

// ---------------------------------------------------------------------------------------
// Release servers: fixtures/release/matrix-<server>

const RELEASE_OUT = path.join(OUT, 'release');

const RELEASE_NONDETERMINISM = [
  ...NONDETERMINISM,
  'vector sets: HNSW node levels are random, so their serialized form, VINFO max-level and MEMORY USAGE differ between runs',
  'del_drop is exact bookkeeping of the allocator but can pick up a server timer freeing or growing something between the two reads (extra.del_drop_noise shows DELs of a missing key); and what a DEL frees can depend on the random hash seed of the loading server: Valkey 8.1+ frees a 64-byte overflow bucket when the key was its last entry (keyspace, and hashtable sets/hashes/zsets), Redis 7.2+ sets keep members without a dict entry unless they collide. Hence del_drop is the median of 3 loads and del_drop_runs lists the runs where they differ',
];

/** RDB version from the file magic: REDIS0012 → 12, VALKEY080 → 80. */
function rdbVersionOf(rdb: Buffer): number {
  const magic = rdb.subarray(0, 9).toString('latin1');
  const m = /^(?:REDIS(\d{4})|VALKEY(\d{3}))$/.exec(magic);
  if (!m) throw new Error(`unexpected magic ${magic}`);
  return Number(m[1] ?? m[2]);
}

async function makeReleaseFixture(target: ServerTarget): Promise<{ truth: JObj; rdb: string }> {
  const name = `matrix-${target.name}`;
  const config = { 'maxmemory-policy': 'noeviction' };
  const args = Object.entries(config).flatMap(([k, v]) => [`--${k}`, String(v)]);
  mkdirSync(RELEASE_OUT, { recursive: true });
  const dumpCopy = path.join(RELEASE_OUT, `${name}.rdb`);
  const server = target.bin.path;

  // 1. Fill a fresh server, read the truth back, SAVE.
  const r = await startRedis(args, { server });
  let f: Filler;
  let caps: Caps;
  let truths: KeyTruth[];
  let functions: string[] = [];
  let ks: JObj;
  let info_memory: JObj;
  let infoServer: Record<string, string>;
  let allocator: string;
  try {
    caps = await probeCaps(r, target.bin);
    CAPS = caps;
    f = new Filler(r, new Rng(SEED));
    f.caps = caps;
    const c = caps;
    f.extras = (ff) => fillReleaseExtras(ff, c);
    await fillMatrix(f);
    await f.flush();
    const tracked = new Set(f.keys.map((k) => keyId(k)));
    const onServer = await scanAll(r);
    for (const k of onServer) if (!tracked.has(k)) throw new Error(`untracked key on server: ${k}`);
    for (const k of tracked) if (!onServer.has(k)) throw new Error(`tracked key missing on server: ${k}`);
    await finishRehash(r, f.keys);
    truths = await readAll(r, f.keys);
    if (caps.functions) functions = await functionNames(r);
    ks = await keyspace(r);
    info_memory = await infoMemory(r);
    infoServer = await r.info('server');
    allocator = (await r.info('memory')).mem_allocator ?? '';
    copyFileSync(await r.save(), dumpCopy);
  } finally {
    await r.stop();
  }

  // 2. A fresh server of the same build loads the dump: used_memory as loaded, MEMORY USAGE
  //    per key, and every key re-read and compared.
  const loadKeys: Tracked[] = truths.map((t) => ({ db: t.db, key: t.keyBuf, expireAt: t.expire_at_ms }));
  const L = await startRedis(args, { server, rdb: dumpCopy });
  const problems: string[] = [];
  const changes: JObj = {};
  let fresh: JObj;
  let memAfter: Map<Tracked, number>;
  let infoAfter: JObj;
  try {
    fresh = await infoMemory(L);
    fresh.connected_clients = Number((await L.info('clients')).connected_clients);
    memAfter = await memoryUsages(L, loadKeys);
    const onServer = await scanAll(L);
    if (onServer.size !== loadKeys.length) problems.push(`loaded ${onServer.size} keys, truth has ${loadKeys.length}`);
    compareLoaded(await readAll(L, loadKeys), truths, problems, changes);
    infoAfter = await infoMemory(L);
  } finally {
    await L.stop();
  }

  // MEMORY USAGE of a hashtable can depend on the loading server's random hash seed (Valkey's
  // overflow buckets): two more loads, and per key the median of the three.
  const memRuns: Map<Tracked, number>[] = [memAfter];
  for (let run = 0; run < 2; run++) {
    const M = await startRedis(args, { server, rdb: dumpCopy });
    try {
      memRuns.push(await memoryUsages(M, loadKeys));
    } finally {
      await M.stop();
    }
  }
  const memOf = (k: Tracked) => memRuns.map((m) => m.get(k) as number);
  const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] as number;
  const memUnsteady = loadKeys.filter((k) => memOf(k).some((x) => x !== memOf(k)[0])).length;

  // 3. What DEL of each key frees on a freshly loaded server.
  const del = await measureDelDropsMedian({ server, rdb: dumpCopy, args, keys: loadKeys, lazyUserDel: caps.lazyUserDel });
  const unsteady = del.runs.filter((r) => r.some((x) => x !== r[0])).length;

  const rdb = readFileSync(dumpCopy);
  const keysJ = truths.map((t, i) => {
    const mk = loadKeys[i] as Tracked;
    const o = truthKey(t, {}, medianOf(memOf(mk)));
    if (memOf(mk).some((x) => x !== memOf(mk)[0])) (o.extra as JObj).memory_usage_after_reload_runs = memOf(mk);
    (o.extra as JObj).del_drop = del.drops[i] as number;
    const runs = del.runs[i] as number[];
    if (runs.some((x) => x !== runs[0])) (o.extra as JObj).del_drop_runs = runs;
    return o;
  });
  const valkey = infoServer.valkey_version;
  const notCovered: string[] = [];
  if (!caps.streams) notCovered.push('streams (5.0+)');
  if (!caps.listpackSetsLists) notCovered.push('listpack lists and sets (7.2+)');
  if (!caps.fieldExpiry) notCovered.push('hash field expiry');
  if (!caps.vectorsets) notCovered.push('vector sets');
  if (!caps.idmp) notCovered.push('stream idempotent producers (IDMP)');
  if (!caps.functions) notCovered.push('functions (7.0+)');
  if (!caps.plainNodes) notCovered.push('plain quicklist nodes (7.0+)');
  const truth: JObj = {
    name,
    generator: GENERATOR,
    server: target.name,
    redis_version: infoServer.redis_version ?? '',
    valkey_version: valkey,
    allocator,
    rdb_version: rdbVersionOf(rdb),
    config: config as JObj,
    info_memory,
    keyspace: ks,
    functions: functions.length ? functions : undefined,
    keys: keysJ,
    extra: {
      variant: 'matrix',
      seed: SEED,
      allocator_profile: allocator.startsWith('jemalloc') ? 'jemalloc' : allocator,
      notes: [
        `generated with the release build ${target.name} (${target.bin.path}), bundled ${allocator} with 8-byte size classes: allocator_profile "jemalloc"`,
        'keys in fill order; the matrix of fixtures/matrix-7.0 (gated by what the server has) plus the boundaries of scripts/release-matrix.ts: strings of every length near the embedded-string limits with 5-, 20- and 40-byte key names, with and without TTL (keys p###k/t###k, s20:* and str:boundary:*), integers shared and not, sets/hashes/zsets just either side of the table sizes, listpack limits, streams with an 850-entry PEL',
        ...f.notes,
        'info_memory = INFO memory of the filling server just before SAVE; info_memory_fresh_load = INFO memory of a fresh server of the same build that loaded this dump at start-up, read first thing with one client connected; info_memory_after_load = the same server after every key was re-read',
        `memory_usage_after_reload = MEMORY USAGE key SAMPLES 0 on a freshly loaded server: the median over 3 loads (that one and two more), since hashtable figures can depend on the loading server's random hash seed; memory_usage_after_reload_runs lists the three where they differ (${memUnsteady} keys)`,
        `del_drop: ${del.method}; noise (DEL of a missing key, ${del.noise.length} samples) min ${Math.min(...del.noise)} max ${Math.max(...del.noise)}; ${del.correctedKeys} key measurements needed the client-buffer correction; ${del.restarts} restarts; ${unsteady} keys freed different amounts in different runs (their del_drop_runs lists each run)`,
      ],
      not_covered_by_this_version: notCovered,
      nondeterminism: RELEASE_NONDETERMINISM,
      rdb_check: checkRdb(dumpCopy, target.checkTool),
      info_memory_fresh_load: fresh,
      info_memory_after_load: infoAfter,
      del_drop_noise: del.noise,
      extra_fields_note:
        "per-key 'extra' is outside TRUTH-FORMAT.md: value_sha256 = sha256 of the raw string bytes, or of the canonical value serialized as compact JSON (Python json.dumps with sort_keys, ensure_ascii=False, separators (',',':'); scores as Python float repr), UTF-8; memory_usage_after_reload = MEMORY USAGE SAMPLES 0 on a fresh server that loaded this very dump; del_drop = bytes of used_memory freed by DEL of this key alone on a freshly loaded server; stream = RDB-level stream metadata and PEL (idmp: XINFO STREAM idempotency figures); vectorset = VDIM, VINFO and attributes by element; debug_object = selected DEBUG OBJECT fields (serializedlength is the value's size in the RDB, ql_* describe the in-memory quicklist). A collection's value is absent when it has more than 1000 elements or more than 64 KiB of element bytes (members, fields and values; 8 per zset score); then sample = its first 3 elements in canonical order (hash: [field, value] pairs in field order; stream: entries). Vector sets never have a value",
      load_verification: {
        ok: problems.length === 0,
        problems,
        encoding_changes_on_load: changes,
        method: 'dump loaded at start-up by a fresh server of the same build; every key re-read and compared with this file',
      },
    },
  };
  writeFileSync(path.join(RELEASE_OUT, `${name}.truth.json`), dumps(truth, false, 1) + '\n');
  return { truth, rdb: dumpCopy };
}

function summarize(name: string, truth: JObj, rdbPath: string, ms: number): void {
  const keys = truth.keys as JObj[];
  const by = new Map<string, number>();
  for (const k of keys) by.set(`${k.type}/${k.encoding}`, (by.get(`${k.type}/${k.encoding}`) ?? 0) + 1);
  const ex = truth.extra as JObj;
  const lv = ex.load_verification as JObj;
  const rc = ex.rdb_check as JObj;
  const size = readFileSync(rdbPath).length;
  console.log(
    `${name}: ${size} bytes, ${keys.length} keys [${[...by].sort().map(([k, n]) => `${k}×${n}`).join(', ')}]` +
      `; check ${rc.ok ? 'OK' : 'FAILED'}; load verification ${lv.ok ? 'OK' : 'FAILED'} (${ms} ms)`,
  );
  if (!lv.ok) console.log(`  problems: ${JSON.stringify(lv.problems)}`);
  if (!rc.ok || !lv.ok) process.exitCode = 1;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const si = argv.indexOf('--server');
  if (si >= 0) {
    // npm run fixtures -- --server redis-8.6.3 matrix
    const target = resolveServer(argv[si + 1] ?? '');
    const rest = argv.filter((_, i) => i !== si && i !== si + 1);
    if (rest.some((n) => n !== 'matrix')) throw new Error('release servers have one fixture: matrix');
    const t0 = Date.now();
    const { truth, rdb } = await makeReleaseFixture(target);
    summarize(`release/matrix-${target.name}`, truth, rdb, Date.now() - t0);
    return;
  }
  const only = argv;
  const defs = only.length ? FIXTURES.filter((d) => only.includes(d.name)) : FIXTURES;
  if (only.length && defs.length !== only.length) {
    throw new Error(`unknown fixture; known: ${FIXTURES.map((d) => d.name).join(', ')}`);
  }
  if (!findExecutable('redis-server')) throw new Error('redis-server is not on PATH');
  mkdirSync(OUT, { recursive: true });
  for (const def of defs) {
    const t0 = Date.now();
    const truth = await makeFixture(def);
    summarize(def.name, truth, path.join(OUT, `${def.name}.rdb`), Date.now() - t0);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
