/**
 * The diff page: the totals, a treemap of the aligned namespaces coloured by growth, and the
 * change tables.
 */

import { formatBytes, formatCount, formatGrowth, formatSigned as signed } from '../../core/units.ts';
import type { DiffReport, DiffTreeNode } from '../../analyze/diff-schema.ts';
import { add, h } from './dom.ts';
import { iso, keyText, patText } from './text.ts';
import { treemap } from './treemap.ts';
import { card, ramp, section, table } from './widgets.ts';

type Fmt = (n: number) => string;

/** Growth shows red, shrinking green. */
function cls(n: number): string | null {
  return n > 0 ? 'up' : n < 0 ? 'down' : null;
}

function deltaCell(n: number, f: Fmt): HTMLSpanElement {
  return h('span', { class: cls(n), text: signed(n, f) });
}

/** A card with the change as its value and `old → new` as its note. */
function deltaCard(label: string, a: number, b: number, dl: number, f: Fmt, id: string, extra?: string): HTMLDivElement {
  const c = card(label, signed(dl, f), f(a) + ' → ' + f(b) + (extra ? ' · ' + extra : ''), id);
  const k = cls(dl);
  if (k) c.querySelector('.value')?.classList.add(k);
  return c;
}

export function diffPage(app: HTMLElement, d: DiffReport): void {
  const t = d.totals;
  document.title = 'rdbscope diff: ' + d.old.source + ' → ' + d.new.source;
  add(app, h('h1', null, 'rdbscope diff', d.redacted ? h('span', { class: 'badge', text: 'key names redacted' }) : null));
  const models = (x: DiffReport['old']): string => (x.memoryModels ?? []).join('; ');
  add(app, h('p', { class: 'sub', id: 'sides', text: d.old.source + ' (saved ' + iso(d.old.savedAtMaxMs) + '; ' + models(d.old) + ') → ' + d.new.source + ' (saved ' + iso(d.new.savedAtMaxMs) + '; ' + models(d.new) + ')' }));
  if (d.modelWarning) add(app, h('div', { class: 'banner', id: 'model-warning', text: d.modelWarning }));
  add(
    app,
    h(
      'div',
      { class: 'cards' },
      deltaCard('Keys', t.oldKeys, t.newKeys, t.keysDelta, formatCount, 'diff-keys'),
      deltaCard('Real bytes', t.oldBytes, t.newBytes, t.bytesDelta, formatBytes, 'diff-bytes', formatGrowth(t.growth)),
      deltaCard('Keys without TTL', t.oldNoTtlKeys, t.newNoTtlKeys, t.noTtlKeysDelta, formatCount, 'diff-nottl-keys'),
      deltaCard('Memory without TTL', t.oldNoTtlBytes, t.newNoTtlBytes, t.noTtlBytesDelta, formatBytes, 'diff-nottl-bytes'),
      deltaCard('Queues', t.oldQueues, t.newQueues, t.newQueues - t.oldQueues, formatCount, 'diff-queues'),
    ),
  );
  if (d.notes.length) add(app, section('Notes', 'notes', h('ul', { class: 'findings' }, d.notes.map((n) => h('li', { text: n })))));

  addTreemap(app, d);
  addChangeTables(app, d);
  add(app, h('footer', { text: 'rdbscope ' + (d.tool.version || '') + ' · ' + d.schema + ' v' + d.schemaVersion + ' · this page loads nothing from the network' }));
}

/** The aligned namespaces sized by the larger side, coloured by growth. */
function addTreemap(app: HTMLElement, d: DiffReport): void {
  const tm = treemap<DiffTreeNode>({
    root: d.namespaceTree,
    size: (n) => Math.max(n.oldBytes, n.newBytes) || Math.max(n.oldKeys, n.newKeys),
    own: (n) => {
      let co = 0;
      let cn = 0;
      for (const c of n.children) {
        co += c.oldBytes;
        cn += c.newBytes;
      }
      const b = Math.max(n.oldBytes - co, n.newBytes - cn);
      return n.ownOldKeys + n.ownNewKeys > 0 ? Math.max(b, 0) : 0;
    },
    sizeText: formatBytes,
    label: (n) => n.label,
    color: (n) => {
      const m = Math.max(n.oldBytes, n.newBytes);
      const g = m > 0 ? (n.newBytes - n.oldBytes) / m : n.newKeys !== n.oldKeys ? (n.newKeys > n.oldKeys ? 1 : -1) : 0;
      if (g === 0) return 'hsl(215,10%,52%)';
      const a = Math.min(1, Math.abs(g) * 3);
      return g > 0
        ? 'hsl(10,' + (25 + 50 * a).toFixed(0) + '%,' + (52 - 8 * a).toFixed(0) + '%)'
        : 'hsl(150,' + (25 + 45 * a).toFixed(0) + '%,' + (45 - 6 * a).toFixed(0) + '%)';
    },
    detail: (n) => [
      ['keys', formatCount(n.oldKeys) + ' → ' + formatCount(n.newKeys)],
      ['Δ keys', signed(n.newKeys - n.oldKeys, formatCount)],
      ['memory', formatBytes(n.oldBytes) + ' → ' + formatBytes(n.newBytes)],
      ['Δ memory', signed(n.newBytes - n.oldBytes, formatBytes)],
      ['growth', formatGrowth(n.oldBytes > 0 ? (n.newBytes - n.oldBytes) / n.oldBytes : null)],
      ['Δ keys without TTL', signed(n.newNoTtlKeys - n.oldNoTtlKeys, formatCount)],
    ],
  });
  add(
    app,
    section(
      'Memory by namespace, coloured by change',
      'namespaces',
      h(
        'div',
        { class: 'tm-bar' },
        tm.crumbs,
        h('div', { class: 'legend' }, h('span', { text: 'shrank' }), ramp('hsl(150,70%,39%)', 'hsl(215,10%,52%)'), ramp('hsl(215,10%,52%)', 'hsl(10,75%,44%)'), h('span', { text: 'grew' })),
      ),
      h('div', { class: 'tm-wrap' }, tm.svg, tm.detail),
      h('p', { class: 'tiny', text: 'Cells are sized by the larger of old and new memory. Click to drill down.' }),
    ),
  );
}

