/**
 * Merging reports, and aligning the namespaces of two reports for diff.
 *
 * `mergeReports` rebuilds the aggregator's state from reports (the trie from
 * `namespaceTree` + `namespaces`, the heaps from the top lists, the per-file sections as
 * they are) and runs the same finalisation (aggregate.ts), so merging the reports of shards
 * A and B gives exactly the report of analysing A then B.
 */

import type { KeyEntry, NamespaceEntry, NamespaceTreeNode, Report, ReportOptions } from './schema.ts';
import { REPORT_SCHEMA, REPORT_SCHEMA_VERSION, modelLabel } from './schema.ts';
import { type Entry, fromKeyEntry } from './entry.ts';
import { NamespaceTrie, type TrieShape } from './namespace.ts';
import { NsData, TYPES, finalize, mergeNsData, newState } from './aggregate.ts';
import { cmpStr } from '../core/units.ts';

// ---------------------------------------------------------------------------------------------
// Merging

export interface MergeOptions {
  /** Override the reports' maxmemory-policy for findings. */
  policy?: string | null;
  /** Override the reports' maxmemory for findings. */
  maxmemory?: number | null;
  /**
   * Merge files whose figures follow different memory models (server or allocator): refused
   * unless set, since their sums mean nothing; the merged report then carries every model in
   * `summary.memoryModels` and a `mixed-memory-models` finding.
   */
  allowMixedModels?: boolean;
}

/** The distinct models of the reports' files, sorted. */
export function modelsOf(reports: readonly Report[]): string[] {
  return [...new Set(reports.flatMap((r) => r.files.map((f) => modelLabel(f.memoryModel))))].sort(cmpStr);
}

function nsDataFrom(e: NamespaceEntry, fileOffset: number): NsData {
  const d = new NsData();
  d.keys = e.keys;
  d.bytes = e.bytes;
  d.noTtlKeys = e.noTtlKeys;
  d.noTtlBytes = e.noTtlBytes;
  TYPES.forEach((t, i) => {
    d.types[i] = e.types[t] ?? 0;
  });
  for (const db of e.dbs) d.addDb(db);
  d.largest = e.largest === null ? null : fromKeyEntry(e.largest, fileOffset);
  return d;
}

function shapeFromTree(node: NamespaceTreeNode, byPattern: Map<string, NamespaceEntry>, fileOffset: number): TrieShape<NsData> {
  const e = node.ownKeys > 0 ? byPattern.get(node.pattern) : undefined;
  if (node.ownKeys > 0 && e === undefined) throw new Error(`report: namespace tree node ${JSON.stringify(node.pattern)} has no entry in namespaces`);
  return {
    label: node.label,
    collapsed: node.collapsed,
    foldedIds: node.foldedIds === true,
    data: e === undefined ? null : nsDataFrom(e, fileOffset),
    children: node.children.map((c) => shapeFromTree(c, byPattern, fileOffset)),
  };
}

/**
 * Merges reports of disjoint key sets (cluster shards): sums, namespaces merged with the same
 * collapsing rules, top lists re-ranked, file sections concatenated, findings recomputed.
 * Exact: merging the reports of A and B equals the report of analysing A then B (unless the
 * namespace node cap fired, see namespace.ts). The reports must share the namespace options,
 * the big-element and queue thresholds; top lists are cut to the smallest `top`.
 */
