/**
 * The report page: headline figures, findings, the namespace treemap, TTL coverage and
 * histogram, the type mix, big keys, queues, namespaces without TTL, databases and files.
 */

import { formatBytes, formatCount, formatPercent } from '../../core/units.ts';
import type { KeyEntry, NamespaceEntry, NamespaceTreeNode, QueueEntry, RankedNamespace, Report } from '../../analyze/schema.ts';
import { foldingNotes, partLabel, shortRanking } from '../../analyze/ranking.ts';
import { pendingPhrase } from '../../analyze/pending-text.ts';
import type { PageReport } from './payload.ts';
import { add, h } from './dom.ts';
import { iso, keyText, patText, share, vis } from './text.ts';
import { treemap } from './treemap.ts';
import { bars, card, ramp, section, table, type Column } from './widgets.ts';

export function reportPage(app: HTMLElement, r: PageReport): void {
  const sm = r.summary;
  const byPattern = new Map<string, NamespaceEntry>();
  for (const n of r.namespaces) byPattern.set(n.pattern, n);
  const names = r.files.map((f) => f.name);
  const title = r.files.length === 1 ? names[0] : r.files.length + ' files';
  document.title = 'rdbscope report: ' + title;
  if (r.incomplete) add(app, h('div', { class: 'banner', id: 'incomplete', text: r.incomplete }));
  add(app, h('h1', null, 'rdbscope report', r.redacted ? h('span', { class: 'badge', text: 'key names redacted' }) : null));
  const saved = sm.savedAtMinMs === sm.savedAtMaxMs ? iso(sm.savedAtMaxMs) : iso(sm.savedAtMinMs) + ' … ' + iso(sm.savedAtMaxMs);
  const models = sm.memoryModels ?? [];
  add(app, h('p', { class: 'sub', id: 'files-line', text: names.join(', ') + ' · ' + (sm.producers.join(', ') || 'unknown producer') + ' · saved ' + saved }));
  // Every figure follows one server's accounting and one allocator's size classes: say which.
  add(app, h('p', { class: 'sub', id: 'model-line', text: 'memory model: ' + (models.join('; ') || 'none') }));

  add(
    app,
    h(
      'div',
      { class: 'cards' },
      card('Keys', formatCount(sm.keys), sm.databases + (sm.databases === 1 ? ' database' : ' databases'), 'total-keys'),
      card(
        'Real bytes (what DEL frees)',
        formatBytes(sm.bytes),
        sm.memoryUsageBytes === undefined ? formatCount(sm.bytes) + ' bytes' : 'MEMORY USAGE sum ' + formatBytes(sm.memoryUsageBytes),
        'total-bytes',
      ),
      card('Without TTL', formatPercent(sm.noTtlShare), formatCount(sm.noTtlKeys) + ' keys · ' + formatBytes(sm.noTtlBytes), 'nottl-share'),
      card('Queues', formatCount(r.queueStats.count), 'over ' + formatCount(r.queueStats.threshold) + ' elements', 'queue-count'),
      card(
        'Instance estimate',
        sm.estimatedUsedMemory === null ? '—' : formatBytes(sm.estimatedUsedMemory),
        sm.usedMemAtSave === null ? 'no used-mem in the file' : 'used-mem at save ' + formatBytes(sm.usedMemAtSave),
        'instance',
      ),
    ),
  );

  add(
    app,
    section(
      'Findings',
      'findings',
      r.findings.length === 0
        ? h('p', { class: 'tiny', text: 'Nothing stands out.' })
        : h('ul', { class: 'findings' }, r.findings.map((f) => h('li', null, h('span', { class: 'sev sev-' + f.severity, text: f.severity }), f.message))),
    ),
  );

  addRanking(app, r);
  addTreemap(app, r, byPattern);

  // TTL coverage and type mix.
  const stack = (a: number, b: number): HTMLDivElement => {
    const t = a + b;
    return h(
      'div',
      { class: 'stack' },
      h('div', { style: 'width:' + (t > 0 ? (100 * a) / t : 0).toFixed(3) + '%;background:var(--ttl)' }),
      h('div', { style: 'width:' + (t > 0 ? (100 * b) / t : 0).toFixed(3) + '%;background:var(--nottl)' }),
    );
  };
  const ttl = section(
    'TTL coverage',
    'ttl',
    h('div', { class: 'row-label' }, h('span', { text: 'memory' }), h('span', { id: 'ttl-bytes', text: formatBytes(sm.ttlBytes) + ' with TTL · ' + formatBytes(sm.noTtlBytes) + ' without' })),
    stack(sm.ttlBytes, sm.noTtlBytes),
    h(
      'div',
      { class: 'row-label' },
      h('span', { text: 'keys' }),
      h('span', { id: 'ttl-keys', text: formatCount(sm.ttlKeys) + ' with TTL (' + formatPercent(sm.ttlKeyShare) + ') · ' + formatCount(sm.noTtlKeys) + ' without' }),
    ),
    stack(sm.ttlKeys, sm.noTtlKeys),
    h('p', { class: 'tiny', text: 'Time left at save time (keys with a TTL):' }),
    bars(r.ttl.histogram.map((b) => ({ label: b.label, value: b.keys, note: formatCount(b.keys) + ' · ' + formatBytes(b.bytes), color: b.bucket === 'expired' ? 'var(--crit)' : 'var(--ttl)' }))),
  );
  const types = section(
    'Type mix',
    'types',
    bars(r.types.map((t) => ({ label: t.type, value: sm.bytes > 0 ? t.bytes : t.keys, note: formatCount(t.keys) + ' keys · ' + formatBytes(t.bytes) + ' · ' + formatPercent(t.share) }))),
    h('p', { class: 'tiny', text: 'Encodings: ' + r.types.map((t) => t.type + ' (' + t.encodings.map((e) => e.encoding + ' ' + formatCount(e.keys)).join(', ') + ')').join('; ') }),
  );
  add(app, h('div', { class: 'grid2' }, ttl, types));
  add(app, h('div', { style: 'height:16px' }));

  addKeyTables(app, r);

  add(
    app,
    h(
      'div',
      { class: 'grid2' },
      section(
        'Databases',
        'databases',
        table(
          [
            ['db', true, (d) => String(d.db)],
            ['keys', true, (d) => formatCount(d.keys)],
            ['memory', true, (d) => formatBytes(d.bytes)],
            ['share', true, (d) => formatPercent(d.share)],
            ['without TTL', true, (d) => formatCount(d.noTtlKeys)],
          ],
          r.databases,
        ),
      ),
      section(
        'Files',
        'files',
        table(
          [
            ['file', false, (f) => vis(f.name), 'key'],
            ['producer', false, (f) => (f.producer + ' ' + f.producerVersion).trim()],
            ['RDB', true, (f) => String(f.rdbVersion)],
            ['keys', true, (f) => formatCount(f.keys)],
            ['memory', true, (f) => formatBytes(f.bytes)],
            ['checksum', false, (f) => f.checksum],
          ],
          r.files,
        ),
      ),
    ),
  );
  // What the server loads but a saving server would not write (stale stream lengths, duplicates only deep sanitization finds, ...).
  const fileWarnings: string[] = [];
  for (const f of r.files) for (const w of f.warnings ?? []) fileWarnings.push((r.files.length > 1 ? f.name + ': ' : '') + w);
  if (fileWarnings.length) add(app, section('File warnings', 'file-warnings', h('ul', { class: 'findings' }, fileWarnings.map((w) => h('li', { text: vis(w) })))));
  add(app, h('footer', { text: 'rdbscope ' + (r.tool.version || '') + ' · ' + r.schema + ' v' + r.schemaVersion + ' · sizes are real bytes (what deleting a key frees; with the keyspace tables and the empty server they add up to the instance estimate), estimated from the snapshot; MEMORY USAGE is what redis-cli shows · this page loads nothing from the network' }));
}

