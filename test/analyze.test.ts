import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Segmenter, NamespaceTrie, classify } from '../src/analyze/namespace.ts';
import { Aggregator, ttlBucket } from '../src/analyze/aggregate.ts';
import { alignNamespaces, mergeReports, trieOfReport } from '../src/analyze/merge.ts';
import { TopN } from '../src/analyze/topn.ts';
import { computeFindings } from '../src/analyze/findings.ts';
import { parseBudget, parseBudgets, evaluateBudgets, parseSize } from '../src/analyze/budget.ts';
import { isValidUtf8, keyName, keyText, keyBytes } from '../src/core/keyname.ts';
import { RecordFiller, makeFileInfo, type RecordSpec } from './helpers/record.ts';
import { formatBytes, formatPercent } from '../src/core/units.ts';
import type { Report } from '../src/analyze/schema.ts';

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/** `prefix` + `i` written in letters (waa, wba …): a literal name, not an identifier. */
function letters(prefix: string, i: number): string {
  let out = prefix;
  do {
    out += String.fromCharCode(97 + (i % 26));
    i = Math.floor(i / 26);
  } while (i > 0);
  return out.length === prefix.length + 1 ? out + 'a' : out;
}

function pattern(key: string | Uint8Array, opts = {}): string {
  const b = typeof key === 'string' ? enc(key) : key;
  return new Segmenter(opts).pattern(b);
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(a: T[], r: () => number): T[] {
  const out = a.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function hex(n: number, r: () => number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)];
  return s;
}

function analyse(files: { name: string; ctimeS?: number; specs: RecordSpec[] }[], opts = {}, live = true): Report {
  const agg = new Aggregator({ nowMs: 1_700_000_000_000, ...opts });
  const f = new RecordFiller();
  for (const file of files) {
    const info = makeFileInfo({ ctimeS: file.ctimeS, usedMem: 1_000_000 });
    if (live) agg.beginFile(file.name, info);
    for (const s of file.specs) agg.add(f.fill(s));
    agg.addFile(info, file.name, 2_000_000);
  }
  return agg.toReport();
}

const roundTrip = (r: Report): Report => JSON.parse(JSON.stringify(r)) as Report;

/** Every key counted once: the flat list sums to the totals. */
function assertPartition(r: Report): void {
  const keys = r.namespaces.reduce((a, n) => a + n.keys, 0);
  const bytes = r.namespaces.reduce((a, n) => a + n.bytes, 0);
  const noTtl = r.namespaces.reduce((a, n) => a + n.noTtlKeys, 0);
  assert.equal(keys, r.summary.keys);
  assert.equal(bytes, r.summary.bytes);
  assert.equal(noTtl, r.summary.noTtlKeys);
  assert.equal(r.namespaceTree.keys, r.summary.keys);
  assert.equal(new Set(r.namespaces.map((n) => n.pattern)).size, r.namespaces.length, 'patterns are unique');
}

describe('keyname', () => {
  test('UTF-8 validation and display', () => {
    assert.equal(isValidUtf8(enc('plain:ascii')), true);
    assert.equal(isValidUtf8(enc('用户:ünïcödé:😀')), true);
    assert.equal(isValidUtf8(new Uint8Array([0xc0, 0x80])), false, 'overlong');
    assert.equal(isValidUtf8(new Uint8Array([0xed, 0xa0, 0x80])), false, 'surrogate');
    assert.equal(isValidUtf8(new Uint8Array([0xf4, 0x90, 0x80, 0x80])), false, 'above U+10FFFF');
    assert.equal(isValidUtf8(new Uint8Array([0xe2, 0x82])), false, 'truncated');
    const bin = new Uint8Array([0x61, 0xff, 0x62, 0xe2, 0x82, 0xac]);
    assert.equal(keyText(bin), 'a\\xffb€');
    const n = keyName(bin);
    assert.equal(n.text, 'a\\xffb€');
    assert.deepEqual([...keyBytes(n.text, n.b64)], [...bin]);
    assert.deepEqual(keyName(enc('x')), { text: 'x', b64: null });
  });
});

