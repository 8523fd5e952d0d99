/**
 * The namespace treemap: a squarified layout (Bruls, Huizing, van Wijk) of one level of the
 * namespace tree in an SVG; a click drills into a cell's sub-namespaces, the breadcrumb goes
 * back up, hovering shows a cell's figures beside it.
 */

import { add, h, svgEl } from './dom.ts';
import { patText, vis } from './text.ts';

/** What the treemap needs of a tree node (report and diff trees both have it). */
export interface TreeNode<N> {
  label: string;
  pattern: string;
  children: N[];
}

export interface TreemapOptions<N extends TreeNode<N>> {
  root: N;
  /** Size of a node's cell (its subtree). */
  size: (n: N) => number;
  /** Size of the keys ending exactly at the node. */
  own: (n: N) => number;
  sizeText: (v: number) => string;
  label: (n: N) => string;
  /** Fill of a node's cell; `own` for the cell of its own keys. */
  color: (n: N, own: boolean) => string;
  /** The node's figures as [term, value] rows. */
  detail: (n: N) => [string, string][];
}

export interface Treemap {
  crumbs: HTMLElement;
  svg: SVGSVGElement;
  detail: HTMLDivElement;
  rerender: () => void;
}

interface Item<N> {
  v: number;
  node?: N;
  drill?: boolean;
  own?: boolean;
  /** The cell standing for this many smaller namespaces. */
  others?: number;
}