function addChangeTables(app: HTMLElement, d: DiffReport): void {
  const c = d.counts;
  add(
    app,
    section(
      'Namespaces that changed',
      'ns-changes',
      h('p', { class: 'tiny', text: c.namespacesChanged + ' changed of ' + c.namespaces + ' (' + c.namespacesAppeared + ' appeared, ' + c.namespacesVanished + ' vanished, ' + c.namespacesUnchanged + ' unchanged).' }),
      d.namespaces.length === 0
        ? null
        : table(
            [
              ['namespace', false, (n) => patText(n.pattern), 'key'],
              ['status', false, (n) => n.status],
              ['keys', true, (n) => formatCount(n.oldKeys) + ' → ' + formatCount(n.newKeys)],
              ['Δ keys', true, (n) => deltaCell(n.keysDelta, formatCount)],
              ['memory', true, (n) => formatBytes(n.oldBytes) + ' → ' + formatBytes(n.newBytes)],
              ['Δ memory', true, (n) => deltaCell(n.bytesDelta, formatBytes)],
              ['growth', true, (n) => formatGrowth(n.growth)],
              ['Δ no-TTL keys', true, (n) => deltaCell(n.noTtlKeysDelta, formatCount)],
            ],
            d.namespaces,
            30,
            'ns-changes-table',
          ),
    ),
  );
  const dt: HTMLElement[] = [];
  if (d.databases.length) {
    dt.push(
      section(
        'Databases',
        'db-changes',
        table(
          [
            ['db', true, (x) => String(x.db)],
            ['keys', true, (x) => formatCount(x.oldKeys) + ' → ' + formatCount(x.newKeys)],
            ['Δ memory', true, (x) => deltaCell(x.bytesDelta, formatBytes)],
            ['Δ no-TTL keys', true, (x) => deltaCell(x.noTtlKeysDelta, formatCount)],
          ],
          d.databases,
        ),
      ),
    );
  }
  if (d.types.length) {
    dt.push(
      section(
        'Types',
        'type-changes',
        table(
          [
            ['type', false, (x) => x.type],
            ['keys', true, (x) => formatCount(x.oldKeys) + ' → ' + formatCount(x.newKeys)],
            ['Δ memory', true, (x) => deltaCell(x.bytesDelta, formatBytes)],
            ['growth', true, (x) => formatGrowth(x.growth)],
          ],
          d.types,
        ),
      ),
    );
  }
  if (dt.length) {
    add(app, h('div', { class: 'grid2' }, dt));
    add(app, h('div', { style: 'height:16px' }));
  }
  add(
    app,
    section(
      'Queues that grew',
      'queue-changes',
      d.queues.length === 0
        ? h('p', { class: 'tiny', text: 'None.' })
        : table(
            [
              ['key', false, (q) => keyText(q) + (q.keyB64 !== null ? ' (binary)' : ''), 'key'],
              ['db', true, (q) => String(q.db)],
              ['type', false, (q) => q.type],
              ['status', false, (q) => q.status],
              ['length', true, (q) => (q.oldLength === null ? '?' : formatCount(q.oldLength)) + ' → ' + formatCount(q.newLength)],
              ['Δ length', true, (q) => (q.lengthDelta === null ? '—' : deltaCell(q.lengthDelta, formatCount))],
              ['pending', true, (q) => (q.newPending === null ? '—' : (q.oldPending === null ? '?' : formatCount(q.oldPending)) + ' → ' + formatCount(q.newPending))],
            ],
            d.queues,
            30,
            'queue-changes-table',
          ),
    ),
  );
  add(
    app,
    section(
      'New in the big-key list',
      'bigkey-changes',
      d.newBigKeys.length === 0
        ? h('p', { class: 'tiny', text: 'None.' })
        : table(
            [
              ['rank', true, (k) => String(k.rank)],
              ['key', false, (k) => keyText(k) + (k.keyB64 !== null ? ' (binary)' : ''), 'key'],
              ['db', true, (k) => String(k.db)],
              ['type', false, (k) => k.type],
              ['memory', true, (k) => formatBytes(k.bytes)],
              ['before', true, (k) => (k.oldBytes === null ? '—' : formatBytes(k.oldBytes))],
            ],
            d.newBigKeys,
            30,
          ),
    ),
  );
}