describe('namespace rules', () => {
  test('identifier segments collapse to *', () => {
    const cases: [string, string][] = [
      ['cache:product:14523', 'cache:product:*'],
      ['session:' + 'ab12cd34'.repeat(4), 'session:*'],
      ['fpc:category:12:store:en', 'fpc:category:*:store:en'],
      ['user:550e8400-e29b-41d4-a716-446655440000:profile', 'user:*:profile'],
      ['order:5f3a9c1d', 'order:*'],
      ['word:deadbeef', 'word:deadbeef'],
      ['tok:aZ3kP9qLm2XvB7nR4tY8', 'tok:*'],
      ['camel:getUserPreferencesForAccount', 'camel:getUserPreferencesForAccount'],
      ['stats:daily:2024-01-15', 'stats:daily:*'],
      ['ip:10.0.0.1:hits', 'ip:*:hits'],
      ['neg:-12', 'neg:*'],
      ['item_123:x', 'item_*:x'],
      ['{user:1000}:followers', '*:followers'],
      ['{user1000}.following', '{*}.following'],
      ['a:{tag}:b', 'a:*:b'],
      ['用户:123', '用户:*'],
      ['a::b', 'a::b'],
      ['x:', 'x:'],
      ['a:' + 'x'.repeat(200), 'a:*'],
    ];
    for (const [k, p] of cases) assert.equal(pattern(k), p, k);
  });

  test('keys without a separator group by kind', () => {
    assert.equal(pattern('12345'), '<number>');
    assert.equal(pattern('deadbeefcafe1234'), '<hex>');
    assert.equal(pattern('550e8400-e29b-41d4-a716-446655440000'), '<uuid>');
    assert.equal(pattern('aZ3kP9qLm2XvB7nR4tY8'), '<token>');
    assert.equal(pattern('counter'), 'counter');
    assert.equal(pattern('user_1234_profile'), 'user_*_profile');
    assert.equal(pattern(new Uint8Array([0xff, 0xfe, 0x00])), '<binary>');
    assert.equal(pattern('{abc}'), '{*}');
    assert.equal(classify(enc('hello'), 0, 5), 'word');
  });

  test('separators, depth', () => {
    assert.equal(pattern('a/b:12', { separators: ':/' }), 'a/b:*');
    assert.equal(pattern('a:b:c:d', { depth: 2 }), 'a:b:*');
    assert.equal(pattern('a:b', { depth: 2 }), 'a:b');
    assert.equal(pattern('a:b:c:d:e:f:g:h:i:j', { depth: 0 }), 'a:b:c:d:e:f:g:h:i:j');
    assert.throws(() => new Segmenter({ separators: '**' }), /separator/);
  });

  test('max-children overflow folds children into * and keeps the partition exact', () => {
    const t = new NamespaceTrie<{ n: number }>({ maxChildren: 3 }, (a, b) => {
      a.n += b.n;
    });
    const keys = ['app:a:x', 'app:b:x', 'app:c:y', 'app:a', 'app:d:x', 'app:e', 'top', 'app:f:z:w'];
    for (const k of keys) {
      const n = t.insert(enc(k), 0, k.length);
      (n.data ??= { n: 0 }).n++;
    }
    const got: Record<string, number> = {};
    t.walk((node, p) => {
      if (node.data !== null) got[p] = node.data.n;
    });
    assert.deepEqual(got, { 'app:*': 2, 'app:*:x': 3, 'app:*:y': 1, 'app:*:z:w': 1, top: 1 });
    assert.equal(t.patternOf(enc('app:zzz:x')), 'app:*:x');
  });

  test('rule 5b: many identifier-like siblings fold into *, a few stay, literal siblings stay', () => {
    const insertAll = (ks: string[]): Record<string, number> => {
      const t = new NamespaceTrie<{ n: number }>({}, (a, b) => {
        a.n += b.n;
      });
      for (const k of ks) {
        const n = t.insert(enc(k), 0, k.length);
        (n.data ??= { n: 0 }).n++;
      }
      const got: Record<string, number> = {};
      t.walk((node, p) => {
        if (node.data !== null) got[p] = node.data.n;
      });
      return got;
    };
    // 16 attribute codes: still names (api versions, shards look like this).
    const few = Array.from({ length: 16 }, (_, i) => `eav:${letters('a', i)}_${100 + i}:de`);
    assert.equal(Object.keys(insertAll(few)).length, 16);
    assert.ok('eav:aba_*:de' in insertAll(few));
    // 17: data. Word+digits and word_digits both count; store codes and `meta` stay literal.
    const many = [...few, 'eav:user42:en', 'eav:meta', 'eav:meta:de'];
    assert.deepEqual(insertAll(many), { 'eav:*:de': 16, 'eav:*:en': 1, 'eav:meta': 1, 'eav:meta:de': 1 });
    assert.deepEqual(insertAll(shuffle(many, rng(3))), insertAll(many));
    // `v2`, `html5`: one or two such names are kept.
    assert.deepEqual(Object.keys(insertAll(['api:v1:x', 'api:v2:x'])).sort(), ['api:v1:x', 'api:v2:x']);
  });

  test('namespaceRanking: groups of leaf levels, named by their last * level, ranked by rolled-up bytes', () => {
    const specs: RecordSpec[] = [];
    for (let i = 0; i < 8; i++) for (const st of ['de', 'en', 'fr']) specs.push({ key: `page:cat:${i}:store:${st}`, memoryBytes: 100 });
    for (let i = 0; i < 10; i++) specs.push({ key: `sess:${hex(32, rng(i))}`, memoryBytes: 200 });
    for (let i = 0; i < 5; i++) specs.push({ key: `jobs:q:${i}`, memoryBytes: 10 });
    specs.push({ key: 'jobs:q:wait', type: 'list', length: 3, memoryBytes: 50 });
    specs.push({ key: 'loner', memoryBytes: 1 });
    const r = analyse([{ name: 'x', ctimeS: 1_700_000_000, specs }]);
    const g = r.namespaceRanking ?? [];
    assert.deepEqual(g.map((x) => [x.pattern, x.bytes, x.parts.map((p) => p.pattern)]), [
      ['page:cat:*', 2400, ['page:cat:*:store:de', 'page:cat:*:store:en', 'page:cat:*:store:fr']],
      ['sess:*', 2000, []],
      ['jobs:q', 100, ['jobs:q:*', 'jobs:q:wait']],
      ['loner', 1, []],
    ]);
    // Every store view alone (800) is smaller than sess:* (2000): the flat list puts sess:* first.
    assert.equal(r.namespaces[0].pattern, 'sess:*');
    assert.equal(g.reduce((s, x) => s + x.keys, 0), r.summary.keys);
  });

  test('rule 5b merges exactly: folded in the union only', () => {
    const specs = (from: number, to: number): RecordSpec[] => Array.from({ length: to - from }, (_, i) => ({ key: `cache:eav:${letters('x', from + i)}_${from + i}:fr`, memoryBytes: 10 + i }));
    const whole = analyse([{ name: 'a', ctimeS: 1_700_000_000, specs: [...specs(0, 10), ...specs(10, 20)] }]);
    const a = analyse([{ name: 'a', ctimeS: 1_700_000_000, specs: specs(0, 10) }]);
    const b = analyse([{ name: 'b', ctimeS: 1_700_000_000, specs: specs(10, 20) }]);
    assert.deepEqual(a.namespaceInfo.foldedIds, []);
    assert.deepEqual(whole.namespaceInfo.foldedIds, ['cache:eav']);
    const merged = mergeReports([roundTrip(a), roundTrip(b)]);
    assert.deepEqual(merged.namespaces.map((n) => n.pattern), ['cache:eav:*:fr']);
    assert.deepEqual(merged.namespaceTree, whole.namespaceTree);
    assert.deepEqual(merged.namespaceRanking, whole.namespaceRanking);
    // A folded report merged with an unfolded one stays folded.
    const again = mergeReports([roundTrip(whole), roundTrip(a)]);
    assert.deepEqual(again.namespaces.map((n) => n.pattern), ['cache:eav:*:fr']);
  });

  test('the trie does not depend on key order', () => {
    const r = rng(7);
    const keys: string[] = [];
    for (let i = 0; i < 400; i++) keys.push(`ns${i % 9}:w${Math.floor(r() * 30)}:${i % 5 === 0 ? 'leaf' : 'x' + (i % 7)}`);
    const shape = (ks: string[]): unknown => {
      const t = new NamespaceTrie<{ n: number }>({ maxChildren: 12 }, (a, b) => {
        a.n += b.n;
      });
      for (const k of ks) {
        const n = t.insert(enc(k), 0, k.length);
        (n.data ??= { n: 0 }).n++;
      }
      return t.toShape((d) => d.n);
    };
    const ref = shape(keys);
    for (let i = 0; i < 5; i++) assert.deepEqual(shape(shuffle(keys, r)), ref);
  });
});

