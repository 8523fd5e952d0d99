/** The page's building blocks: headline cards, sections, tables with "show all", bar charts. */

import { formatCount } from '../../core/units.ts';
import { add, h, type Child } from './dom.ts';

/** A headline figure; with an id, the value is `#id` and the note `#id-note`. */
export function card(label: string, value: string, note?: string | null, id?: string): HTMLDivElement {
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'label', text: label }),
    h('div', { class: 'value', id: id ?? null, text: value }),
    note ? h('div', { class: 'note', id: id ? id + '-note' : null, text: note }) : null,
  );
}

export function section(title: string, id: string | null, ...children: Child[]): HTMLElement {
  const sec = h('section', { id }, h('h2', { text: title }));
  add(sec, children);
  return sec;
}

/** A column: title, right-aligned (numeric), the cell of a row, an extra cell class. */
export type Column<T> = [title: string, numeric: boolean, cell: (row: T, index: number) => string | Node, cls?: string];

/** A table of the first `limit` rows (all when not given) with a "show all" button for the rest. */
export function table<T>(cols: Column<T>[], rows: readonly T[], limit?: number, id?: string): HTMLElement {
  const tbody = h('tbody');
  let shown = 0;
  const fill = (n: number): void => {
    for (; shown < Math.min(n, rows.length); shown++) {
      const r = rows[shown];
      tbody.appendChild(h('tr', null, cols.map((c) => h('td', { class: (c[1] ? 'n ' : '') + (c[3] ?? '') }, c[2](r, shown)))));
    }
  };
  fill(limit || rows.length);
  const t = h('table', { id: id ?? null }, h('thead', null, h('tr', null, cols.map((c) => h('th', { class: c[1] ? 'n' : null, text: c[0] })))), tbody);
  if (shown >= rows.length) return t;
  const more = h('button', { class: 'more', type: 'button', text: 'show all ' + formatCount(rows.length) });
  more.addEventListener('click', () => {
    fill(rows.length);
    more.remove();
  });
  return h('div', null, t, more);
}

export interface Bar {
  label: string;
  value: number;
  note: string;
  color?: string;
}

/** Horizontal bars scaled to the largest value. */
export function bars(items: readonly Bar[]): HTMLDivElement {
  let max = 0;
  for (const it of items) if (it.value > max) max = it.value;
  return h(
    'div',
    { class: 'bars' },
    items.map((it) => [
      h('span', { text: it.label }),
      h('div', { class: 'track' }, h('div', { class: 'fill', style: 'width:' + (max > 0 ? ((100 * it.value) / max).toFixed(2) : 0) + '%' + (it.color ? ';background:' + it.color : '') })),
      h('span', { class: 'num', text: it.note }),
    ]),
  );
}

/** A colour ramp for a legend. */
export function ramp(a: string, b: string): HTMLDivElement {
  const r = h('div', { class: 'ramp' });
  r.style.background = 'linear-gradient(90deg,' + a + ',' + b + ')';
  return r;
}
