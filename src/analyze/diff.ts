/**
 * The diff of two reports (`rdbscope diff`): what changed between them (two nightly snapshots,
 * typically). Writing it is report/diff.ts's job.
 *
 * Everything is computed from the two reports, so memory stays bounded whatever the key
 * count: namespace, database and type changes come from the aggregates; key-level changes
 * (queues that grew, new big keys) only from the bounded top lists.
 *
 * Namespaces are compared on a common footing (`alignNamespaces`): a level that collapsed to
 * `*` in either report is collapsed in both, so `user:42` in one report and `user:*` in the
 * other do not show up as one vanished and one appeared namespace.
 *
 * Only changes are listed: a namespace, database or type whose figures are the same on both
 * sides is not in `namespaces` / `databases` / `types` (its count is in `unchanged`).
 *
 * Keys are matched by database and key bytes; in redacted reports by database and the hash
 * part of the `pattern#hash` token (the hash is stable, the pattern may move when a level
 * collapses). When one side is redacted and the other is not, the other is redacted first.
 *
 * The JSON layout (`DiffReport`) follows the report conventions of schema.ts: integer bytes,
 * times in ms since the epoch, absent values null, ratios as fractions rounded to 6 decimals.
 */

import type { KeyEntry, QueueEntry, Report } from './schema.ts';
import type { DiffFigures } from './budget.ts';
import { alignNamespaces, mergeReports, modelsOf, type NamespaceFigures } from './merge.ts';
import { redactReport } from './redact.ts';
import { cmpStr, round6 } from '../core/units.ts';
import {
  DIFF_SCHEMA,
  DIFF_SCHEMA_VERSION,
  type ChangeStatus,
  type DatabaseDiff,
  type DiffReport,
  type DiffSide,
  type DiffTotals,
  type DiffTreeNode,
  type FigureDelta,
  type NamespaceDiff,
  type NewBigKey,
  type QueueDiff,
  type TypeDiff,
} from './diff-schema.ts';

/** Key count, bytes, and the part without TTL, on one side. */
type Figures = NamespaceFigures;

export interface DiffOptions {
  /** `DiffSide.source` of each side. */
  oldSource?: string;
  newSource?: string;
  toolVersion?: string | null;
}

function delta(o: Figures, n: Figures): FigureDelta {
  return {
    oldKeys: o.keys,
    newKeys: n.keys,
    keysDelta: n.keys - o.keys,
    oldBytes: o.bytes,
    newBytes: n.bytes,
    bytesDelta: n.bytes - o.bytes,
    growth: o.bytes > 0 ? round6((n.bytes - o.bytes) / o.bytes) : null,
    oldNoTtlKeys: o.noTtlKeys,
    newNoTtlKeys: n.noTtlKeys,
    noTtlKeysDelta: n.noTtlKeys - o.noTtlKeys,
    oldNoTtlBytes: o.noTtlBytes,
    newNoTtlBytes: n.noTtlBytes,
    noTtlBytesDelta: n.noTtlBytes - o.noTtlBytes,
  };
}

function changed(d: FigureDelta): boolean {
  return d.keysDelta !== 0 || d.bytesDelta !== 0 || d.noTtlKeysDelta !== 0 || d.noTtlBytesDelta !== 0;
}

function status(oldKeys: number, newKeys: number): ChangeStatus {
  return oldKeys === 0 && newKeys > 0 ? 'appeared' : newKeys === 0 && oldKeys > 0 ? 'vanished' : 'changed';
}

const ZERO: Figures = { keys: 0, bytes: 0, noTtlKeys: 0, noTtlBytes: 0 };

/** Identity of a key across reports: db plus key bytes, or the hash of a redacted token. */
export function keyIdentity(e: Pick<KeyEntry, 'db' | 'key' | 'keyB64'>, redacted: boolean): string {
  if (redacted) {
    const i = e.key.lastIndexOf('#');
    return `${e.db}#${i >= 0 ? e.key.slice(i + 1) : e.key}`;
  }
  return `${e.db}:${e.keyB64 !== null ? 'b:' + e.keyB64 : 't:' + e.key}`;
}

