/**
 * `report.md`: a summary meant to be pasted into a ticket (GitHub / GitLab flavoured
 * Markdown): headline numbers, findings, top namespaces, keys without TTL, TTL histogram,
 * queues, big keys, per-database and per-type tables, files.
 *
 * Key names and patterns are untrusted text. They are written as code spans, where `*`, `_`,
 * `[`, `<`, `&`, emoji shortcodes (`:x:`) and autolinks are inert; inside them `|` is written
 * `\|` (GFM tables split cells on it even inside code), backticks get a longer fence, and
 * newlines and other control characters become visible `\n`, `\r`, `\t`, `\xNN`, so a key can
 * never break a table row. Other free text goes through `escapeMarkdown`.
 */

import type { KeyEntry, NamespaceEntry, QueueEntry, Report, Severity } from '../analyze/schema.ts';
import { formatBytes, formatCount, formatPercent, isoTime } from '../core/units.ts';
import { foldingNotes, partLabel, shortRanking } from '../analyze/ranking.ts';
import { pendingPhrase } from '../analyze/pending-text.ts';

/** Longest key text shown; longer ones are cut with `…`. */
export const MD_KEY_MAX = 120;

function visibleControls(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return '\\x' + c.charCodeAt(0).toString(16).padStart(4, '0').replace(/^00/, '');
  });
}