/**
 * The few namespace groups that hold most of the memory (report.namespaceRanking): a consumer
 * split over a few literal children (`fpc:category:*` and its store views) is one row.
 */
function addRanking(app: HTMLElement, r: Report): void {
  const ranking = r.namespaceRanking ?? [];
  if (ranking.length === 0) return;
  const { rows, share: covered } = shortRanking(ranking);
  const notes = foldingNotes(r);
  const inside = (g: RankedNamespace): string =>
    g.parts.length === 0
      ? '—'
      : g.parts.slice(0, 6).map((p) => patText(partLabel(g, p.pattern)) + ' ' + formatBytes(p.bytes)).join(', ') + (g.parts.length > 6 ? ', ' + formatCount(g.parts.length - 6) + ' more' : '');
  add(
    app,
    section(
      'Where the memory is',
      'ranking',
      h('p', { class: 'tiny', text: (rows.length === 1 ? 'This namespace holds ' : 'These ' + rows.length + ' namespaces hold ') + formatPercent(covered) + ' of the estimated memory.' }),
      table<RankedNamespace>(
        [
          ['#', true, (_g, i) => String(i + 1)],
          ['namespace', false, (g) => patText(g.pattern), 'key'],
          ['memory', true, (g) => formatBytes(g.bytes)],
          ['share', true, (g) => formatPercent(g.share)],
          ['keys', true, (g) => formatCount(g.keys)],
          ['without TTL', true, (g) => formatCount(g.noTtlKeys)],
          ['inside', false, inside],
        ],
        rows,
        undefined,
        'ranking-table',
      ),
      notes.length ? h('ul', { class: 'tiny' }, notes.map((n) => h('li', { text: n }))) : null,
    ),
  );
}