describe('top-N', () => {
  test('keeps the N best under a total order', () => {
    const r = rng(1);
    const xs = Array.from({ length: 5000 }, () => Math.floor(r() * 1000));
    const top = new TopN<number>(25, (a, b) => a - b);
    for (const x of xs) top.offer(x);
    assert.deepEqual(top.sorted(), xs.slice().sort((a, b) => b - a).slice(0, 25));
    const none = new TopN<number>(0, (a, b) => a - b);
    assert.equal(none.offer(1), false);
  });
});

describe('aggregate', () => {
  const CTIME = 1_700_000_000; // seconds
  const H = 3600_000;

  function fileA(): RecordSpec[] {
    const r = rng(11);
    const s: RecordSpec[] = [];
    for (let i = 0; i < 300; i++) s.push({ key: `cache:product:${i}`, memoryBytes: 100 + (i % 7), expireAtMs: CTIME * 1000 + (i % 50) * H });
    for (let i = 0; i < 120; i++) s.push({ key: `session:${hex(32, r)}`, memoryBytes: 200, expireAtMs: i < 5 ? -1 : CTIME * 1000 + 2 * H });
    for (let i = 0; i < 40; i++) s.push({ key: `user:${i}:profile`, type: 'hash', length: 10 + i, memoryBytes: 500 + i });
    // Letters only: `w0`, `w1` … would be identifier-like and fold on their own (rule 5b).
    for (let i = 0; i < 30; i++) s.push({ key: `${letters('w', i)}:leaf`, memoryBytes: 50 }); // > maxChildren 40 together with B
    s.push({ key: 'queue:jobs', type: 'list', length: 20000, memoryBytes: 300000 });
    s.push({ key: 'big:blob', type: 'string', length: 3 << 20, largestElement: 3 << 20, memoryBytes: (3 << 20) + 64 });
    s.push({ key: 'events', type: 'stream', length: 50, streamGroups: 2, streamMaxPending: 15000, memoryBytes: 9000 });
    s.push({ key: 'same:size:a', memoryBytes: 300000 });
    s.push({ key: 'expired:1', memoryBytes: 10, expireAtMs: CTIME * 1000 - 5000 });
    s.push({ key: 'db3key', db: 3, memoryBytes: 70 });
    s.push({ key: new Uint8Array([0x62, 0x69, 0x6e, 0x3a, 0xff, 0x00]), memoryBytes: 80 });
    return s;
  }
  function fileB(): RecordSpec[] {
    const s: RecordSpec[] = [];
    for (let i = 300; i < 500; i++) s.push({ key: `cache:product:${i}`, memoryBytes: 100 + (i % 7), expireAtMs: CTIME * 1000 + 40 * 24 * H });
    for (let i = 30; i < 60; i++) s.push({ key: `${letters('w', i)}:leaf`, memoryBytes: 50 });
    s.push({ key: 'queue:mail', type: 'zset', length: 12000, memoryBytes: 300000 });
    s.push({ key: 'same:size:b', memoryBytes: 300000 });
    s.push({ key: 'db3key', db: 3, memoryBytes: 70 });
    return s;
  }
  const opts = { maxChildren: 40, top: 5, queueThreshold: 10000 };

  test('summary, types, databases, partition', () => {
    const r = analyse([{ name: 'a.rdb', ctimeS: CTIME, specs: fileA() }], opts);
    assert.equal(r.summary.keys, fileA().length);
    assertPartition(r);
    assert.equal(r.files.length, 1);
    assert.equal(r.files[0].savedAtMs, CTIME * 1000);
    assert.equal(r.summary.usedMemAtSave, 1_000_000);
    assert.equal(r.summary.estimatedUsedMemory, 2_000_000);
    assert.deepEqual(
      r.databases.map((d) => [d.db, d.keys]),
      [
        [0, fileA().length - 1],
        [3, 1],
      ],
    );
    const hash = r.types.find((t) => t.type === 'hash');
    assert.equal(hash?.keys, 40);
    assert.equal(hash?.biggest?.key, 'user:39:profile');
    assert.equal(hash?.maxLength, 49);
    // Namespaces.
    const ns = new Map(r.namespaces.map((n) => [n.pattern, n]));
    assert.equal(ns.get('cache:product:*')?.keys, 300);
    assert.equal(ns.get('session:*')?.keys, 120);
    assert.equal(ns.get('session:*')?.noTtlKeys, 5);
    assert.equal(ns.get('user:*:profile')?.types.hash, 40);
    assert.equal(ns.get('waa:leaf')?.keys, 1, '30 first segments under the max-children of 40');
    assert.equal(ns.get('bin:*')?.keys, 1);
    // Big keys, queues.
    assert.equal(r.bigKeys[0].key, 'big:blob');
    assert.equal(r.bigElements.count, 1);
    assert.deepEqual(
      r.queues.map((q) => [q.key, q.reasons]),
      [
        ['queue:jobs', ['length']],
        ['events', ['pending']],
      ],
    );
    assert.equal(r.queueStats.longest?.key, 'queue:jobs');
    assert.equal(r.queueStats.mostPending?.pending, 15000);
    // Ties on bytes break on the key: same:size:a before queue:jobs? both 300000 → db 0, key order.
    const tied = r.bigKeys.filter((k) => k.bytes === 300000).map((k) => k.key);
    assert.deepEqual(tied, ['queue:jobs', 'same:size:a']);
  });

  test('TTL histogram relative to the save time', () => {
    const specs: RecordSpec[] = [
      { key: 'e', expireAtMs: CTIME * 1000 - 1 },
      { key: 'h', expireAtMs: CTIME * 1000 },
      { key: 'h2', expireAtMs: CTIME * 1000 + H - 1 },
      { key: 'd', expireAtMs: CTIME * 1000 + H },
      { key: 'w', expireAtMs: CTIME * 1000 + 3 * 24 * H },
      { key: 'm', expireAtMs: CTIME * 1000 + 29 * 24 * H },
      { key: 'l', expireAtMs: CTIME * 1000 + 30 * 24 * H },
      { key: 'n' },
    ];
    const live = analyse([{ name: 'x.rdb', ctimeS: CTIME, specs }]);
    assert.deepEqual(
      live.ttl.histogram.map((b) => [b.bucket, b.keys]),
      [
        ['expired', 1],
        ['lt1h', 2],
        ['lt1d', 1],
        ['lt7d', 1],
        ['lt30d', 1],
        ['later', 1],
      ],
    );
    assert.equal(live.summary.expiredKeys, 1);
    assert.equal(live.databases[0].expiredKeys, 1);
    // Without beginFile the TTLs wait for addFile: same result.
    const deferred = analyse([{ name: 'x.rdb', ctimeS: CTIME, specs }], {}, false);
    assert.deepEqual(deferred.ttl, live.ttl);
    assert.deepEqual(deferred.databases, live.databases);
    // No ctime: the reference falls back to another file's ctime, then the option, then now.
    const two = analyse([
      { name: 'a', ctimeS: CTIME, specs: [] },
      { name: 'b', specs },
    ]);
    assert.equal(two.files[1].ttlReferenceSource, 'other-file');
    assert.equal(two.files[1].ttlReferenceMs, CTIME * 1000);
    const opt = analyse([{ name: 'b', specs }], { referenceMs: CTIME * 1000 + 2 * H });
    assert.equal(opt.files[0].ttlReferenceSource, 'option');
    assert.equal(opt.ttl.histogram[0].keys, 4);
    const now = analyse([{ name: 'b', specs }]);
    assert.equal(now.files[0].ttlReferenceSource, 'analysis-time');
    assert.equal(now.files[0].ttlReferenceMs, 1_700_000_000_000);
    assert.equal(ttlBucket(-1), 0);
  });

  test('merging two shard reports equals analysing both (deep-equal)', () => {
    const whole = analyse(
      [
        { name: 'a.rdb', ctimeS: CTIME, specs: fileA() },
        { name: 'b.rdb', ctimeS: CTIME + 5, specs: fileB() },
      ],
      opts,
    );
    const a = analyse([{ name: 'a.rdb', ctimeS: CTIME, specs: fileA() }], opts);
    const b = analyse([{ name: 'b.rdb', ctimeS: CTIME + 5, specs: fileB() }], opts);
    // The w* level overflows only in the union (30 + 30 > 40).
    assert.ok(a.namespaces.some((n) => n.pattern === 'waa:leaf'));
    assert.ok(whole.namespaces.some((n) => n.pattern === '*:leaf'));
    assert.ok(whole.namespaceInfo.collapsed.includes(''));
    const merged = mergeReports([roundTrip(a), roundTrip(b)]);
    assert.deepEqual(roundTrip(merged), roundTrip(whole));
    assertPartition(merged);
    // Associative: merging a merge.
    const c = analyse([{ name: 'c.rdb', ctimeS: CTIME, specs: [{ key: 'cache:product:x9', memoryBytes: 1 }] }], opts);
    const wholeAbc = analyse(
      [
        { name: 'a.rdb', ctimeS: CTIME, specs: fileA() },
        { name: 'b.rdb', ctimeS: CTIME + 5, specs: fileB() },
        { name: 'c.rdb', ctimeS: CTIME, specs: [{ key: 'cache:product:x9', memoryBytes: 1 }] },
      ],
      opts,
    );
    assert.deepEqual(roundTrip(mergeReports([merged, c])), roundTrip(wholeAbc));
    assert.throws(() => mergeReports([a, { ...b, options: { ...b.options, separators: '/' } }]), /different separators/);
  });

  test('merge is exact with overflow deep in the tree and random data', () => {
    const r = rng(99);
    const mk = (n: number, off: number): RecordSpec[] =>
      Array.from({ length: n }, (_, i) => ({
        key: `t${Math.floor(r() * 4)}:g${Math.floor(r() * 25)}:${r() < 0.5 ? 'v' : 'k'}${Math.floor(r() * 8)}:${off + i}`,
        memoryBytes: 10 + Math.floor(r() * 50),
        expireAtMs: r() < 0.3 ? -1 : CTIME * 1000 + Math.floor(r() * 60 * 24 * H),
        type: r() < 0.1 ? 'list' : 'string',
        length: Math.floor(r() * 20000),
      }));
    const A = mk(3000, 0);
    const B = mk(3000, 10000);
    const o = { maxChildren: 20, top: 10 };
    const whole = analyse(
      [
        { name: 'a', ctimeS: CTIME, specs: A },
        { name: 'b', ctimeS: CTIME, specs: B },
      ],
      o,
    );
    const merged = mergeReports([analyse([{ name: 'a', ctimeS: CTIME, specs: A }], o), analyse([{ name: 'b', ctimeS: CTIME, specs: B }], o)]);
    assert.deepEqual(roundTrip(merged), roundTrip(whole));
    assertPartition(whole);
  });

  test('patterns are fixed points; namespaces of two reports align for diffs', () => {
    const a = analyse([{ name: 'a.rdb', ctimeS: CTIME, specs: fileA() }], opts);
    const trie = trieOfReport(a);
    for (const n of a.namespaces) assert.equal(trie.patternOf(enc(n.pattern)), n.pattern);
    // B adds 30 more first segments: w* collapses in the union, so A's waa:leaf … line up with *:leaf.
    const b = analyse([{ name: 'b.rdb', ctimeS: CTIME, specs: [...fileA(), ...fileB()] }], opts);
    const rows = alignNamespaces(a, b);
    const leaf = rows.find((r) => r.pattern === '*:leaf');
    assert.deepEqual(leaf?.before.keys, 30);
    assert.deepEqual(leaf?.after.keys, 60);
    assert.equal(rows.reduce((s, r) => s + r.before.keys, 0), a.summary.keys);
    assert.equal(rows.reduce((s, r) => s + r.after.keys, 0), b.summary.keys);
  });

  test('node cap keeps the partition exact', () => {
    const specs: RecordSpec[] = [];
    for (let i = 0; i < 2000; i++) specs.push({ key: `${letters('a', i % 50)}:${letters('b', i % 37)}:${letters('c', i)}`, memoryBytes: 1 });
    const r = analyse([{ name: 'x', specs }], { maxNodes: 100, maxChildren: 1000 });
    assert.ok(r.namespaceInfo.capped);
    assert.ok(r.namespaceInfo.nodes <= 100);
    assertPartition(r);
  });

  test('kept keys are copies (the parser reuses its record)', () => {
    const agg = new Aggregator({ top: 3 });
    const f = new RecordFiller();
    agg.add(f.fill({ key: 'first:key', memoryBytes: 1000 }));
    agg.add(f.fill({ key: 'zz', memoryBytes: 1 }));
    const r = agg.toReport();
    assert.equal(r.bigKeys[0].key, 'first:key');
    // toReport on an open file does not close it.
    agg.add(f.fill({ key: 'third', memoryBytes: 5 }));
    agg.addFile(makeFileInfo({ ctimeS: 1 }), 'f.rdb');
    assert.equal(agg.toReport().summary.keys, 3);
    assert.equal(agg.toReport().files[0].name, 'f.rdb');
  });
});