export interface Rect<T> {
  item: T;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Lays `items` (sorted biggest first) out in the rectangle, cell areas proportional to `v`. */
export function squarify<T extends { v: number }>(items: readonly T[], x: number, y: number, w: number, hh: number): Rect<T>[] {
  const out: Rect<T>[] = [];
  let total = 0;
  for (const it of items) total += it.v;
  if (total <= 0 || w <= 0 || hh <= 0) return out;
  const scale = (w * hh) / total;
  let i = 0;
  while (i < items.length) {
    // Grow the row while that improves its worst aspect ratio.
    const side = Math.min(w, hh);
    let j = i;
    let sum = 0;
    let best = Infinity;
    let mn = Infinity;
    let mx = 0;
    while (j < items.length) {
      const a = items[j].v * scale;
      const s2 = sum + a;
      const mn2 = Math.min(mn, a);
      const mx2 = Math.max(mx, a);
      const worst = Math.max((side * side * mx2) / (s2 * s2), (s2 * s2) / (side * side * mn2));
      if (j > i && worst > best) break;
      best = worst;
      sum = s2;
      mn = mn2;
      mx = mx2;
      j++;
    }
    if (w >= hh) {
      const cw = sum / hh;
      let cy = y;
      for (let k = i; k < j; k++) {
        const rh = (items[k].v * scale) / cw;
        out.push({ item: items[k], x, y: cy, w: cw, h: rh });
        cy += rh;
      }
      x += cw;
      w -= cw;
    } else {
      const rh = sum / w;
      let cx = x;
      for (let k = i; k < j; k++) {
        const rw = (items[k].v * scale) / rh;
        out.push({ item: items[k], x: cx, y, w: rw, h: rh });
        cx += rw;
      }
      y += rh;
      hh -= rh;
    }
    i = j;
  }
  return out;
}

/** More cells than this are unreadable: the smallest are merged into one "others" cell. */
const MAX_CELLS = 150;
const W = 960;
const H = 520;

export function treemap<N extends TreeNode<N>>(opts: TreemapOptions<N>): Treemap {
  let path: N[] = [opts.root];
  const crumbs = h('nav', { class: 'crumbs', id: 'crumbs', 'aria-label': 'namespace path' });
  const svg = svgEl('svg', { class: 'treemap', id: 'treemap', viewBox: '0 0 ' + W + ' ' + H, role: 'group' });
  const detail = h('div', { class: 'detail', id: 'ns-detail' });
  const current = (): N => path[path.length - 1];

  function showDetail(node: N | null, extra: string | null): void {
    detail.textContent = '';
    if (!node) {
      add(detail, h('div', { class: 'tiny', text: extra ?? '' }));
      return;
    }
    add(detail, h('div', { class: 'pat', text: patText(node.pattern) }));
    if (extra) add(detail, h('div', { class: 'tiny', text: extra }));
    add(detail, h('dl', null, opts.detail(node).map((p) => [h('dt', { text: p[0] }), h('dd', { text: p[1] })])));
  }
  const showCurrent = (): void => showDetail(current(), path.length > 1 ? 'current level' : null);
  function label(n: N): string {
    const l = opts.label(n);
    return l === '' ? '(empty)' : vis(l);
  }

  function renderCrumbs(): void {
    crumbs.textContent = '';
    path.forEach((n, i) => {
      if (i > 0) add(crumbs, h('span', { class: 'sep', text: '›' }));
      const b = h('button', { type: 'button', text: i === 0 ? 'all keys' : label(n), 'aria-current': i === path.length - 1 ? 'page' : null });
      if (i < path.length - 1) {
        b.addEventListener('click', () => {
          path = path.slice(0, i + 1);
          render();
        });
      }
      add(crumbs, b);
    });
  }

  /** The cells of the current level, biggest first, capped at MAX_CELLS. */
  function cellsOf(cur: N): Item<N>[] {
    let items: Item<N>[] = [];
    for (const c of cur.children) {
      const v = opts.size(c);
      if (v > 0) items.push({ v, node: c, drill: c.children.length > 0 });
    }
    const own = opts.own(cur);
    if (own > 0 && cur.children.length > 0) items.push({ v: own, node: cur, own: true });
    if (cur.children.length === 0 && opts.size(cur) > 0) items.push({ v: opts.size(cur), node: cur, own: true });
    items.sort((a, b) => b.v - a.v);
    if (items.length > MAX_CELLS) {
      const rest = items.slice(MAX_CELLS - 1);
      let sum = 0;
      for (const it of rest) sum += it.v;
      items = items.slice(0, MAX_CELLS - 1);
      items.push({ v: sum, others: rest.length });
    }
    return items;
  }

  function cell(r: Rect<Item<N>>): SVGGElement {
    const it = r.item;
    const node = it.node;
    const g = svgEl('g', { class: 'cell' + (it.drill ? ' drill' : ''), tabindex: 0, role: 'button' });
    const name = it.others || !node ? it.others + ' smaller namespaces' : it.own ? 'keys at ' + (node.pattern === '' ? '(root)' : vis(node.pattern)) : label(node);
    g.setAttribute('data-pattern', node ? node.pattern : '');
    g.setAttribute('aria-label', name);
    const rect = svgEl('rect', { x: (r.x + 1).toFixed(1), y: (r.y + 1).toFixed(1), width: Math.max(0, r.w - 2).toFixed(1), height: Math.max(0, r.h - 2).toFixed(1), rx: 2 });
    rect.style.fill = node ? opts.color(node, !!it.own) : '#8a94a3';
    const tip = svgEl('title', {});
    tip.textContent = name + ' — ' + opts.sizeText(it.v);
    g.appendChild(tip);
    g.appendChild(rect);
    // Labels only where they fit (about 7.2 px per character of the 12px monospace font).
    const chars = Math.floor((r.w - 8) / 7.2);
    if (r.w > 36 && r.h > 18 && chars >= 3) {
      const tl = svgEl('text', { x: (r.x + 5).toFixed(1), y: (r.y + 15).toFixed(1) });
      tl.textContent = name.length > chars ? name.slice(0, chars - 1) + '…' : name;
      g.appendChild(tl);
      if (r.h > 34) {
        const ts = svgEl('text', { class: 'size', x: (r.x + 5).toFixed(1), y: (r.y + 29).toFixed(1) });
        ts.textContent = opts.sizeText(it.v);
        g.appendChild(ts);
      }
    }
    const activate = (): void => {
      if (it.drill && node) {
        path.push(node);
        render();
      } else if (!node) showDetail(null, name + ': drill-down shows the ' + (MAX_CELLS - 1) + ' biggest.');
      else showDetail(node, it.own ? 'keys ending at this namespace' : null);
    };
    g.addEventListener('click', activate);
    g.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        activate();
      }
    });
    g.addEventListener('mouseenter', () => {
      if (node) showDetail(node, it.own ? 'keys ending at this namespace' : it.drill ? 'click to drill down' : null);
    });
    return g;
  }

  function render(): void {
    renderCrumbs();
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const items = cellsOf(current());
    if (items.length === 0) {
      const t = svgEl('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' });
      t.style.fill = 'currentColor';
      t.textContent = 'nothing to show';
      svg.appendChild(t);
    }
    for (const r of squarify(items, 0, 0, W, H)) svg.appendChild(cell(r));
    showCurrent();
  }

  svg.addEventListener('mouseleave', showCurrent);
  render();
  return { crumbs, svg, detail, rerender: render };
}