/** Every key the report lists anywhere (bounded top lists), by identity. */
function listedKeys(r: Report): Map<string, KeyEntry | QueueEntry> {
  const m = new Map<string, KeyEntry | QueueEntry>();
  const add = (e: KeyEntry | QueueEntry | null): void => {
    if (e === null) return;
    const id = keyIdentity(e, r.redacted);
    if (!m.has(id)) m.set(id, e);
  };
  // Queues first: they carry pending figures.
  r.queues.forEach(add);
  add(r.queueStats.longest);
  add(r.queueStats.mostPending);
  r.bigKeys.forEach(add);
  for (const l of Object.values(r.bigKeysByType)) l?.forEach(add);
  r.noTtl.biggest.forEach(add);
  r.bigElements.keys.forEach(add);
  for (const t of r.types) add(t.biggest);
  for (const n of r.namespaces) add(n.largest);
  return m;
}

function side(r: Report, source: string | undefined): DiffSide {
  const files = r.files.map((f) => f.name);
  return {
    source: source ?? (files.join(', ') || '(empty report)'),
    files,
    savedAtMinMs: r.summary.savedAtMinMs,
    savedAtMaxMs: r.summary.savedAtMaxMs,
    producers: [...r.summary.producers],
    memoryModels: modelsOf([r]),
    redacted: r.redacted,
  };
}

/** Namespace alignment needs only the namespace options to agree; the rest is set aside. */
function forAlignment(r: Report, like: Report): Report {
  return { ...r, options: { ...r.options, bigElement: like.options.bigElement, queueThreshold: like.options.queueThreshold } };
}

/** A diff-tree node for one pattern's old and new figures, its own keys only (no children yet). */
function diffNode(label: string, pattern: string, o: Figures, w: Figures): DiffTreeNode {
  return {
    label,
    pattern,
    oldKeys: o.keys,
    newKeys: w.keys,
    oldBytes: o.bytes,
    newBytes: w.bytes,
    oldNoTtlKeys: o.noTtlKeys,
    newNoTtlKeys: w.noTtlKeys,
    ownOldKeys: o.keys,
    ownNewKeys: w.keys,
    children: [],
  };
}

/** Roll a child's figures up into its parent. */
function addUp(node: DiffTreeNode, c: DiffTreeNode): void {
  node.oldKeys += c.oldKeys;
  node.newKeys += c.newKeys;
  node.oldBytes += c.oldBytes;
  node.newBytes += c.newBytes;
  node.oldNoTtlKeys += c.oldNoTtlKeys;
  node.newNoTtlKeys += c.newNoTtlKeys;
}

function buildDiffTree(merged: Report['namespaceTree'], rows: Map<string, { before: Figures; after: Figures }>): DiffTreeNode {
  const seen = new Set<string>();
  const walk = (n: Report['namespaceTree']): DiffTreeNode => {
    const children = n.children.map(walk);
    const row = rows.get(n.pattern);
    if (row !== undefined) seen.add(n.pattern);
    const node = diffNode(n.label, n.pattern, row?.before ?? ZERO, row?.after ?? ZERO);
    node.children = children;
    for (const c of children) addUp(node, c);
    return node;
  };
  const root = walk(merged);
  // Rows the tree does not have (not expected: both come from the same union trie) hang off the root.
  for (const [pattern, row] of rows) {
    if (seen.has(pattern)) continue;
    const node = diffNode(pattern, pattern, row.before, row.after);
    root.children.push(node);
    addUp(root, node);
  }
  return root;
}

/**
 * What changed from `before` to `after`. Both reports must share the namespace options
 * (separators, max-children, depth, node cap); other option differences are noted.
 */
