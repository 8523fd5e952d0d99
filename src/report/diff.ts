/**
 * `rdbscope diff`: what changed between two reports (two nightly snapshots, typically).
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

import type { KeyEntry, QueueEntry, Report } from '../analyze/schema.ts';
import type { DiffFigures } from '../analyze/budget.ts';
import { alignNamespaces, mergeReports, type NamespaceFigures } from '../analyze/aggregate.ts';
import { redactReport } from '../analyze/redact.ts';
import { escapeMarkdown, mdCode, table } from './markdown.ts';
import { cmpStr, formatBytes, formatCount, formatGrowth, formatSigned as signed, isoTime, round6 } from '../core/units.ts';

export * from '../analyze/diff-schema.ts';
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
} from '../analyze/diff-schema.ts';

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
    redacted: r.redacted,
  };
}

/** Namespace alignment needs only the namespace options to agree; the rest is set aside. */
function forAlignment(r: Report, like: Report): Report {
  return { ...r, options: { ...r.options, bigElement: like.options.bigElement, queueThreshold: like.options.queueThreshold } };
}

function buildDiffTree(merged: Report['namespaceTree'], rows: Map<string, { before: Figures; after: Figures }>): DiffTreeNode {
  const seen = new Set<string>();
  const walk = (n: Report['namespaceTree']): DiffTreeNode => {
    const children = n.children.map(walk);
    const row = rows.get(n.pattern);
    if (row !== undefined) seen.add(n.pattern);
    const o = row?.before ?? ZERO;
    const w = row?.after ?? ZERO;
    const node: DiffTreeNode = {
      label: n.label,
      pattern: n.pattern,
      oldKeys: o.keys,
      newKeys: w.keys,
      oldBytes: o.bytes,
      newBytes: w.bytes,
      oldNoTtlKeys: o.noTtlKeys,
      newNoTtlKeys: w.noTtlKeys,
      ownOldKeys: o.keys,
      ownNewKeys: w.keys,
      children,
    };
    for (const c of children) {
      node.oldKeys += c.oldKeys;
      node.newKeys += c.newKeys;
      node.oldBytes += c.oldBytes;
      node.newBytes += c.newBytes;
      node.oldNoTtlKeys += c.oldNoTtlKeys;
      node.newNoTtlKeys += c.newNoTtlKeys;
    }
    return node;
  };
  const root = walk(merged);
  // Rows the tree does not have (not expected: both come from the same union trie) hang off the root.
  for (const [pattern, row] of rows) {
    if (seen.has(pattern)) continue;
    const o = row.before;
    const w = row.after;
    root.children.push({
      label: pattern,
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
    });
    root.oldKeys += o.keys;
    root.newKeys += w.keys;
    root.oldBytes += o.bytes;
    root.newBytes += w.bytes;
    root.oldNoTtlKeys += o.noTtlKeys;
    root.newNoTtlKeys += w.noTtlKeys;
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
  if (before.namespaceInfo.capped || after.namespaceInfo.capped) {
    notes.push('The namespace node cap lowered max-children in at least one report: namespaces are compared at the coarser level.');
  }

  // Namespaces, on the union of both reports' tries (merged once: the tree view is drawn from it too).
  const beforeAligned = forAlignment(before, after);
  const union = mergeReports([beforeAligned, after]);
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

export function diffToJson(d: DiffReport): string {
  return JSON.stringify(d, null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------
// Text and Markdown

const iso = (ms: number | null): string => isoTime(ms, 'unknown time');

/** Untrusted text for a terminal: control characters (escape sequences included) made visible. */
export function terminalSafe(s: string, max = 100): string {
  const t = s.length > max ? s.slice(0, max - 1) + '…' : s;
  return t.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

function textTable(header: string[], rows: string[][], right: boolean[]): string[] {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const arrow = (a: string, b: string): string => `${a} → ${b}`;

const NAMESPACE_COLUMNS = ['Namespace', 'Status', 'Keys', 'Δ keys', 'Memory', 'Δ memory', 'Growth', 'Δ no-TTL keys', 'Δ no-TTL memory'];
const NAMESPACE_RIGHT = [false, false, true, true, true, true, true, true, true];
const DATABASE_RIGHT = [true, false, true, true, true, true, true];
const TYPE_RIGHT = [false, false, true, true, true, true, true];

/** The changed namespaces as table cells; `name` renders the pattern for the medium. */
function namespaceRows(d: DiffReport, rows: number, name: (pattern: string) => string): string[][] {
  return d.namespaces.slice(0, rows).map((n) => [
    name(n.pattern),
    n.status,
    arrow(formatCount(n.oldKeys), formatCount(n.newKeys)),
    signed(n.keysDelta, formatCount),
    arrow(formatBytes(n.oldBytes), formatBytes(n.newBytes)),
    signed(n.bytesDelta, formatBytes),
    formatGrowth(n.growth),
    signed(n.noTtlKeysDelta, formatCount),
    signed(n.noTtlBytesDelta, formatBytes),
  ]);
}

const DATABASE_COLUMNS = ['DB', 'Status', 'Keys', 'Δ keys', 'Memory', 'Δ memory', 'Δ no-TTL keys'];
const TYPE_COLUMNS = ['Type', 'Status', 'Keys', 'Δ keys', 'Memory', 'Δ memory', 'Growth'];

const databaseRows = (d: DiffReport): string[][] =>
  d.databases.map((x) => [String(x.db), x.status, arrow(formatCount(x.oldKeys), formatCount(x.newKeys)), signed(x.keysDelta, formatCount), arrow(formatBytes(x.oldBytes), formatBytes(x.newBytes)), signed(x.bytesDelta, formatBytes), signed(x.noTtlKeysDelta, formatCount)]);

const typeRows = (d: DiffReport): string[][] =>
  d.types.map((x) => [x.type, x.status, arrow(formatCount(x.oldKeys), formatCount(x.newKeys)), signed(x.keysDelta, formatCount), arrow(formatBytes(x.oldBytes), formatBytes(x.newBytes)), signed(x.bytesDelta, formatBytes), formatGrowth(x.growth)]);

export interface DiffTextOptions {
  /** Rows per table. Default 30. */
  rows?: number;
}

function sideLine(s: DiffSide): string {
  const when = s.savedAtMinMs === s.savedAtMaxMs ? iso(s.savedAtMaxMs) : `${iso(s.savedAtMinMs)} … ${iso(s.savedAtMaxMs)}`;
  return `${s.source} (saved ${when})`;
}

export function diffToText(d: DiffReport, opts: DiffTextOptions = {}): string {
  const rows = opts.rows ?? 30;
  const t = d.totals;
  const out: string[] = [];
  out.push(`rdbscope diff${d.redacted ? ' (key names redacted)' : ''}`);
  out.push(`  old: ${terminalSafe(sideLine(d.old), 200)}`);
  out.push(`  new: ${terminalSafe(sideLine(d.new), 200)}`);
  out.push('');
  out.push(`Keys:              ${arrow(formatCount(t.oldKeys), formatCount(t.newKeys))} (${signed(t.keysDelta, formatCount)})`);
  out.push(`Memory:            ${arrow(formatBytes(t.oldBytes), formatBytes(t.newBytes))} (${signed(t.bytesDelta, formatBytes)}, ${formatGrowth(t.growth)})`);
  out.push(`Keys without TTL:  ${arrow(formatCount(t.oldNoTtlKeys), formatCount(t.newNoTtlKeys))} (${signed(t.noTtlKeysDelta, formatCount)})`);
  out.push(`Memory without TTL: ${arrow(formatBytes(t.oldNoTtlBytes), formatBytes(t.newNoTtlBytes))} (${signed(t.noTtlBytesDelta, formatBytes)})`);
  out.push(`Queues:            ${arrow(formatCount(t.oldQueues), formatCount(t.newQueues))}`);
  if (diffIsEmpty(d)) {
    out.push('', 'No changes.');
  }
  const c = d.counts;
  /** A titled, indented table; `total` rows exist, the first `cells.length` are shown. */
  const section = (title: string, header: string[], cells: string[][], right: boolean[], total = cells.length): void => {
    if (total === 0) return;
    out.push('', title, ...textTable(header, cells, right).map((l) => '  ' + l));
    if (total > cells.length) out.push(`  … ${total - cells.length} more (--json for all)`);
  };
  section(
    `Namespaces: ${c.namespacesChanged} changed of ${c.namespaces} (${c.namespacesAppeared} appeared, ${c.namespacesVanished} vanished)`,
    NAMESPACE_COLUMNS,
    namespaceRows(d, rows, (p) => terminalSafe(p, 60)),
    NAMESPACE_RIGHT,
    d.namespaces.length,
  );
  section('Databases:', DATABASE_COLUMNS, databaseRows(d), DATABASE_RIGHT);
  section('Types:', TYPE_COLUMNS, typeRows(d), TYPE_RIGHT);
  section(
    'Queues that grew:',
    ['db', 'key', 'type', 'status', 'length', 'Δ length', 'pending'],
    d.queues.slice(0, rows).map((q) => [
      String(q.db),
      terminalSafe(q.key, 60),
      q.type,
      q.status,
      arrow(q.oldLength === null ? '?' : formatCount(q.oldLength), formatCount(q.newLength)),
      q.lengthDelta === null ? '' : signed(q.lengthDelta, formatCount),
      q.newPending === null ? '' : arrow(q.oldPending === null ? '?' : formatCount(q.oldPending), formatCount(q.newPending)),
    ]),
    [true, false, false, false, true, true, true],
    d.queues.length,
  );
  section(
    'New in the big-key list:',
    ['rank', 'db', 'key', 'type', 'memory', 'before'],
    d.newBigKeys.slice(0, rows).map((k) => [String(k.rank), String(k.db), terminalSafe(k.key, 60), k.type, formatBytes(k.bytes), k.oldBytes === null ? '—' : formatBytes(k.oldBytes)]),
    [true, true, false, false, true, true],
    d.newBigKeys.length,
  );
  for (const n of d.notes) out.push('', `Note: ${n}`);
  return out.join('\n') + '\n';
}

const mdTable = (header: string[], rows: string[][], right: boolean[]): string => table(header, rows, right.map((r) => (r ? 'r' : 'l')));

export function diffToMarkdown(d: DiffReport, opts: DiffTextOptions = {}): string {
  const rows = opts.rows ?? 30;
  const t = d.totals;
  const out: string[] = [];
  out.push(`# rdbscope diff\n`);
  out.push(`Old: ${escapeMarkdown(sideLine(d.old))}  \nNew: ${escapeMarkdown(sideLine(d.new))}${d.redacted ? '  \n_(key names redacted)_' : ''}\n`);
  out.push(
    mdTable(
      ['', 'Old', 'New', 'Change'],
      [
        ['Keys', formatCount(t.oldKeys), formatCount(t.newKeys), signed(t.keysDelta, formatCount)],
        ['Memory', formatBytes(t.oldBytes), formatBytes(t.newBytes), `${signed(t.bytesDelta, formatBytes)} (${formatGrowth(t.growth)})`],
        ['Keys without TTL', formatCount(t.oldNoTtlKeys), formatCount(t.newNoTtlKeys), signed(t.noTtlKeysDelta, formatCount)],
        ['Memory without TTL', formatBytes(t.oldNoTtlBytes), formatBytes(t.newNoTtlBytes), signed(t.noTtlBytesDelta, formatBytes)],
        ['Queues', formatCount(t.oldQueues), formatCount(t.newQueues), signed(t.newQueues - t.oldQueues, formatCount)],
      ],
      [false, true, true, true],
    ),
  );
  if (diffIsEmpty(d)) out.push('No changes.\n');
  const c = d.counts;
  /** A headed table (none when empty); `lead` is a line before it. */
  const section = (title: string, header: string[], cells: string[][], right: boolean[], lead = ''): void => {
    if (cells.length === 0) return;
    out.push(`## ${title}\n`);
    if (lead) out.push(lead);
    out.push(mdTable(header, cells, right));
  };
  section(
    'Namespaces',
    NAMESPACE_COLUMNS,
    namespaceRows(d, rows, (p) => mdCode(p)),
    NAMESPACE_RIGHT,
    `${c.namespacesChanged} changed of ${c.namespaces} (${c.namespacesAppeared} appeared, ${c.namespacesVanished} vanished).\n`,
  );
  if (d.namespaces.length > rows) out.push(`_${d.namespaces.length - rows} more in the JSON output._\n`);
  section('Databases', DATABASE_COLUMNS, databaseRows(d), DATABASE_RIGHT);
  section('Types', TYPE_COLUMNS, typeRows(d), TYPE_RIGHT);
  section(
    'Queues that grew',
    ['Key', 'DB', 'Type', 'Status', 'Length', 'Δ length', 'Pending'],
    d.queues.slice(0, rows).map((q) => [
      mdCode(q.key) + (q.keyB64 !== null ? ' (binary)' : ''),
      String(q.db),
      q.type,
      q.status,
      arrow(q.oldLength === null ? '?' : formatCount(q.oldLength), formatCount(q.newLength)),
      q.lengthDelta === null ? '—' : signed(q.lengthDelta, formatCount),
      q.newPending === null ? '—' : arrow(q.oldPending === null ? '?' : formatCount(q.oldPending), formatCount(q.newPending)),
    ]),
    [false, true, false, false, true, true, true],
  );
  section(
    'New in the big-key list',
    ['Rank', 'Key', 'DB', 'Type', 'Memory', 'Before'],
    d.newBigKeys.slice(0, rows).map((k) => [String(k.rank), mdCode(k.key) + (k.keyB64 !== null ? ' (binary)' : ''), String(k.db), k.type, formatBytes(k.bytes), k.oldBytes === null ? '—' : formatBytes(k.oldBytes)]),
    [true, false, true, false, true, true],
  );
  if (d.notes.length > 0) out.push(d.notes.map((n) => `> ${escapeMarkdown(n)}`).join('\n>\n') + '\n');
  return out.join('\n');
}
