/**
 * Line charts for the trend page, drawn as inline SVG: values over save time, a zero-based
 * value axis, optional horizontal lines (maxmemory, the alert line) and a dashed projection.
 * Each series group carries its values in `data-values` (JSON), so what is drawn can be
 * checked against the trend's JSON.
 */

import { h, svgEl } from './dom.ts';
import { iso } from './text.ts';

export interface ChartSeries {
  name: string;
  values: readonly (number | null)[];
  color: string;
}

export interface ChartOptions {
  times: readonly number[];
  series: readonly ChartSeries[];
  fmt: (n: number) => string;
  /** Horizontal lines: a value and its label. */
  lines?: readonly { value: number; label: string; color: string }[];
  /** A dashed line from (time, value) to (time, value). */
  projection?: { from: [number, number]; to: [number, number] } | null;
  width?: number;
  height?: number;
  id?: string;
}

const PAD = { l: 70, r: 12, t: 10, b: 24 };

export function lineChart(o: ChartOptions): SVGSVGElement {
  const W = o.width ?? 560;
  const H = o.height ?? 200;
  let t0 = o.times[0];
  let t1 = o.times[o.times.length - 1];
  let max = 0;
  for (const s of o.series) for (const v of s.values) if (v !== null && v > max) max = v;
  for (const l of o.lines ?? []) if (l.value > max) max = l.value;
  if (o.projection) {
    t1 = Math.max(t1, o.projection.to[0]);
    max = Math.max(max, o.projection.to[1]);
  }
  if (t1 <= t0) t1 = t0 + 1;
  if (max <= 0) max = 1;
  max *= 1.05;
  const x = (t: number): number => PAD.l + ((t - t0) / (t1 - t0)) * (W - PAD.l - PAD.r);
  const y = (v: number): number => H - PAD.b - (v / max) * (H - PAD.t - PAD.b);
  const svg = svgEl('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
  if (o.id) svg.setAttribute('id', o.id);
  for (let i = 0; i <= 4; i++) {
    const v = (max / 1.05) * (i / 4);
    svg.appendChild(svgEl('line', { class: 'grid', x1: PAD.l, x2: W - PAD.r, y1: y(v).toFixed(1), y2: y(v).toFixed(1) }));
    const label = svgEl('text', { class: 'axis', x: PAD.l - 6, y: (y(v) + 4).toFixed(1), 'text-anchor': 'end' });
    label.textContent = o.fmt(Math.round(v));
    svg.appendChild(label);
  }
  const xl = (t: number, anchor: string): void => {
    const e = svgEl('text', { class: 'axis', x: x(t).toFixed(1), y: H - 6, 'text-anchor': anchor });
    e.textContent = iso(t).slice(0, 10);
    svg.appendChild(e);
  };
  xl(t0, 'start');
  xl(t1, 'end');
  for (const l of o.lines ?? []) {
    svg.appendChild(svgEl('line', { class: 'limit', x1: PAD.l, x2: W - PAD.r, y1: y(l.value).toFixed(1), y2: y(l.value).toFixed(1), stroke: l.color }));
    const e = svgEl('text', { class: 'axis', x: W - PAD.r - 2, y: (y(l.value) - 4).toFixed(1), 'text-anchor': 'end' });
    e.textContent = l.label;
    svg.appendChild(e);
  }
  if (o.projection) {
    const [a, b] = [o.projection.from, o.projection.to];
    svg.appendChild(svgEl('line', { class: 'projection', x1: x(a[0]).toFixed(1), y1: y(a[1]).toFixed(1), x2: x(b[0]).toFixed(1), y2: y(b[1]).toFixed(1) }));
  }
  for (const s of o.series) {
    const g = svgEl('g', { class: 'series', 'data-series': s.name, 'data-values': JSON.stringify(s.values) });
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += (pen ? 'L' : 'M') + x(o.times[i]).toFixed(1) + ' ' + y(v).toFixed(1);
      pen = true;
    });
    if (d) g.appendChild(svgEl('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2 }));
    s.values.forEach((v, i) => {
      if (v === null) return;
      const c = svgEl('circle', { cx: x(o.times[i]).toFixed(1), cy: y(v).toFixed(1), r: 3, fill: s.color });
      const title = svgEl('title', {});
      title.textContent = s.name + ' ' + iso(o.times[i]) + ': ' + o.fmt(v);
      c.appendChild(title);
      g.appendChild(c);
    });
    svg.appendChild(g);
  }
  return svg;
}

/** The colour key of a chart's series. */
export function chartLegend(series: readonly ChartSeries[]): HTMLDivElement {
  return h(
    'div',
    { class: 'legend' },
    series.map((s) => [h('span', { class: 'swatch', style: 'background:' + s.color }), h('span', { text: s.name })]),
  );
}