export function diffReports(before: Report, after: Report, opts: DiffOptions = {}): DiffReport {
  // Key-level matching needs both sides named the same way.
  if (before.redacted !== after.redacted) {
    before = redactReport(before);
    after = redactReport(after);
  }
  const redacted = after.redacted;
  const notes: string[] = [];
  const oo = before.options;
  const no = after.options;
  for (const k of ['top', 'bigElement', 'queueThreshold', 'queueLimit'] as const) {
    if (oo[k] !== no[k]) notes.push(`The reports were made with different ${k} (${oo[k]} before, ${no[k]} now): key lists are not strictly comparable.`);
  }
  const oldModels = modelsOf([before]);
  const newModels = modelsOf([after]);
  const modelWarning =
    oldModels.join('; ') === newModels.join('; ')
      ? null
      : `The reports follow different memory models (old: ${oldModels.join('; ')}; new: ${newModels.join('; ')}): every byte change below includes the difference between the models, not only changes in the data. Analyse both files with the same --redis-version and --allocator to compare bytes.`;
  if (before.namespaceInfo.capped || after.namespaceInfo.capped) {
    notes.push('The namespace node cap lowered max-children in at least one report: namespaces are compared at the coarser level.');
  }

  // Namespaces, on the union of both reports' tries (merged once: the tree view is drawn from it too).
  const beforeAligned = forAlignment(before, after);
  // The union only aligns namespaces; differing models are reported below, not refused.
  const union = mergeReports([beforeAligned, after], { allowMixedModels: true });
  const aligned = alignNamespaces(beforeAligned, after, union);
  const rows = new Map(aligned.map((r) => [r.pattern, r]));
  const namespaces: NamespaceDiff[] = [];
  let appeared = 0;
  let vanished = 0;
  for (const r of aligned) {
    const d = delta(r.before, r.after);
    if (!changed(d)) continue;
    const s = status(r.before.keys, r.after.keys);
    if (s === 'appeared') appeared++;
    else if (s === 'vanished') vanished++;
    namespaces.push({ pattern: r.pattern, status: s, ...d });
  }
  namespaces.sort(
    (a, b) =>
      Math.abs(b.bytesDelta) - Math.abs(a.bytesDelta) ||
      Math.abs(b.keysDelta) - Math.abs(a.keysDelta) ||
      Math.abs(b.noTtlKeysDelta) - Math.abs(a.noTtlKeysDelta) ||
      cmpStr(a.pattern, b.pattern),
  );

  // Databases.
  const dbFig = (r: Report): Map<number, Figures> =>
    new Map(r.databases.map((d) => [d.db, { keys: d.keys, bytes: d.bytes, noTtlKeys: d.noTtlKeys, noTtlBytes: d.noTtlBytes }]));
  const odb = dbFig(before);
  const ndb = dbFig(after);
  const dbNums = [...new Set([...odb.keys(), ...ndb.keys()])].sort((a, b) => a - b);
  const databases: DatabaseDiff[] = [];
  for (const db of dbNums) {
    const d = delta(odb.get(db) ?? ZERO, ndb.get(db) ?? ZERO);
    if (changed(d)) databases.push({ db, status: status(d.oldKeys, d.newKeys), ...d });
  }

  // Types.
  const otp = new Map(before.types.map((t) => [t.type, t]));
  const ntp = new Map(after.types.map((t) => [t.type, t]));
  const typeNames = [...new Set([...otp.keys(), ...ntp.keys()])];
  const types: TypeDiff[] = [];
  for (const type of typeNames) {
    const o = otp.get(type);
    const n = ntp.get(type);
    const oldKeys = o?.keys ?? 0;
    const newKeys = n?.keys ?? 0;
    const oldBytes = o?.bytes ?? 0;
    const newBytes = n?.bytes ?? 0;
    if (oldKeys === newKeys && oldBytes === newBytes) continue;
    types.push({
      type,
      status: status(oldKeys, newKeys),
      oldKeys,
      newKeys,
      keysDelta: newKeys - oldKeys,
      oldBytes,
      newBytes,
      bytesDelta: newBytes - oldBytes,
      growth: oldBytes > 0 ? round6((newBytes - oldBytes) / oldBytes) : null,
    });
  }
  types.sort((a, b) => Math.abs(b.bytesDelta) - Math.abs(a.bytesDelta) || Math.abs(b.keysDelta) - Math.abs(a.keysDelta) || cmpStr(a.type, b.type));

  // Key level: queues and big keys, from the bounded lists.
  const oldKeys = listedKeys(before);
  const queues: QueueDiff[] = [];
  for (const q of after.queues) {
    const prev = oldKeys.get(keyIdentity(q, redacted));
    const newPending = q.pending;
    if (prev === undefined) {
      queues.push({
        db: q.db,
        key: q.key,
        keyB64: q.keyB64,
        type: q.type,
        status: 'new',
        oldLength: null,
        newLength: q.length,
        lengthDelta: null,
        oldPending: null,
        newPending,
        oldBytes: null,
        newBytes: q.bytes,
      });
      continue;
    }
    const oldPending = 'pending' in prev ? prev.pending : null;
    const grewLength = q.length > prev.length;
    const grewPending = newPending !== null && oldPending !== null && newPending > oldPending;
    if (!grewLength && !grewPending) continue;
    queues.push({
      db: q.db,
      key: q.key,
      keyB64: q.keyB64,
      type: q.type,
      status: 'grew',
      oldLength: prev.length,
      newLength: q.length,
      lengthDelta: q.length - prev.length,
      oldPending,
      newPending,
      oldBytes: prev.bytes,
      newBytes: q.bytes,
    });
  }
  const growthOf = (q: QueueDiff): number => Math.max(q.lengthDelta ?? q.newLength, (q.newPending ?? 0) - (q.oldPending ?? 0));
  queues.sort((a, b) => growthOf(b) - growthOf(a) || a.db - b.db || cmpStr(a.key, b.key));
  if (before.queueStats.count > before.queues.length) {
    notes.push(`The old report lists ${before.queues.length} of its ${before.queueStats.count} queues: a queue marked new may have been over the threshold already.`);
  }

  const oldBig = new Set(before.bigKeys.map((k) => keyIdentity(k, redacted)));
  const newBigKeys: NewBigKey[] = [];
  after.bigKeys.forEach((k, i) => {
    const id = keyIdentity(k, redacted);
    if (oldBig.has(id)) return;
    newBigKeys.push({ ...k, rank: i + 1, oldBytes: oldKeys.get(id)?.bytes ?? null });
  });

  const s0 = before.summary;
  const s1 = after.summary;
  const totals: DiffTotals = {
    ...delta(
      { keys: s0.keys, bytes: s0.bytes, noTtlKeys: s0.noTtlKeys, noTtlBytes: s0.noTtlBytes },
      { keys: s1.keys, bytes: s1.bytes, noTtlKeys: s1.noTtlKeys, noTtlBytes: s1.noTtlBytes },
    ),
    oldTtlKeys: s0.ttlKeys,
    newTtlKeys: s1.ttlKeys,
    ttlKeysDelta: s1.ttlKeys - s0.ttlKeys,
    oldQueues: before.queueStats.count,
    newQueues: after.queueStats.count,
  };

  return {
    schema: DIFF_SCHEMA,
    schemaVersion: DIFF_SCHEMA_VERSION,
    tool: { name: 'rdbscope', version: opts.toolVersion ?? after.tool.version ?? null },
    redacted,
    old: side(before, opts.oldSource),
    new: side(after, opts.newSource),
    modelWarning,
    totals,
    namespaces,
    databases,
    types,
    queues,
    newBigKeys,
    counts: {
      namespaces: aligned.length,
      namespacesChanged: namespaces.length,
      namespacesAppeared: appeared,
      namespacesVanished: vanished,
      namespacesUnchanged: aligned.length - namespaces.length,
      databasesUnchanged: dbNums.length - databases.length,
      typesUnchanged: typeNames.length - types.length,
    },
    namespaceTree: buildDiffTree(union.namespaceTree, rows),
    notes,
  };
}

/** What the growth budgets (`growth>20%`, `no-ttl-growth>10000`) need. */
export function diffFigures(d: DiffReport): DiffFigures {
  const t = d.totals;
  return {
    bytesBefore: t.oldBytes,
    bytesAfter: t.newBytes,
    noTtlKeysBefore: t.oldNoTtlKeys,
    noTtlKeysAfter: t.newNoTtlKeys,
    noTtlBytesBefore: t.oldNoTtlBytes,
    noTtlBytesAfter: t.newNoTtlBytes,
  };
}

/** True when nothing changed at all. */
export function diffIsEmpty(d: DiffReport): boolean {
  return d.namespaces.length === 0 && d.databases.length === 0 && d.types.length === 0 && d.queues.length === 0 && d.newBigKeys.length === 0 && !changed(d.totals);
}