export function mergeReports(reports: Report[], opts: MergeOptions = {}): Report {
  if (reports.length === 0) throw new Error('mergeReports: no reports');
  for (const r of reports) {
    if (r.schema !== REPORT_SCHEMA || r.schemaVersion !== REPORT_SCHEMA_VERSION) {
      throw new Error(`mergeReports: not an ${REPORT_SCHEMA} v${REPORT_SCHEMA_VERSION} report (schema ${String(r.schema)} v${String(r.schemaVersion)})`);
    }
  }
  const models = modelsOf(reports);
  if (models.length > 1 && !opts.allowMixedModels) {
    throw new Error(`the reports' byte figures follow different memory models (${models.join('; ')}); their sums would mean nothing: analyse every file with the same --redis-version and --allocator (or allow it with --allow-mixed-models)`);
  }
  const first = reports[0].options;
  for (const r of reports.slice(1)) {
    for (const k of ['separators', 'maxChildren', 'depth', 'maxNodes', 'bigElement', 'queueThreshold'] as const) {
      if (r.options[k] !== first[k]) {
        throw new Error(`mergeReports: the reports were made with different ${k} (${JSON.stringify(first[k])} vs ${JSON.stringify(r.options[k])}); analyse them again with the same options`);
      }
    }
  }
  const options: ReportOptions = {
    ...first,
    top: Math.min(...reports.map((r) => r.options.top)),
    queueLimit: Math.min(...reports.map((r) => r.options.queueLimit)),
    policy: opts.policy !== undefined ? opts.policy : first.policy,
    maxmemory: opts.maxmemory !== undefined ? opts.maxmemory : first.maxmemory,
  };
  const st = newState(options, reports[0].tool.version);
  st.redacted = reports.some((r) => r.redacted);
  let offset = 0;
  let trie: NamespaceTrie<NsData> | null = null;
  for (const r of reports) {
    const byPattern = new Map(r.namespaces.map((n) => [n.pattern, n]));
    const t = NamespaceTrie.fromShape<NsData, NsData>(
      shapeFromTree(r.namespaceTree, byPattern, offset),
      options,
      r.namespaceInfo.effectiveMaxChildren,
      mergeNsData,
      (d) => d,
    );
    if (trie === null) trie = t;
    else trie.mergeFrom(t);
    const ent = (k: KeyEntry): Entry => fromKeyEntry(k, offset);
    for (const k of r.bigKeys) st.big.offer(ent(k));
    TYPES.forEach((type, i) => {
      for (const k of r.bigKeysByType[type] ?? []) st.byType[i].offer(ent(k));
    });
    for (const k of r.noTtl.biggest) st.noTtl.offer(ent(k));
    for (const k of r.bigElements.keys) st.bigEl.offer(ent(k));
    for (const k of r.queues) st.queues.offer(ent(k));
    if (r.queueStats.longest !== null) st.longest.offer(ent(r.queueStats.longest));
    if (r.queueStats.mostPending !== null) st.mostPending.offer(ent(r.queueStats.mostPending));
    st.bigElCount += r.bigElements.count;
    st.bigElBytes += r.bigElements.bytes;
    st.queueCount += r.queueStats.count;
    st.queueBytes += r.queueStats.bytes;
    st.queueByType.list += r.queueStats.byType.list;
    st.queueByType.zset += r.queueStats.byType.zset;
    st.queueByType.stream += r.queueStats.byType.stream;
    for (const k of r.bigCollections?.keys ?? []) st.collections.offer(ent(k));
    st.collectionCount += r.bigCollections?.count ?? 0;
    st.collectionBytes += r.bigCollections?.bytes ?? 0;
    st.files.push(...r.files.map((f) => structuredClone(f)));
    offset += r.files.length;
  }
  st.trie = trie as NamespaceTrie<NsData>;
  return finalize(st, st.files);
}

/** The namespace trie of a report, rebuilt (for redaction and diffs). */
export function trieOfReport(r: Report): NamespaceTrie<NsData> {
  const byPattern = new Map(r.namespaces.map((n) => [n.pattern, n]));
  return NamespaceTrie.fromShape<NsData, NsData>(
    shapeFromTree(r.namespaceTree, byPattern, 0),
    r.options,
    r.namespaceInfo.effectiveMaxChildren,
    mergeNsData,
    (d) => d,
  );
}

// ---------------------------------------------------------------------------------------------
// Diff support

export interface NamespaceFigures {
  keys: number;
  bytes: number;
  noTtlKeys: number;
  noTtlBytes: number;
}

export interface NamespaceDiffRow {
  pattern: string;
  before: NamespaceFigures;
  after: NamespaceFigures;
}

/**
 * The namespaces of two reports on a common footing, for `diff`: a level collapsed in either
 * report is collapsed in both (the union trie, as `mergeReports` builds it), and each report's
 * entries are re-filed there. Normalised labels are fixed points of the rules, so a pattern
 * routed through the union trie lands on the union's pattern for it. Rows are sorted by the
 * largest absolute change in bytes, then pattern. `union` is that merge when the caller has it.
 */
export function alignNamespaces(before: Report, after: Report, union = mergeReports([before, after])): NamespaceDiffRow[] {
  const trie = trieOfReport(union);
  const enc = new TextEncoder();
  const rows = new Map<string, NamespaceDiffRow>();
  const zero = (): NamespaceFigures => ({ keys: 0, bytes: 0, noTtlKeys: 0, noTtlBytes: 0 });
  const file = (r: Report, side: 'before' | 'after'): void => {
    for (const n of r.namespaces) {
      const b = enc.encode(n.pattern);
      const p = trie.patternOf(b, 0, b.length);
      let row = rows.get(p);
      if (row === undefined) rows.set(p, (row = { pattern: p, before: zero(), after: zero() }));
      const f = row[side];
      f.keys += n.keys;
      f.bytes += n.bytes;
      f.noTtlKeys += n.noTtlKeys;
      f.noTtlBytes += n.noTtlBytes;
    }
  };
  file(before, 'before');
  file(after, 'after');
  return [...rows.values()].sort(
    (a, b) => Math.abs(b.after.bytes - b.before.bytes) - Math.abs(a.after.bytes - a.before.bytes) || cmpStr(a.pattern, b.pattern),
  );
}