/** The treemap of memory (or keys, with a selector) by namespace, coloured by TTL coverage. */
function addTreemap(app: HTMLElement, r: Report, byPattern: Map<string, NamespaceEntry>): void {
  const sm = r.summary;
  let mode: 'bytes' | 'keys' = sm.bytes > 0 ? 'bytes' : 'keys';
  const tm = treemap<NamespaceTreeNode>({
    root: r.namespaceTree,
    size: (n) => (mode === 'bytes' ? n.bytes : n.keys),
    own: (n) => {
      if (mode === 'keys') return n.ownKeys;
      const e = byPattern.get(n.pattern);
      return n.ownKeys > 0 && e ? e.bytes : 0;
    },
    sizeText: (v) => (mode === 'bytes' ? formatBytes(v) : formatCount(v) + ' keys'),
    label: (n) => n.label,
    color: (n, isOwn) => {
      // Hue from teal (all keys expire) to red (none do).
      const e = byPattern.get(n.pattern);
      const src = isOwn && e ? e : n;
      const nt = mode === 'bytes' ? share(src.noTtlBytes, src.bytes) : share(src.noTtlKeys, src.keys);
      return 'hsl(' + (172 - 160 * nt).toFixed(0) + ',58%,' + (40 + 6 * nt).toFixed(0) + '%)';
    },
    detail: (n) => {
      const rows: [string, string][] = [
        ['keys', formatCount(n.keys)],
        ['memory', formatBytes(n.bytes)],
        ['share of memory', formatPercent(share(n.bytes, sm.bytes))],
        ['keys without TTL', formatCount(n.noTtlKeys)],
        ['memory without TTL', formatBytes(n.noTtlBytes)],
      ];
      const e = byPattern.get(n.pattern);
      if (e) {
        rows.push(['own keys', formatCount(e.keys)]);
        rows.push(['types', Object.entries(e.types).map(([t, c]) => t + ' ' + formatCount(c ?? 0)).join(', ')]);
        rows.push(['databases', e.dbs.join(', ')]);
        if (e.largest) rows.push(['largest key', keyText(e.largest) + ' (' + formatBytes(e.largest.bytes) + ')']);
      }
      if (n.children.length) rows.push(['sub-namespaces', formatCount(n.children.length) + (n.collapsed ? ' (collapsed to *)' : '')]);
      return rows;
    },
  });
  const sel = h('select', { id: 'tm-mode', 'aria-label': 'size cells by' }, h('option', { value: 'bytes', text: 'memory' }), h('option', { value: 'keys', text: 'keys' }));
  sel.value = mode;
  sel.addEventListener('change', () => {
    mode = sel.value === 'keys' ? 'keys' : 'bytes';
    tm.rerender();
  });
  const info = r.namespaceInfo;
  const collapsed = info.collapsed.length ? ', ' + info.collapsed.length + ' levels collapsed to * (more than ' + formatCount(info.effectiveMaxChildren) + ' children)' : '';
  add(
    app,
    section(
      'Memory by namespace',
      'namespaces',
      h(
        'div',
        { class: 'tm-bar' },
        tm.crumbs,
        h('div', { class: 'legend' }, h('label', null, 'size: ', sel), h('span', { text: 'all with TTL' }), ramp('hsl(172,58%,40%)', 'hsl(12,58%,46%)'), h('span', { text: 'none with TTL' })),
      ),
      h('div', { class: 'tm-wrap' }, tm.svg, tm.detail),
      h('p', { class: 'tiny', text: 'Click a cell to drill into its sub-namespaces; the path above goes back up. ' + formatCount(info.nodes) + ' namespace nodes' + collapsed + '.' }),
    ),
  );
}