describe('findings', () => {
  function rep(ttlShare: number, extra: Partial<Report['summary']> = {}): Report {
    const specs: RecordSpec[] = [];
    for (let i = 0; i < 100; i++) specs.push({ key: `k:${i}`, memoryBytes: 1000, expireAtMs: i < ttlShare * 100 ? 2e12 : -1 });
    const r = analyse([{ name: 'x', ctimeS: 1_700_000_000, specs }]);
    Object.assign(r.summary, extra);
    return r;
  }

  test('volatile policy with few TTLs behaves like noeviction', () => {
    const f = computeFindings(rep(0.03), { policy: 'volatile-lru' }).find((x) => x.id === 'policy-volatile');
    assert.ok(f);
    assert.equal(f.severity, 'critical');
    assert.match(f.message, /^volatile-lru but only 3% of keys have a TTL: it behaves like noeviction/);
    assert.equal(f.figure, 0.03);
    const none = computeFindings(rep(0), { policy: 'volatile-ttl' }).find((x) => x.id === 'policy-volatile');
    assert.match(none?.message ?? '', /no key has a TTL/);
    const ok = computeFindings(rep(0.9), { policy: 'volatile-lfu' }).find((x) => x.id === 'policy-volatile');
    assert.equal(ok?.severity, 'info');
    const unknown = computeFindings(rep(0.5), { policy: 'lru-please' }).find((x) => x.id === 'policy-unknown');
    assert.ok(unknown);
  });

  test('maxmemory share, warning above 70%', () => {
    const r = rep(0.5, { estimatedUsedMemory: 750 * 1024 * 1024 });
    const f = computeFindings(r, { maxmemory: 1024 * 1024 * 1024 }).find((x) => x.id === 'maxmemory-usage');
    assert.equal(f?.severity, 'warn');
    assert.equal(f?.figure, 0.732422);
    assert.match(f?.message ?? '', /Estimated instance memory 750 MiB is 73% of maxmemory 1\.00 GiB \(above 70%\)/);
    const low = computeFindings(r, { maxmemory: 10 * 1024 * 1024 * 1024 }).find((x) => x.id === 'maxmemory-usage');
    assert.equal(low?.severity, 'info');
    const crit = computeFindings(r, { maxmemory: 800 * 1024 * 1024 }).find((x) => x.id === 'maxmemory-usage');
    assert.equal(crit?.severity, 'critical');
  });

  test('no-TTL share, mixed namespaces, sessions next to cache, big keys, queues', () => {
    const specs: RecordSpec[] = [];
    for (let i = 0; i < 50; i++) specs.push({ key: `session:${i}`, memoryBytes: 100, expireAtMs: i === 0 ? -1 : 2e12 });
    for (let i = 0; i < 50; i++) specs.push({ key: `cache:page:${i}`, memoryBytes: 100, expireAtMs: 2e12 });
    specs.push({ key: 'blob', memoryBytes: 20 * 1024 * 1024, length: 20 * 1024 * 1024, largestElement: 20 * 1024 * 1024 });
    specs.push({ key: 'q', type: 'list', length: 50000, memoryBytes: 1000 });
    const r = analyse([{ name: 'x', ctimeS: 1_700_000_000, specs }]);
    const ids = r.findings.map((f) => f.id);
    for (const id of ['no-ttl-share', 'namespace-mixed-ttl', 'sessions-with-cache', 'big-key', 'big-elements', 'queues']) assert.ok(ids.includes(id), id);
    const mixed = r.findings.find((f) => f.id === 'namespace-mixed-ttl');
    assert.equal(mixed?.subject, 'session:*');
    assert.equal(mixed?.figure, 1);
    // Most bytes at stake first, then most severe (issue 15: a 26 KiB TTL slip must not
    // come before a multi-MiB queue).
    const rank = r.findings.map((f) => [f.bytes, ['critical', 'warn', 'info'].indexOf(f.severity)] as const);
    for (let i = 1; i < rank.length; i++) {
      const [b0, s0] = rank[i - 1];
      const [b1, s1] = rank[i];
      assert.ok(b0 > b1 || (b0 === b1 && s0 <= s1), `finding ${i}: ${JSON.stringify(rank)}`);
    }
    assert.ok(ids.indexOf('big-key') < ids.indexOf('namespace-mixed-ttl'), 'the 20 MiB key before the one 100-byte session without TTL');
    assert.equal(r.findings.find((f) => f.id === 'big-key')?.bytes, 20 * 1024 * 1024);
  });
});

