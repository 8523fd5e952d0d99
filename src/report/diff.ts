/**
 * Writers for a diff computed by analyze/diff.ts (`diffReports`): JSON, text for a terminal,
 * Markdown. The JSON layout (`DiffReport`) is in analyze/diff-schema.ts.
 */

import { diffIsEmpty } from '../analyze/diff.ts';
import type { DiffReport, DiffSide } from '../analyze/diff-schema.ts';
import { escapeMarkdown, mdCode, table } from './markdown.ts';
import { formatBytes, formatCount, formatGrowth, formatSigned as signed, isoTime } from '../core/units.ts';

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
  return `${s.source} (saved ${when}; ${(s.memoryModels ?? []).join('; ')})`;
}

export function diffToText(d: DiffReport, opts: DiffTextOptions = {}): string {
  const rows = opts.rows ?? 30;
  const t = d.totals;
  const out: string[] = [];
  out.push(`rdbscope diff${d.redacted ? ' (key names redacted)' : ''}`);
  out.push(`  old: ${terminalSafe(sideLine(d.old), 200)}`);
  out.push(`  new: ${terminalSafe(sideLine(d.new), 200)}`);
  if (d.modelWarning) out.push(`WARNING: ${d.modelWarning}`);
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
  if (d.modelWarning) out.push(`> **Warning:** ${escapeMarkdown(d.modelWarning)}\n`);
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