/** `cluster=eu1, shard=3` (escaped). */
function labelText(labels: Record<string, string>): string {
  return escapeMarkdown(Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ') || '—');
}

/** Escapes free text for Markdown (inline, in or out of tables). */
export function escapeMarkdown(text: string): string {
  return visibleControls(text.replace(/\\/g, '\\\\')).replace(/[`*_[\]<>|~&#!]/g, '\\$&');
}

/** A key or pattern as an inline code span that is safe in a table cell. */
export function mdCode(text: string, max = MD_KEY_MAX): string {
  if (text.length === 0) return '*(empty)*';
  let t = text.length > max ? text.slice(0, max - 1) + '…' : text;
  t = visibleControls(t).replace(/\|/g, '\\|');
  let run = 0;
  let longest = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '`') longest = Math.max(longest, ++run);
    else run = 0;
  }
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') || t.startsWith(' ') || t.endsWith(' ') ? ' ' : '';
  return fence + pad + t + pad + fence;
}

function keyCell(e: KeyEntry): string {
  return mdCode(e.key) + (e.keyB64 !== null ? ' (binary)' : '');
}

export function table(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const a = align ?? header.map(() => 'l');
  const sep = a.map((x) => (x === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => '| ' + r.join(' | ') + ' |').join('\n') + '\n';
}

const iso = (ms: number | null): string => isoTime(ms, '—');

const SEV: Record<Severity, string> = { critical: '**CRITICAL**', warn: '**WARN**', info: 'info' };

export interface MarkdownOptions {
  /** Rows in the namespace / key tables. Default 20. */
  rows?: number;
}

function types(n: NamespaceEntry): string {
  return Object.entries(n.types)
    .map(([t, c]) => `${t} ${formatCount(c ?? 0)}`)
    .join(', ');
}

/** ` for Redis 7.0, jemalloc`: the server model and allocator profile the figures follow. */
function modelsOf(r: Report): string {
  const m = r.summary.memoryModels ?? [];
  return m.length === 0 ? '' : ` for ${escapeMarkdown(m.join('; '))}`;
}

export function reportToMarkdown(r: Report, opts: MarkdownOptions = {}): string {
  const rows = opts.rows ?? 20;
  const s = r.summary;
  const out: string[] = [];
  const title = r.files.length === 1 ? escapeMarkdown(r.files[0].name) : `${r.files.length} files`;
  out.push(`# rdbscope report: ${title}\n`);
  out.push(
    `**${formatCount(s.keys)} keys, ${formatBytes(s.bytes)} real bytes** (what deleting them frees)${modelsOf(r)}, ${formatPercent(s.noTtlShare)} of it in ${formatCount(s.noTtlKeys)} keys without TTL` +
      (r.redacted ? ' _(key names redacted)_' : '') +
      '.\n',
  );
  const head: string[][] = [
    ...(r.labels && Object.keys(r.labels).length ? [['Labels', labelText(r.labels)]] : []),
    ['Files', String(s.files)],
    ['Producer', escapeMarkdown(s.producers.join(', ') || 'unknown')],
    ['Saved at', s.savedAtMinMs === s.savedAtMaxMs ? iso(s.savedAtMinMs) : `${iso(s.savedAtMinMs)} … ${iso(s.savedAtMaxMs)}`],
    ['Keys', formatCount(s.keys)],
    ['Key memory (real bytes: what DEL frees)', formatBytes(s.bytes)],
    ['Σ MEMORY USAGE (what redis-cli shows)', s.memoryUsageBytes === undefined ? '—' : formatBytes(s.memoryUsageBytes)],
    ['Estimated instance memory', s.estimatedUsedMemory === null ? '—' : `${formatBytes(s.estimatedUsedMemory)} (real bytes + keyspace tables + empty server)`],
    ['Memory model (server, allocator)', escapeMarkdown(s.memoryModels?.join('; ') || '—')],
    ['used-mem at save time', s.usedMemAtSave === null ? '—' : formatBytes(s.usedMemAtSave)],
    ['Keys with TTL', `${formatCount(s.ttlKeys)} (${formatPercent(s.ttlKeyShare)})`],
    ['Memory without TTL', `${formatBytes(s.noTtlBytes)} (${formatPercent(s.noTtlShare)})`],
    ['Already expired at save', formatCount(s.expiredKeys)],
    ['Databases', String(s.databases)],
  ];
  out.push(table(['', ''], head, ['l', 'r']));

  out.push('## Findings\n');
  if (r.findings.length > 0) out.push('Most memory at stake first.\n');
  if (r.findings.length === 0) out.push('Nothing stands out.\n');
  // Findings are generated sentences; the key names in them are already safe code spans.
  else out.push(r.findings.map((f) => `- ${SEV[f.severity]} ${visibleControls(f.message)}`).join('\n') + '\n');

  const ranking = r.namespaceRanking ?? [];
  if (ranking.length > 0) {
    // Groups (a level and its leaf children) ranked by rolled-up bytes: a consumer split over
    // a few store views still ranks as one.
    const { rows: groups, share } = shortRanking(ranking);
    out.push(`## Where the memory is\n`);
    out.push(`${groups.length === 1 ? 'This namespace holds' : `These ${groups.length} namespaces hold`} ${formatPercent(share)} of the estimated memory.\n`);
    out.push(
      table(
        ['#', 'Namespace', 'Memory', 'Share', 'Keys', 'No TTL keys', 'Inside'],
        groups.map((g, i) => [
          String(i + 1),
          mdCode(g.pattern),
          formatBytes(g.bytes),
          formatPercent(g.share),
          formatCount(g.keys),
          formatCount(g.noTtlKeys),
          g.parts.length === 0 ? '—' : g.parts.slice(0, 6).map((p) => `${mdCode(partLabel(g, p.pattern))} ${formatBytes(p.bytes)}`).join(', ') + (g.parts.length > 6 ? `, ${formatCount(g.parts.length - 6)} more` : ''),
        ]),
        ['r', 'l', 'r', 'r', 'r', 'r', 'l'],
      ),
    );
    const notes = foldingNotes(r);
    if (notes.length > 0) out.push(notes.map((n) => `- ${escapeMarkdown(n)}`).join('\n') + '\n');
  }

  out.push(`## Top namespaces\n`);
  out.push(
    table(
      ['Namespace', 'Keys', 'Memory', 'Share', 'No TTL keys', 'No TTL memory', 'Avg', 'Types', 'Largest key'],
      r.namespaces.slice(0, rows).map((n) => [
        mdCode(n.pattern),
        formatCount(n.keys),
        formatBytes(n.bytes),
        formatPercent(n.share),
        formatCount(n.noTtlKeys),
        formatBytes(n.noTtlBytes),
        formatBytes(n.avgBytes),
        types(n),
        n.largest === null ? '—' : `${keyCell(n.largest)} ${formatBytes(n.largest.bytes)}`,
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'l'],
    ),
  );
  if (r.namespaces.length > rows) out.push(`_${formatCount(r.namespaces.length - rows)} more namespaces in namespaces.csv / report.json._\n`);

  out.push('## Keys without TTL\n');
  out.push(`${formatCount(r.noTtl.keys)} keys (${formatPercent(r.noTtl.keyShare)}) hold ${formatBytes(r.noTtl.bytes)} (${formatPercent(r.noTtl.byteShare)} of the memory) and never expire.\n`);
  if (r.noTtl.namespaces.length > 0) {
    out.push(
      table(
        ['Namespace', 'No TTL keys', 'No TTL memory', 'of its keys'],
        r.noTtl.namespaces.slice(0, Math.min(rows, 10)).map((n) => [mdCode(n.pattern), formatCount(n.noTtlKeys), formatBytes(n.noTtlBytes), formatPercent(n.keys > 0 ? n.noTtlKeys / n.keys : 0)]),
        ['l', 'r', 'r', 'r'],
      ),
    );
  }
  if (r.noTtl.biggest.length > 0) {
    out.push('Biggest keys without TTL:\n');
    out.push(keyTable(r.noTtl.biggest.slice(0, Math.min(rows, 10))));
  }

  out.push('## TTL left at save time\n');
  out.push(
    table(
      ['Time left', 'Keys', 'Memory'],
      r.ttl.histogram.map((b) => [escapeMarkdown(b.label), formatCount(b.keys), formatBytes(b.bytes)]),
      ['l', 'r', 'r'],
    ),
  );

  out.push('## Queues\n');
  const qs = r.queueStats;
  if (qs.count === 0) {
    out.push(`No queue (list, stream, job-schedule zset) holds more than ${formatCount(qs.threshold)} elements or pending entries` + (qs.longest !== null ? ` (longest: ${keyCell(qs.longest)}, ${formatCount(qs.longest.length)}).` : '.') + '\n');
  } else {
    out.push(`${formatCount(qs.count)} ${qs.count === 1 ? 'queue' : 'queues'} (lists, streams, job-schedule zsets) over ${formatCount(qs.threshold)} elements or pending entries (${formatBytes(qs.bytes)}).\n`);
    out.push(
      table(
        ['Key', 'DB', 'Type', 'Length', 'Pending', 'Memory', 'Consumer groups'],
        r.queues.slice(0, rows).map((e: QueueEntry) => [
          keyCell(e),
          String(e.db),
          e.type,
          formatCount(e.length),
          e.pending === null ? '—' : formatCount(e.pending),
          formatBytes(e.bytes),
          pendingPhrase(e, r.files[e.fileIndex]?.savedAtMs ?? null, mdCode) || '—',
        ]),
        ['l', 'r', 'l', 'r', 'r', 'r', 'l'],
      ),
    );
  }

  const bc = r.bigCollections;
  if (bc !== undefined && bc.count > 0) {
    out.push(`${formatCount(bc.count)} ${bc.count === 1 ? 'zset' : 'zsets'} over ${formatCount(bc.threshold)} members ${bc.count === 1 ? 'does' : 'do'} not look like job queues (big collections such as leaderboards, ${formatBytes(bc.bytes)}):\n`);
    out.push(keyTable(bc.keys.slice(0, Math.min(rows, 10))));
  }

  out.push('## Big keys\n');
  out.push(r.bigKeys.length === 0 ? 'No keys.\n' : keyTable(r.bigKeys.slice(0, rows)));
  if (r.bigElements.count > 0) {
    out.push(`${formatCount(r.bigElements.count)} ${r.bigElements.count === 1 ? 'key holds' : 'keys hold'} an element over ${formatBytes(r.bigElements.threshold)}:\n`);
    out.push(keyTable(r.bigElements.keys.slice(0, Math.min(rows, 10))));
  }

  out.push('## Types\n');
  out.push(
    table(
      ['Type', 'Keys', 'Memory', 'Share', 'Avg', 'Encodings', 'Biggest key'],
      r.types.map((t) => [
        t.type,
        formatCount(t.keys),
        formatBytes(t.bytes),
        formatPercent(t.share),
        formatBytes(t.avgBytes),
        t.encodings.map((e) => `${escapeMarkdown(e.encoding)} ${formatCount(e.keys)}`).join(', '),
        t.biggest === null ? '—' : `${keyCell(t.biggest)} ${formatBytes(t.biggest.bytes)}`,
      ]),
      ['l', 'r', 'r', 'r', 'r', 'l', 'l'],
    ),
  );

  out.push('## Databases\n');
  out.push(
    table(
      ['DB', 'Keys', 'Memory', 'Share', 'With TTL', 'Without TTL', 'Memory without TTL'],
      r.databases.map((d) => [String(d.db), formatCount(d.keys), formatBytes(d.bytes), formatPercent(d.share), formatCount(d.ttlKeys), formatCount(d.noTtlKeys), formatBytes(d.noTtlBytes)]),
      ['r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );

  out.push('## Files\n');
  // Shards merged from runs with different --label pairs: each file's own.
  const fileLabels = r.files.some((f) => f.labels && Object.keys(f.labels).length);
  out.push(
    table(
      ['File', ...(fileLabels ? ['Labels'] : []), 'Producer', 'RDB', 'Saved at', 'Keys', 'Memory', 'Estimated instance', 'used-mem', 'Checksum'],
      r.files.map((f) => [
        escapeMarkdown(f.name),
        ...(fileLabels ? [labelText(f.labels ?? {})] : []),
        escapeMarkdown(`${f.producer} ${f.producerVersion}`.trim()),
        String(f.rdbVersion),
        iso(f.savedAtMs),
        formatCount(f.keys),
        formatBytes(f.bytes),
        f.estimatedUsedMemory === null ? '—' : formatBytes(f.estimatedUsedMemory),
        f.usedMemAtSave === null ? '—' : formatBytes(f.usedMemAtSave),
        f.checksum,
      ]),
      [...(fileLabels ? ['l' as const] : []), 'l', 'l', 'r', 'l', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  const warnings = r.files.flatMap((f) => f.warnings.map((w) => (r.files.length > 1 ? `${escapeMarkdown(f.name)}: ` : '') + escapeMarkdown(visibleControls(w))));
  if (warnings.length) {
    // What the server loads but a saving server would not write: see FileInfo.warnings.
    out.push('## File warnings\n');
    out.push(warnings.map((w) => `- ${w}`).join('\n') + '\n');
  }
  out.push(
    `_Sizes are real bytes estimated from the snapshot${modelsOf(r)}: what deleting a key would free (value, key, dict and expires entries); with the keyspace tables and the empty server they add up to the instance estimate. The \`MEMORY USAGE\` column is what redis-cli shows for a key. Raw figures are in report.json (schema ${r.schema} v${r.schemaVersion})._\n`,
  );
  return out.join('\n');
}

function keyTable(keys: KeyEntry[]): string {
  return table(
    ['Key', 'DB', 'Type', 'Length', 'Largest element', 'Real bytes', 'MEMORY USAGE', 'TTL'],
    keys.map((k) => [
      keyCell(k),
      String(k.db),
      k.type,
      formatCount(k.length),
      k.largestElement < 0 ? 'n/a' : formatBytes(k.largestElement),
      formatBytes(k.bytes),
      formatBytes(k.memoryUsage),
      k.expireAtMs === null ? 'none' : iso(k.expireAtMs),
    ]),
    ['l', 'r', 'l', 'r', 'r', 'r', 'r', 'l'],
  );
}