describe('budgets', () => {
  test('parseSize follows redis.conf units', () => {
    assert.equal(parseSize('1gb'), 1024 ** 3);
    assert.equal(parseSize('1GiB'), 1024 ** 3);
    assert.equal(parseSize('50mb'), 50 * 1024 ** 2);
    assert.equal(parseSize('1k'), 1000);
    assert.equal(parseSize('1.5kb'), 1536);
    assert.equal(parseSize('100000'), 100000);
    assert.throws(() => parseSize('1 parsec'), /not a size/);
    assert.throws(() => parseSize('-1'), /not a size/);
  });

  test('parse', () => {
    assert.deepEqual(parseBudget('no-ttl-bytes>1gb'), { text: 'no-ttl-bytes>1gb', metric: 'no-ttl-bytes', op: '>', limit: 1024 ** 3, unit: 'bytes', diff: false });
    assert.equal(parseBudget('queue-length>100000').unit, 'count');
    assert.equal(parseBudget('queue-length >= 100k').limit, 100000);
    assert.deepEqual(parseBudget('growth>20%'), { text: 'growth>20%', metric: 'growth', op: '>', limit: 20, unit: 'percent', diff: true });
    assert.equal(parseBudget('no-ttl-growth>10000').unit, 'count');
    assert.equal(parseBudget('no-ttl-growth>1gb').unit, 'bytes');
    assert.throws(() => parseBudget('no-ttl-bytes>'), /expected METRIC>LIMIT/);
    assert.throws(() => parseBudget('bogus>1'), /unknown metric/);
    assert.throws(() => parseBudget('queue-length>1mb'), /takes a count/);
    assert.throws(() => parseBudget('key-bytes>20%'), /takes a size/);
  });

  test('evaluate', () => {
    const specs: RecordSpec[] = [
      { key: 'huge', memoryBytes: 60 * 1024 * 1024 },
      { key: 'big', memoryBytes: 55 * 1024 * 1024 },
      { key: 'small', memoryBytes: 10, expireAtMs: 2e12 },
      { key: 'q', type: 'list', length: 150000, memoryBytes: 100 },
    ];
    const r = analyse([{ name: 'x', ctimeS: 1_700_000_000, specs }]);
    const res = evaluateBudgets(r, parseBudgets(['no-ttl-bytes>1gb', 'key-bytes>50mb', 'queue-length>100000', 'total-keys>3', 'growth>20%']));
    assert.deepEqual(
      res.breaches.map((b) => b.budget.metric),
      ['key-bytes', 'queue-length', 'total-keys'],
    );
    const kb = res.breaches[0];
    assert.equal(kb.actual, 60 * 1024 * 1024);
    assert.deepEqual(kb.subjects, ['huge', 'big']);
    assert.match(kb.message, /^key-bytes>50mb: 60\.0 MiB in the biggest key \(huge\) \(limit 50\.0 MiB\)/);
    assert.deepEqual(res.breaches[1].subjects, ['q']);
    assert.equal(res.skipped[0].metric, 'growth');
    const diff = evaluateBudgets(r, [parseBudget('growth>20%'), parseBudget('no-ttl-growth>10')], {
      bytesBefore: 100,
      bytesAfter: 130,
      noTtlKeysBefore: 5,
      noTtlKeysAfter: 10,
      noTtlBytesBefore: 0,
      noTtlBytesAfter: 0,
    });
    assert.deepEqual(
      diff.breaches.map((b) => [b.budget.metric, b.actual]),
      [['growth', 30]],
    );
  });
});

describe('units', () => {
  test('format', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(3 * 1024 ** 3), '3.00 GiB');
    assert.equal(formatPercent(0.031), '3.1%');
    assert.equal(formatPercent(0.03), '3%');
    assert.equal(formatPercent(0.0001), '<0.1%');
  });
});