/** Big keys, queues and the namespaces without TTL. */
function addKeyTables(app: HTMLElement, r: Report): void {
  const binary = (k: KeyEntry): string => keyText(k) + (k.keyB64 !== null ? ' (binary)' : '');
  const keyCols: Column<KeyEntry>[] = [
    ['#', true, (_k, i) => String(i + 1)],
    ['key', false, binary, 'key'],
    ['db', true, (k) => String(k.db)],
    ['type', false, (k) => k.type],
    ['encoding', false, (k) => k.encoding],
    ['length', true, (k) => formatCount(k.length)],
    ['largest element', true, (k) => (k.largestElement < 0 ? 'n/a' : formatBytes(k.largestElement))],
    ['real bytes', true, (k) => formatBytes(k.bytes)],
    ['MEMORY USAGE', true, (k) => formatBytes(k.memoryUsage)],
    ['expires', false, (k) => (k.expireAtMs === null ? 'never' : iso(k.expireAtMs))],
  ];
  add(app, section('Big keys', 'bigkeys', r.bigKeys.length === 0 ? h('p', { class: 'tiny', text: 'No keys.' }) : table(keyCols, r.bigKeys, 20, 'bigkeys-table')));

  const qs = r.queueStats;
  const queueCols: Column<QueueEntry>[] = [
    ['key', false, binary, 'key'],
    ['db', true, (q) => String(q.db)],
    ['type', false, (q) => q.type],
    ['length', true, (q) => formatCount(q.length)],
    ['pending', true, (q) => (q.pending === null ? '—' : formatCount(q.pending))],
    ['groups', true, (q) => (q.groups === null ? '—' : formatCount(q.groups))],
    ['memory', true, (q) => formatBytes(q.bytes)],
    ['why', false, (q) => q.reasons.join(', ')],
    ['consumer groups', false, (q) => pendingPhrase(q, r.files[q.fileIndex]?.savedAtMs ?? null, (n) => vis(n))],
  ];
  const longest = qs.longest ? '; longest: ' + keyText(qs.longest) + ' with ' + formatCount(qs.longest.length) : '';
  add(
    app,
    section(
      'Queues',
      'queues',
      h('p', { class: 'tiny', text: formatCount(qs.count) + ' queues (lists, streams, job-schedule zsets) over ' + formatCount(qs.threshold) + ' elements or pending entries (' + formatBytes(qs.bytes) + ')' + longest + '.' }),
      r.queues.length === 0 ? null : table(queueCols, r.queues, 20, 'queues-table'),
    ),
  );
  // Long zsets that hold no jobs (leaderboards, indexes): big, but not a backlog.
  const bc = r.bigCollections;
  if (bc && bc.count > 0) {
    add(
      app,
      section(
        'Big collections',
        'collections',
        h('p', { class: 'tiny', text: formatCount(bc.count) + ' zsets over ' + formatCount(bc.threshold) + ' members that do not look like job queues (' + formatBytes(bc.bytes) + ').' }),
        table(keyCols, bc.keys, 20, 'collections-table'),
      ),
    );
  }

  const nt = r.noTtl;
  add(
    app,
    section(
      'Namespaces without TTL',
      'nottl',
      h('p', { class: 'tiny', text: formatCount(nt.keys) + ' keys (' + formatPercent(nt.keyShare) + ') hold ' + formatBytes(nt.bytes) + ' (' + formatPercent(nt.byteShare) + ') and never expire.' }),
      nt.namespaces.length === 0
        ? null
        : table<NamespaceEntry>(
            [
              ['namespace', false, (n) => patText(n.pattern), 'key'],
              ['keys without TTL', true, (n) => formatCount(n.noTtlKeys)],
              ['memory without TTL', true, (n) => formatBytes(n.noTtlBytes)],
              ['of its keys', true, (n) => formatPercent(share(n.noTtlKeys, n.keys))],
            ],
            nt.namespaces,
            10,
          ),
    ),
  );
}
