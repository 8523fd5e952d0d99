/**
 * Findings: plain sentences derived from a report's numbers, each carrying the figure that
 * triggered it and the bytes at stake, ranked by those bytes then severity (an on-call reader
 * wants the 9 MiB queue before the 26 KiB TTL slip). A pure function of the report (and of the policy / maxmemory options), so a
 * merged report gets the findings one analysis would have produced.
 */

import type { Finding, NamespaceEntry, QueueEntry, Report, Severity } from './schema.ts';
import { formatBytes, formatCount, formatPercent, round6 } from '../core/units.ts';
import { pendingPhrase } from './pending-text.ts';

export interface FindingOptions {
  /** `maxmemory-policy` (not stored in RDB files). */
  policy?: string | null;
  /** `maxmemory` in bytes. */
  maxmemory?: number | null;
}

/** Usage above this share of maxmemory is a warning (above 90%: critical). */
export const MAXMEMORY_WARN = 0.7;
export const MAXMEMORY_CRITICAL = 0.9;
/** A key at least this big is worth a warning. */
export const BIG_KEY_WARN = 10 * 1024 * 1024;

const SESSION_RE = /sess/i;
const CACHE_RE = /cache|^zc:|^fpc(?:$|[:_])/i;

export const POLICIES = [
  'noeviction',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
] as const;

/** A key as findings quote it (already redacted in redacted reports). */
function q(s: string): string {
  // An empty code span (two backticks) would open a fence in Markdown.
  if (s.length === 0) return '(the empty key)';
  const t = s.length > 80 ? s.slice(0, 77) + '…' : s;
  return '`' + t.replace(/[\u0000-\u001f\u007f`]/g, (c) => (c === '`' ? "'" : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)) + '`';
}

/** `3 keys`, `1 key`. */
function plural(count: number, one: string, many: string): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

function describeQueue(e: QueueEntry): string {
  return `${q(e.key)} (${e.type}${e.db !== 0 ? `, db ${e.db}` : ''})`;
}

/** What a queue finding ranks a queue by: its length, or its pending entries when more. */
function queueSize(e: QueueEntry): number {
  return Math.max(e.length, e.pending ?? 0);
}

/**
 * `queue:email:pending` (list, 12,000 entries, 1.2 MiB); a stream also says what each group
 * holds pending and since when (from the file's save time).
 */
function describeQueueFully(e: QueueEntry, savedAtMs: number | null): string {
  const what = e.type === 'zset' ? 'jobs' : 'entries';
  const groups = pendingPhrase(e, savedAtMs, q);
  const pel = groups
    ? `; ${groups}`
    : e.pending !== null && e.pending > 0
      ? `, ${formatCount(e.pending)} pending in ${e.groups === 1 ? 'its consumer group' : `one of its ${formatCount(e.groups ?? 0)} consumer groups`} (delivered, never acknowledged)`
      : '';
  return `${q(e.key)} (${e.type}${e.db !== 0 ? `, db ${e.db}` : ''}, ${formatCount(e.length)} ${what}${pel}; ${formatBytes(e.bytes)})`;
}

/** The save time of the file a key was read from (its pending entries' ages count from it). */
function savedAt(r: Report, e: QueueEntry): number | null {
  return r.files[e.fileIndex]?.savedAtMs ?? null;
}

const RANK: Record<Severity, number> = { critical: 0, warn: 1, info: 2 };

type Figures = Pick<NamespaceEntry, 'pattern' | 'keys' | 'bytes' | 'noTtlKeys' | 'noTtlBytes'>;

/** The ranked namespace groups (report.namespaceRanking), or the flat namespaces of a report without them. */
function groupsOf(r: Report): Figures[] {
  return r.namespaceRanking ?? r.namespaces;
}

/** Leaf namespace pattern → the name of its ranked group. */
function groupNames(r: Report): Map<string, string> {
  const m = new Map<string, string>();
  for (const g of r.namespaceRanking ?? []) {
    if (g.parts.length === 0) m.set(g.pattern, g.pattern);
    for (const p of g.parts) m.set(p.pattern, g.pattern);
  }
  return m;
}

export function computeFindings(r: Report, opts: FindingOptions = {}): Finding[] {
  const out: Finding[] = [];
  // `bytes`: estimated bytes at stake (what the sort ranks by).
  const add = (id: string, severity: Severity, message: string, figure: number, unit: Finding['unit'], subject: string | null, bytes: number): void => {
    out.push({ id, severity, message, figure, unit, subject, bytes });
  };
  const s = r.summary;
  const haveBytes = s.bytes > 0;

  // Files.
  for (const f of r.files) {
    if (f.checksum === 'mismatch') add('checksum-mismatch', 'critical', `${q(f.name)}: the checksum does not match; the file is damaged and its figures may be wrong.`, 1, 'count', f.name, f.bytes);
    // Only vector sets are decoded and modelled; any other module value is a black box.
    for (const [name, n] of Object.entries(f.modules)) {
      if (n > 0 && name !== 'vectorset') {
        add('module-serialized-size', 'info', `${q(f.name)}: ${plural(n, 'value', 'values')} of module type ${q(name)} ${n === 1 ? 'is' : 'are'} sized by ${n === 1 ? 'its' : 'their'} serialized length in the file, not by what the module allocates.`, n, 'keys', name, 0);
      }
    }
  }

  // Files modelled for different servers or allocators (a merge that allowed it): every sum
  // mixes them, so all the memory is at stake and it ranks first.
  const models = s.memoryModels ?? [];
  if (models.length > 1) {
    add('mixed-memory-models', 'critical', `The files' byte figures follow different memory models (${models.join('; ')}): sums, shares and rankings across them mix the models.`, models.length, 'count', null, Math.max(s.bytes, s.estimatedUsedMemory ?? 0, s.usedMemAtSave ?? 0));
  }

  // Memory without TTL.
  if (s.keys > 0 && s.noTtlKeys > 0) {
    if (haveBytes) {
      const share = s.noTtlShare;
      add(
        'no-ttl-share',
        share >= 0.5 ? 'warn' : 'info',
        `${formatPercent(share)} of the estimated memory (${formatBytes(s.noTtlBytes)} in ${plural(s.noTtlKeys, 'key', 'keys')}) has no TTL and is only freed by deleting it or by eviction.`,
        share,
        'fraction',
        null,
        s.noTtlBytes,
      );
    } else {
      const share = s.keys > 0 ? s.noTtlKeys / s.keys : 0;
      add('no-ttl-share', share >= 0.5 ? 'warn' : 'info', `${formatPercent(share)} of the keys (${formatCount(s.noTtlKeys)}) have no TTL.`, share, 'fraction', null, 0);
    }
  }

  // Namespaces mixing keys with and without TTL: the few without TTL usually miss an EXPIRE.
  // Judged on the ranked groups (`cache:eav:*`, not each of its store views), as people name them.
  const mixed = groupsOf(r)
    .filter((n) => n.noTtlKeys > 0 && n.noTtlKeys < n.keys)
    .sort((a, b) => b.noTtlBytes - a.noTtlBytes || b.noTtlKeys - a.noTtlKeys || (a.pattern < b.pattern ? -1 : 1))
    .slice(0, 5);
  for (const n of mixed) {
    const minority = n.noTtlKeys * 2 < n.keys;
    add(
      'namespace-mixed-ttl',
      minority ? 'warn' : 'info',
      `Namespace ${q(n.pattern)} mixes keys with and without TTL: ${formatCount(n.noTtlKeys)} of ${formatCount(n.keys)} keys (${formatBytes(n.noTtlBytes)}) have none${minority ? ', probably a missing EXPIRE' : ''}.`,
      n.noTtlKeys,
      'keys',
      n.pattern,
      n.noTtlBytes,
    );
  }

  // Sessions and cache in the same database.
  const perDb = new Map<number, { sess: NamespaceEntry[]; cache: NamespaceEntry[] }>();
  for (const n of r.namespaces) {
    const kind = SESSION_RE.test(n.pattern) ? 'sess' : CACHE_RE.test(n.pattern) ? 'cache' : null;
    if (kind === null) continue;
    for (const db of n.dbs) {
      let e = perDb.get(db);
      if (e === undefined) perDb.set(db, (e = { sess: [], cache: [] }));
      e[kind].push(n);
    }
  }
  for (const [db, e] of [...perDb.entries()].sort((a, b) => a[0] - b[0])) {
    if (e.sess.length === 0 || e.cache.length === 0) continue;
    const sum = (l: NamespaceEntry[]): { keys: number; bytes: number } => l.reduce((a, n) => ({ keys: a.keys + n.keys, bytes: a.bytes + n.bytes }), { keys: 0, bytes: 0 });
    const ss = sum(e.sess);
    const cs = sum(e.cache);
    const group = groupNames(r);
    const top = (l: NamespaceEntry[]): string => [...new Set(l.map((n) => group.get(n.pattern) ?? n.pattern))].slice(0, 3).map(q).join(', ');
    add(
      'sessions-with-cache',
      'warn',
      `Sessions and cache share db ${db}: ${top(e.sess)} (${formatCount(ss.keys)} keys, ${formatBytes(ss.bytes)}) next to ${top(e.cache)} (${formatCount(cs.keys)} keys, ${formatBytes(cs.bytes)}); eviction under memory pressure hits sessions too (users get logged out). Keep sessions in their own instance.`,
      ss.keys,
      'keys',
      `db ${db}`,
      ss.bytes,
    );
  }

  // Big keys.
  const big = r.bigKeys[0];
  if (big !== undefined && big.bytes >= 1024 * 1024) {
    const share = haveBytes ? big.bytes / s.bytes : 0;
    add(
      'big-key',
      big.bytes >= BIG_KEY_WARN || share >= 0.1 ? 'warn' : 'info',
      `The biggest key, ${q(big.key)} (${big.type}, ${formatCount(big.length)} ${big.type === 'string' ? 'bytes long' : 'elements'}), takes ${formatBytes(big.bytes)}${share > 0 ? `, ${formatPercent(share)} of the estimated memory` : ''}.`,
      big.bytes,
      'bytes',
      big.key,
      big.bytes,
    );
    const overKeys = r.bigKeys.filter((k) => k.bytes >= BIG_KEY_WARN);
    const over = overKeys.length;
    if (over > 1) {
      const atLeast = over === r.bigKeys.length && r.bigKeys.length >= r.options.top ? 'at least ' : '';
      add('big-keys', 'warn', `${atLeast}${formatCount(over)} keys take ${formatBytes(BIG_KEY_WARN)} or more each; big keys block the server while they are deleted, migrated or saved.`, over, 'keys', null, overKeys.reduce((a, k) => a + k.bytes, 0));
    }
  }
  if (r.bigElements.count > 0) {
    const k = r.bigElements.keys[0];
    add(
      'big-elements',
      'warn',
      `${plural(r.bigElements.count, 'key holds', 'keys hold')} an element over ${formatBytes(r.bigElements.threshold)}${k !== undefined ? `; the largest element, ${formatBytes(k.largestElement)}, is in ${q(k.key)} (${k.type})` : ''}.`,
      r.bigElements.count,
      'keys',
      k?.key ?? null,
      r.bigElements.bytes,
    );
  }

  // Queues: lists, streams and job-schedule zsets, each named with what waits in it.
  const qs = r.queueStats;
  if (qs.count > 0) {
    const shown = r.queues.slice(0, 3);
    const more = qs.count - shown.length;
    const top = r.queues[0];
    add(
      'queues',
      'warn',
      `${plural(qs.count, 'queue holds', 'queues hold')} more than ${formatCount(qs.threshold)} entries or pending entries (${formatBytes(qs.bytes)}): ${shown.map((e) => describeQueueFully(e, savedAt(r, e))).join('; ')}${more > 0 ? `; ${formatCount(more)} more` : ''}.`,
      top !== undefined ? queueSize(top) : qs.count,
      top !== undefined ? 'elements' : 'count',
      top?.key ?? null,
      qs.bytes,
    );
  }
  // A stream whose pending entries are under the threshold is not in the queues finding.
  const m = qs.mostPending;
  if (m !== null && m.pending !== null && m.pending > qs.threshold && !r.queues.some((e) => e.key === m.key && e.db === m.db && e.fileIndex === m.fileIndex)) {
    add(
      'stream-pending',
      'warn',
      `Stream ${describeQueue(m)} has a consumer group with ${formatCount(m.pending)} pending entries (over ${formatCount(qs.threshold)}): messages are delivered but never acknowledged${pendingPhrase(m, savedAt(r, m), q) ? ` (${pendingPhrase(m, savedAt(r, m), q)})` : ''}.`,
      m.pending,
      'elements',
      m.key,
      m.bytes,
    );
  }
  // Long zsets that are not job schedules: big, but nothing waits in them.
  const bc = r.bigCollections;
  if (bc !== undefined && bc.count > 0) {
    const k = bc.keys[0];
    add(
      'big-collections',
      'info',
      `${plural(bc.count, 'zset holds', 'zsets hold')} more than ${formatCount(bc.threshold)} members without looking like a job queue (${formatBytes(bc.bytes)})${k !== undefined ? `; the largest, ${q(k.key)}, has ${formatCount(k.length)} members (${formatBytes(k.bytes)})` : ''}: a big collection (leaderboard, index) to bound or trim, not a backlog.`,
      k?.length ?? bc.count,
      k !== undefined ? 'elements' : 'count',
      k?.key ?? null,
      bc.bytes,
    );
  }

  // Expired keys still in the file.
  if (s.expiredKeys > 0) {
    add(
      'expired-keys',
      'info',
      `${plural(s.expiredKeys, 'key', 'keys')} (${formatBytes(s.expiredBytes)}) had already expired at save time; they stay in memory until accessed or found by the active expiry cycle.`,
      s.expiredKeys,
      'keys',
      null,
      s.expiredBytes,
    );
  }

  // maxmemory-policy.
  const policy = opts.policy ?? null;
  if (policy !== null && s.keys > 0) {
    const p = policy.toLowerCase();
    const ttlShare = s.ttlKeys / s.keys;
    const ttlBytesShare = haveBytes ? s.ttlBytes / s.bytes : ttlShare;
    if (!(POLICIES as readonly string[]).includes(p)) {
      add('policy-unknown', 'info', `Unknown maxmemory-policy ${q(policy)} (expected one of ${POLICIES.join(', ')}).`, 0, 'count', null, 0);
    } else if (p.startsWith('volatile-')) {
      if (s.ttlKeys === 0) {
        add('policy-volatile', 'critical', `${p} but no key has a TTL: it behaves like noeviction, writes fail once memory is full.`, 0, 'fraction', null, s.bytes);
      } else if (ttlShare < 0.5) {
        add(
          'policy-volatile',
          ttlShare < 0.1 ? 'critical' : 'warn',
          `${p} but only ${formatPercent(ttlShare)} of keys have a TTL: it behaves like noeviction once those ${formatCount(s.ttlKeys)} keys (${formatBytes(s.ttlBytes)}) are evicted.`,
          round6(ttlShare),
          'fraction',
          null,
          s.noTtlBytes,
        );
      } else {
        add('policy-volatile', 'info', `${p}: ${formatPercent(ttlShare)} of keys (${formatPercent(ttlBytesShare)} of memory) have a TTL and can be evicted.`, round6(ttlShare), 'fraction', null, s.noTtlBytes);
      }
    } else if (p.startsWith('allkeys-')) {
      add(
        'policy-allkeys',
        s.noTtlShare >= 0.5 ? 'warn' : 'info',
        `${p} evicts any key, including the ${formatCount(s.noTtlKeys)} keys without TTL (${formatPercent(haveBytes ? s.noTtlShare : 1 - ttlShare)} of memory) that may be data rather than cache.`,
        haveBytes ? s.noTtlShare : round6(1 - ttlShare),
        'fraction',
        null,
        s.noTtlBytes,
      );
    } else {
      add(
        'policy-noeviction',
        s.noTtlShare >= 0.5 ? 'warn' : 'info',
        `noeviction: once memory is full writes fail; ${formatPercent(haveBytes ? s.noTtlShare : 1 - ttlShare)} of memory has no TTL and never frees itself.`,
        haveBytes ? s.noTtlShare : round6(1 - ttlShare),
        'fraction',
        null,
        s.noTtlBytes,
      );
    }
  }

  // maxmemory.
  const maxmemory = opts.maxmemory ?? null;
  if (maxmemory !== null && maxmemory > 0) {
    const [usage, what] =
      s.estimatedUsedMemory !== null
        ? [s.estimatedUsedMemory, 'Estimated instance memory']
        : s.usedMemAtSave !== null
          ? [s.usedMemAtSave, 'Memory at save time (used-mem)']
          : [s.bytes, 'Estimated key memory'];
    const share = usage / maxmemory;
    const sev: Severity = share > MAXMEMORY_CRITICAL ? 'critical' : share > MAXMEMORY_WARN ? 'warn' : 'info';
    add(
      'maxmemory-usage',
      sev,
      `${what} ${formatBytes(usage)} is ${formatPercent(share)} of maxmemory ${formatBytes(maxmemory)}${share > MAXMEMORY_WARN ? ` (above ${formatPercent(MAXMEMORY_WARN)})` : ''}.`,
      round6(share),
      'fraction',
      null,
      usage,
    );
  }

  // Estimate vs used-mem.
  if (s.estimateToUsedMem !== null && (s.estimateToUsedMem < 0.8 || s.estimateToUsedMem > 1.25)) {
    add(
      'estimate-vs-used-mem',
      'info',
      `The estimated instance memory (${formatBytes(s.estimatedUsedMemory ?? 0)}) is ${formatPercent(s.estimateToUsedMem)} of used-mem at save time (${formatBytes(s.usedMemAtSave ?? 0)}): fragmentation, client or replication buffers, or keys written after the snapshot.`,
      s.estimateToUsedMem,
      'fraction',
      null,
      Math.abs((s.estimatedUsedMemory ?? 0) - (s.usedMemAtSave ?? 0)),
    );
  }

  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => b.f.bytes - a.f.bytes || RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i)
    .map((x) => x.f);
}

