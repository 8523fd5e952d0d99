/**
 * `report.html`: one self-contained page per report (or diff) that needs no network at all.
 *
 * - Styles and the script are inline; a Content-Security-Policy meta tag allows nothing
 *   external (`default-src 'none'`), so the page cannot load or send anything even if a key
 *   name tried to.
 * - The data is embedded once, as JSON in `<script type="application/json">` (never
 *   executed), with `<`, `>`, `&` and U+2028/U+2029 written as `\uXXXX`: no key name can
 *   close the script element or start markup.
 * - The script builds the page with createElement / textContent / setAttribute only; no data
 *   ever goes through innerHTML, so a key named `<script>…` is shown as text.
 *
 * What the report page shows: headline figures, findings, a squarified SVG treemap of memory
 * (or keys) by namespace from `namespaceTree` (click a cell to drill into its sub-namespaces,
 * the breadcrumb goes back up), TTL coverage and the TTL histogram, the type mix, big keys,
 * queues, namespaces without TTL, databases and files. The diff page shows the totals, a
 * treemap of the aligned namespaces coloured by growth, and the change tables.
 */

import type { Report } from './schema.ts';
import type { DiffReport } from './diff.ts';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON that is inert inside `<script type="application/json">`. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** The policy in the page's meta tag: nothing but the inline style and script. */
export const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE = String.raw`
:root{--bg:#f6f7f9;--fg:#1d2430;--muted:#5d6878;--card:#fff;--line:#dde2e9;--accent:#2f6fde;--ttl:#2a9d8f;--nottl:#e76f51;--warn:#d08a00;--crit:#c62828;--info:#5d6878;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
@media (prefers-color-scheme:dark){:root{--bg:#14171c;--fg:#e3e7ee;--muted:#98a2b3;--card:#1c2027;--line:#2d333d;--accent:#6fa0ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1240px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:0 0 10px}
.sub{color:var(--muted);margin:0 0 16px;word-break:break-all}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;background:var(--accent);color:#fff;font-size:12px;margin-left:8px;vertical-align:middle}
.banner{background:var(--crit);color:#fff;padding:8px 12px;border-radius:6px;margin-bottom:12px;font-weight:600}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin-bottom:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:22px;font-weight:650;margin-top:2px}
.card .note{color:var(--muted);font-size:12px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin-bottom:16px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.grid2>section{margin-bottom:0}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
.findings{list-style:none;margin:0;padding:0}
.findings li{padding:5px 0;border-bottom:1px solid var(--line)}
.findings li:last-child{border-bottom:0}
.sev{display:inline-block;min-width:64px;text-align:center;font-size:11px;font-weight:700;border-radius:4px;padding:1px 6px;margin-right:8px;color:#fff;text-transform:uppercase}
.sev-critical{background:var(--crit)}.sev-warn{background:var(--warn)}.sev-info{background:var(--info)}
.crumbs{display:flex;flex-wrap:wrap;align-items:center;gap:4px;margin-bottom:8px;font-family:var(--mono);font-size:13px}
.crumbs button{font:inherit;background:none;border:1px solid var(--line);border-radius:4px;padding:1px 7px;color:var(--accent);cursor:pointer}
.crumbs button[aria-current]{color:var(--fg);font-weight:650;cursor:default}
.crumbs .sep{color:var(--muted)}
.tm-bar{display:flex;justify-content:space-between;align-items:center;gap:12px;flex-wrap:wrap}
.tm-bar label{color:var(--muted);font-size:13px}
.tm-wrap{display:grid;grid-template-columns:1fr 260px;gap:14px}
@media (max-width:900px){.tm-wrap{grid-template-columns:1fr}}
svg.treemap{width:100%;height:auto;display:block;border-radius:4px;background:var(--bg)}
svg.treemap g.cell{cursor:default}
svg.treemap g.drill{cursor:pointer}
svg.treemap g.cell:hover rect,svg.treemap g.cell:focus rect{stroke:var(--fg);stroke-width:2}
svg.treemap g.cell:focus{outline:none}
svg.treemap text{fill:#fff;font-size:12px;pointer-events:none;font-family:var(--mono)}
svg.treemap text.size{font-size:11px;opacity:.85}
.detail{font-size:13px}
.detail .pat{font-family:var(--mono);word-break:break-all;font-weight:650;margin-bottom:6px}
.detail dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:0}
.detail dt{color:var(--muted)}.detail dd{margin:0;text-align:right;font-variant-numeric:tabular-nums;word-break:break-all}
.legend{display:flex;align-items:center;gap:6px;color:var(--muted);font-size:12px}
.legend .ramp{width:120px;height:10px;border-radius:3px}
.stack{display:flex;height:22px;border-radius:4px;overflow:hidden;margin:4px 0 2px;background:var(--line)}
.stack div{height:100%}
.row-label{display:flex;justify-content:space-between;font-size:13px;color:var(--muted)}
.bars{display:grid;grid-template-columns:max-content 1fr max-content;gap:4px 10px;align-items:center;font-size:13px}
.bars .track{background:var(--line);border-radius:3px;height:12px;overflow:hidden}
.bars .fill{height:100%;background:var(--accent)}
.bars .num{text-align:right;font-variant-numeric:tabular-nums;color:var(--muted)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.key{font-family:var(--mono);word-break:break-all}
.tiny{color:var(--muted);font-size:12px}
.more{margin-top:6px;font:inherit;font-size:12px;background:none;border:1px solid var(--line);border-radius:4px;color:var(--accent);padding:2px 8px;cursor:pointer}
.up{color:var(--nottl)}.down{color:var(--ttl)}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
`;

// The page script. Plain ES2020, no template literals (this file embeds it in one).
const SCRIPT = String.raw`
(function () {
'use strict';
var SVGNS = 'http://www.w3.org/2000/svg';
var payload = JSON.parse(document.getElementById('rdbscope-data').textContent);
var app = document.getElementById('app');

function h(tag, props) {
  var e = document.createElement(tag);
  if (props) for (var k in props) {
    var v = props[k];
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = String(v);
    else if (k === 'class') e.className = v;
    else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
  return e;
}
function add(e, c) {
  if (c === null || c === undefined || c === false) return;
  if (Array.isArray(c)) { c.forEach(function (x) { add(e, x); }); return; }
  e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
}
function s(tag, attrs) {
  var e = document.createElementNS(SVGNS, tag);
  for (var k in attrs) e.setAttribute(k, String(attrs[k]));
  return e;
}

function fmtCount(n) {
  var t = String(Math.abs(Math.round(n))), o = '';
  for (var i = 0; i < t.length; i++) { if (i > 0 && (t.length - i) % 3 === 0) o += ','; o += t[i]; }
  return (n < 0 ? '-' : '') + o;
}
function fmtBytes(n) {
  var neg = n < 0, v = Math.abs(n);
  if (v < 1024) return (neg ? '-' : '') + v + ' B';
  var names = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'], i = -1;
  while (v >= 1024 && i < names.length - 1) { v /= 1024; i++; }
  var t = v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return (neg ? '-' : '') + t + ' ' + names[i];
}
function fmtPercent(f) {
  var p = f * 100;
  if (p === 0) return '0%';
  if (p > 0 && p < 0.1) return '<0.1%';
  if (p >= 10 || Number.isInteger(p)) return Math.round(p) + '%';
  return p.toFixed(1) + '%';
}
function fmtGrowth(g) {
  if (g === null || g === undefined) return 'new';
  var p = g * 100;
  if (p === 0) return '0%';
  var a = Math.abs(p);
  return (p > 0 ? '+' : '-') + (a >= 10 ? a.toFixed(0) : a >= 0.1 ? a.toFixed(1) : '<0.1') + '%';
}
function signed(n, f) { return n > 0 ? '+' + f(n) : n < 0 ? '-' + f(-n) : '0'; }
function share(a, b) { return b > 0 ? a / b : 0; }
function iso(ms) {
  if (ms === null || ms === undefined || !isFinite(ms) || Math.abs(ms) > 8.64e15) return '—';
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
/** Control characters made visible (a key may hold newlines, escapes, NULs). */
function vis(t) {
  return t.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, function (c) {
    var n = c.charCodeAt(0);
    return c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : n > 255 ? '\\u' + n.toString(16) : '\\x' + ('0' + n.toString(16)).slice(-2);
  });
}
function keyText(e) { return e.key === '' ? '(empty key)' : vis(e.key); }
function patText(p) { return p === '' ? '(all keys)' : vis(p); }

function card(label, value, note, id) {
  return h('div', { class: 'card' }, h('div', { class: 'label', text: label }), h('div', { class: 'value', id: id || null, text: value }), note ? h('div', { class: 'note', id: id ? id + '-note' : null, text: note }) : null);
}
function section(title, id) {
  var sec = h('section', { id: id || null }, h('h2', { text: title }));
  for (var i = 2; i < arguments.length; i++) add(sec, arguments[i]);
  return sec;
}
/** cols: [title, numeric?, cellFn(row) -> text | Node, class?] */
function table(cols, rows, limit, id) {
  var tbody = h('tbody');
  var shown = 0;
  function fill(n) {
    for (; shown < Math.min(n, rows.length); shown++) {
      var r = rows[shown];
      tbody.appendChild(h('tr', null, cols.map(function (c) {
        return h('td', { class: (c[1] ? 'n ' : '') + (c[3] || '') }, c[2](r, shown));
      })));
    }
  }
  fill(limit || rows.length);
  var t = h('table', { id: id || null }, h('thead', null, h('tr', null, cols.map(function (c) { return h('th', { class: c[1] ? 'n' : null, text: c[0] }); }))), tbody);
  if (shown >= rows.length) return t;
  var more = h('button', { class: 'more', type: 'button', text: 'show all ' + fmtCount(rows.length) });
  more.addEventListener('click', function () { fill(rows.length); more.remove(); });
  return h('div', null, t, more);
}
function bars(items) {
  var max = 0;
  items.forEach(function (it) { if (it.value > max) max = it.value; });
  return h('div', { class: 'bars' }, items.map(function (it) {
    return [h('span', { text: it.label }), h('div', { class: 'track' }, h('div', { class: 'fill', style: 'width:' + (max > 0 ? (100 * it.value / max).toFixed(2) : 0) + '%' + (it.color ? ';background:' + it.color : '') })), h('span', { class: 'num', text: it.note })];
  }));
}

// ------------------------------------------------------------------------------------------
// Squarified treemap (Bruls, Huizing, van Wijk)

function squarify(items, x, y, w, hh) {
  var out = [], total = 0, i, k;
  for (i = 0; i < items.length; i++) total += items[i].v;
  if (total <= 0 || w <= 0 || hh <= 0) return out;
  var scale = (w * hh) / total;
  i = 0;
  while (i < items.length) {
    var side = Math.min(w, hh), j = i, sum = 0, best = Infinity, mn = Infinity, mx = 0;
    while (j < items.length) {
      var a = items[j].v * scale, s2 = sum + a, mn2 = Math.min(mn, a), mx2 = Math.max(mx, a);
      var worst = Math.max((side * side * mx2) / (s2 * s2), (s2 * s2) / (side * side * mn2));
      if (j > i && worst > best) break;
      best = worst; sum = s2; mn = mn2; mx = mx2; j++;
    }
    if (w >= hh) {
      var cw = sum / hh, cy = y;
      for (k = i; k < j; k++) { var rh = items[k].v * scale / cw; out.push({ item: items[k], x: x, y: cy, w: cw, h: rh }); cy += rh; }
      x += cw; w -= cw;
    } else {
      var rh2 = sum / w, cx = x;
      for (k = i; k < j; k++) { var rw = items[k].v * scale / rh2; out.push({ item: items[k], x: cx, y: y, w: rw, h: rh2 }); cx += rw; }
      y += rh2; hh -= rh2;
    }
    i = j;
  }
  return out;
}

var MAX_CELLS = 150;

/**
 * opts: root, size(node), own(node) (size of the keys ending at the node), label(node),
 * color(node | null for "others"), detail(node) -> [[term, value]], title
 */
function treemap(opts) {
  var W = 960, H = 520;
  var path = [opts.root];
  var crumbs = h('nav', { class: 'crumbs', id: 'crumbs', 'aria-label': 'namespace path' });
  var svg = s('svg', { class: 'treemap', id: 'treemap', viewBox: '0 0 ' + W + ' ' + H, role: 'group' });
  var detail = h('div', { class: 'detail', id: 'ns-detail' });
  function showDetail(node, extra) {
    detail.textContent = '';
    if (!node) { add(detail, h('div', { class: 'tiny', text: extra || '' })); return; }
    add(detail, h('div', { class: 'pat', text: patText(node.pattern) }));
    if (extra) add(detail, h('div', { class: 'tiny', text: extra }));
    add(detail, h('dl', null, opts.detail(node).map(function (p) { return [h('dt', { text: p[0] }), h('dd', { text: p[1] })]; })));
  }
  function label(n) { var l = opts.label(n); return l === '' ? '(empty)' : vis(l); }
  function render() {
    var cur = path[path.length - 1];
    crumbs.textContent = '';
    path.forEach(function (n, i) {
      if (i > 0) add(crumbs, h('span', { class: 'sep', text: '›' }));
      var b = h('button', { type: 'button', text: i === 0 ? 'all keys' : label(n), 'aria-current': i === path.length - 1 ? 'page' : null });
      if (i < path.length - 1) b.addEventListener('click', function () { path = path.slice(0, i + 1); render(); });
      add(crumbs, b);
    });
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var items = [];
    cur.children.forEach(function (c) { var v = opts.size(c); if (v > 0) items.push({ v: v, node: c, drill: c.children.length > 0 }); });
    var own = opts.own(cur);
    if (own > 0 && cur.children.length > 0) items.push({ v: own, node: cur, own: true });
    if (cur.children.length === 0 && opts.size(cur) > 0) items.push({ v: opts.size(cur), node: cur, own: true });
    items.sort(function (a, b) { return b.v - a.v; });
    if (items.length > MAX_CELLS) {
      var rest = items.slice(MAX_CELLS - 1), sum = 0;
      rest.forEach(function (it) { sum += it.v; });
      items = items.slice(0, MAX_CELLS - 1);
      items.push({ v: sum, others: rest.length });
    }
    if (items.length === 0) {
      var t = s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' });
      t.style.fill = 'currentColor';
      t.textContent = 'nothing to show';
      svg.appendChild(t);
    }
    squarify(items, 0, 0, W, H).forEach(function (r) {
      var it = r.item;
      var g = s('g', { class: 'cell' + (it.drill ? ' drill' : ''), tabindex: 0, role: 'button' });
      var name = it.others ? it.others + ' smaller namespaces' : it.own ? 'keys at ' + (it.node.pattern === '' ? '(root)' : vis(it.node.pattern)) : label(it.node);
      g.setAttribute('data-pattern', it.others ? '' : it.node.pattern);
      g.setAttribute('aria-label', name);
      var rect = s('rect', { x: (r.x + 1).toFixed(1), y: (r.y + 1).toFixed(1), width: Math.max(0, r.w - 2).toFixed(1), height: Math.max(0, r.h - 2).toFixed(1), rx: 2 });
      rect.style.fill = it.others ? '#8a94a3' : opts.color(it.node, !!it.own);
      var tip = s('title', {});
      tip.textContent = name + ' — ' + opts.sizeText(it.v);
      g.appendChild(tip);
      g.appendChild(rect);
      var chars = Math.floor((r.w - 8) / 7.2);
      if (r.w > 36 && r.h > 18 && chars >= 3) {
        var txt = name.length > chars ? name.slice(0, chars - 1) + '…' : name;
        var tl = s('text', { x: (r.x + 5).toFixed(1), y: (r.y + 15).toFixed(1) });
        tl.textContent = txt;
        g.appendChild(tl);
        if (r.h > 34) {
          var ts = s('text', { class: 'size', x: (r.x + 5).toFixed(1), y: (r.y + 29).toFixed(1) });
          ts.textContent = opts.sizeText(it.v);
          g.appendChild(ts);
        }
      }
      function activate() {
        if (it.drill) { path.push(it.node); render(); }
        else if (it.others) showDetail(null, name + ': drill-down shows the ' + (MAX_CELLS - 1) + ' biggest.');
        else showDetail(it.node, it.own ? 'keys ending at this namespace' : null);
      }
      g.addEventListener('click', activate);
      g.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); activate(); } });
      g.addEventListener('mouseenter', function () { if (!it.others) showDetail(it.node, it.own ? 'keys ending at this namespace' : it.drill ? 'click to drill down' : null); });
      svg.appendChild(g);
    });
    showDetail(cur, path.length > 1 ? 'current level' : null);
  }
  svg.addEventListener('mouseleave', function () { var cur = path[path.length - 1]; showDetail(cur, path.length > 1 ? 'current level' : null); });
  render();
  return { crumbs: crumbs, svg: svg, detail: detail, rerender: render };
}

function ramp(a, b) {
  var r = h('div', { class: 'ramp' });
  r.style.background = 'linear-gradient(90deg,' + a + ',' + b + ')';
  return r;
}

// ------------------------------------------------------------------------------------------
// Report page

function reportPage(r) {
  var sm = r.summary;
  var byPattern = {};
  r.namespaces.forEach(function (n) { byPattern[n.pattern] = n; });
  var names = r.files.map(function (f) { return f.name; });
  var title = r.files.length === 1 ? names[0] : r.files.length + ' files';
  document.title = 'rdbscope report: ' + title;
  if (r.incomplete) add(app, h('div', { class: 'banner', id: 'incomplete', text: r.incomplete }));
  add(app, h('h1', null, 'rdbscope report', r.redacted ? h('span', { class: 'badge', text: 'key names redacted' }) : null));
  add(app, h('p', { class: 'sub', id: 'files-line', text: names.join(', ') + ' · ' + (sm.producers.join(', ') || 'unknown producer') + ' · saved ' + (sm.savedAtMinMs === sm.savedAtMaxMs ? iso(sm.savedAtMaxMs) : iso(sm.savedAtMinMs) + ' … ' + iso(sm.savedAtMaxMs)) }));

  add(app, h('div', { class: 'cards' },
    card('Keys', fmtCount(sm.keys), sm.databases + (sm.databases === 1 ? ' database' : ' databases'), 'total-keys'),
    card('Estimated memory', fmtBytes(sm.bytes), fmtCount(sm.bytes) + ' bytes', 'total-bytes'),
    card('Without TTL', fmtPercent(sm.noTtlShare), fmtCount(sm.noTtlKeys) + ' keys · ' + fmtBytes(sm.noTtlBytes), 'nottl-share'),
    card('Queues', fmtCount(r.queueStats.count), 'over ' + fmtCount(r.queueStats.threshold) + ' elements', 'queue-count'),
    card('Instance estimate', sm.estimatedUsedMemory === null ? '—' : fmtBytes(sm.estimatedUsedMemory), sm.usedMemAtSave === null ? 'no used-mem in the file' : 'used-mem at save ' + fmtBytes(sm.usedMemAtSave), 'instance')
  ));

  add(app, section('Findings', 'findings', r.findings.length === 0 ? h('p', { class: 'tiny', text: 'Nothing stands out.' }) :
    h('ul', { class: 'findings' }, r.findings.map(function (f) {
      return h('li', null, h('span', { class: 'sev sev-' + f.severity, text: f.severity }), f.message);
    }))));

  // Treemap.
  var mode = sm.bytes > 0 ? 'bytes' : 'keys';
  function own(n) {
    if (mode === 'keys') return n.ownKeys;
    var e = byPattern[n.pattern];
    return n.ownKeys > 0 && e ? e.bytes : 0;
  }
  var tm = treemap({
    root: r.namespaceTree,
    size: function (n) { return mode === 'bytes' ? n.bytes : n.keys; },
    own: own,
    sizeText: function (v) { return mode === 'bytes' ? fmtBytes(v) : fmtCount(v) + ' keys'; },
    label: function (n) { return n.label; },
    color: function (n, isOwn) {
      var e = byPattern[n.pattern];
      var nt = isOwn && e ? (mode === 'bytes' ? share(e.noTtlBytes, e.bytes) : share(e.noTtlKeys, e.keys)) : (mode === 'bytes' ? share(n.noTtlBytes, n.bytes) : share(n.noTtlKeys, n.keys));
      return 'hsl(' + (172 - 160 * nt).toFixed(0) + ',58%,' + (40 + 6 * nt).toFixed(0) + '%)';
    },
    detail: function (n) {
      var rows = [['keys', fmtCount(n.keys)], ['memory', fmtBytes(n.bytes)], ['share of memory', fmtPercent(share(n.bytes, sm.bytes))], ['keys without TTL', fmtCount(n.noTtlKeys)], ['memory without TTL', fmtBytes(n.noTtlBytes)]];
      var e = byPattern[n.pattern];
      if (e) {
        rows.push(['own keys', fmtCount(e.keys)]);
        rows.push(['types', Object.keys(e.types).map(function (t) { return t + ' ' + fmtCount(e.types[t]); }).join(', ')]);
        rows.push(['databases', e.dbs.join(', ')]);
        if (e.largest) rows.push(['largest key', keyText(e.largest) + ' (' + fmtBytes(e.largest.bytes) + ')']);
      }
      if (n.children.length) rows.push(['sub-namespaces', fmtCount(n.children.length) + (n.collapsed ? ' (collapsed to *)' : '')]);
      return rows;
    }
  });
  var sel = h('select', { id: 'tm-mode', 'aria-label': 'size cells by' }, h('option', { value: 'bytes', text: 'memory' }), h('option', { value: 'keys', text: 'keys' }));
  sel.value = mode;
  sel.addEventListener('change', function () { mode = sel.value; tm.rerender(); });
  add(app, section('Memory by namespace', 'namespaces',
    h('div', { class: 'tm-bar' }, tm.crumbs, h('div', { class: 'legend' }, h('label', null, 'size: ', sel), h('span', { text: 'all with TTL' }), ramp('hsl(172,58%,40%)', 'hsl(12,58%,46%)'), h('span', { text: 'none with TTL' }))),
    h('div', { class: 'tm-wrap' }, tm.svg, tm.detail),
    h('p', { class: 'tiny', text: 'Click a cell to drill into its sub-namespaces; the path above goes back up. ' + fmtCount(r.namespaceInfo.nodes) + ' namespace nodes' + (r.namespaceInfo.collapsed.length ? ', ' + r.namespaceInfo.collapsed.length + ' levels collapsed to * (more than ' + fmtCount(r.namespaceInfo.effectiveMaxChildren) + ' children)' : '') + '.' })
  ));

  // TTL coverage and type mix.
  function stack(a, b) {
    var t = a + b;
    return h('div', { class: 'stack' },
      h('div', { style: 'width:' + (t > 0 ? 100 * a / t : 0).toFixed(3) + '%;background:var(--ttl)' }),
      h('div', { style: 'width:' + (t > 0 ? 100 * b / t : 0).toFixed(3) + '%;background:var(--nottl)' }));
  }
  var ttl = section('TTL coverage', 'ttl',
    h('div', { class: 'row-label' }, h('span', { text: 'memory' }), h('span', { id: 'ttl-bytes', text: fmtBytes(sm.ttlBytes) + ' with TTL · ' + fmtBytes(sm.noTtlBytes) + ' without' })),
    stack(sm.ttlBytes, sm.noTtlBytes),
    h('div', { class: 'row-label' }, h('span', { text: 'keys' }), h('span', { id: 'ttl-keys', text: fmtCount(sm.ttlKeys) + ' with TTL (' + fmtPercent(sm.ttlKeyShare) + ') · ' + fmtCount(sm.noTtlKeys) + ' without' })),
    stack(sm.ttlKeys, sm.noTtlKeys),
    h('p', { class: 'tiny', text: 'Time left at save time (keys with a TTL):' }),
    bars(r.ttl.histogram.map(function (b) { return { label: b.label, value: b.keys, note: fmtCount(b.keys) + ' · ' + fmtBytes(b.bytes), color: b.bucket === 'expired' ? 'var(--crit)' : 'var(--ttl)' }; })));
  var types = section('Type mix', 'types',
    bars(r.types.map(function (t) { return { label: t.type, value: sm.bytes > 0 ? t.bytes : t.keys, note: fmtCount(t.keys) + ' keys · ' + fmtBytes(t.bytes) + ' · ' + fmtPercent(t.share) }; })),
    h('p', { class: 'tiny', text: 'Encodings: ' + r.types.map(function (t) { return t.type + ' (' + t.encodings.map(function (e) { return e.encoding + ' ' + fmtCount(e.keys); }).join(', ') + ')'; }).join('; ') }));
  add(app, h('div', { class: 'grid2' }, ttl, types));
  add(app, h('div', { style: 'height:16px' }));

  var keyCols = [
    ['#', true, function (k, i) { return String(i + 1); }],
    ['key', false, function (k) { return keyText(k) + (k.keyB64 !== null ? ' (binary)' : ''); }, 'key'],
    ['db', true, function (k) { return String(k.db); }],
    ['type', false, function (k) { return k.type; }],
    ['encoding', false, function (k) { return k.encoding; }],
    ['length', true, function (k) { return fmtCount(k.length); }],
    ['largest element', true, function (k) { return k.largestElement < 0 ? 'n/a' : fmtBytes(k.largestElement); }],
    ['memory', true, function (k) { return fmtBytes(k.bytes); }],
    ['expires', false, function (k) { return k.expireAtMs === null ? 'never' : iso(k.expireAtMs); }]
  ];
  add(app, section('Big keys', 'bigkeys', r.bigKeys.length === 0 ? h('p', { class: 'tiny', text: 'No keys.' }) : table(keyCols, r.bigKeys, 20, 'bigkeys-table')));

  var qs = r.queueStats;
  add(app, section('Queues', 'queues',
    h('p', { class: 'tiny', text: fmtCount(qs.count) + ' lists, zsets or streams over ' + fmtCount(qs.threshold) + ' elements or pending entries (' + fmtBytes(qs.bytes) + ')' + (qs.longest ? '; longest: ' + keyText(qs.longest) + ' with ' + fmtCount(qs.longest.length) : '') + '.' }),
    r.queues.length === 0 ? null : table([
      ['key', false, function (q) { return keyText(q) + (q.keyB64 !== null ? ' (binary)' : ''); }, 'key'],
      ['db', true, function (q) { return String(q.db); }],
      ['type', false, function (q) { return q.type; }],
      ['length', true, function (q) { return fmtCount(q.length); }],
      ['pending', true, function (q) { return q.pending === null ? '—' : fmtCount(q.pending); }],
      ['groups', true, function (q) { return q.groups === null ? '—' : fmtCount(q.groups); }],
      ['memory', true, function (q) { return fmtBytes(q.bytes); }],
      ['why', false, function (q) { return q.reasons.join(', '); }]
    ], r.queues, 20, 'queues-table')));

  add(app, section('Namespaces without TTL', 'nottl',
    h('p', { class: 'tiny', text: fmtCount(r.noTtl.keys) + ' keys (' + fmtPercent(r.noTtl.keyShare) + ') hold ' + fmtBytes(r.noTtl.bytes) + ' (' + fmtPercent(r.noTtl.byteShare) + ') and never expire.' }),
    r.noTtl.namespaces.length === 0 ? null : table([
      ['namespace', false, function (n) { return patText(n.pattern); }, 'key'],
      ['keys without TTL', true, function (n) { return fmtCount(n.noTtlKeys); }],
      ['memory without TTL', true, function (n) { return fmtBytes(n.noTtlBytes); }],
      ['of its keys', true, function (n) { return fmtPercent(share(n.noTtlKeys, n.keys)); }]
    ], r.noTtl.namespaces, 10)));

  add(app, h('div', { class: 'grid2' },
    section('Databases', 'databases', table([
      ['db', true, function (d) { return String(d.db); }],
      ['keys', true, function (d) { return fmtCount(d.keys); }],
      ['memory', true, function (d) { return fmtBytes(d.bytes); }],
      ['share', true, function (d) { return fmtPercent(d.share); }],
      ['without TTL', true, function (d) { return fmtCount(d.noTtlKeys); }]
    ], r.databases)),
    section('Files', 'files', table([
      ['file', false, function (f) { return vis(f.name); }, 'key'],
      ['producer', false, function (f) { return (f.producer + ' ' + f.producerVersion).trim(); }],
      ['RDB', true, function (f) { return String(f.rdbVersion); }],
      ['keys', true, function (f) { return fmtCount(f.keys); }],
      ['memory', true, function (f) { return fmtBytes(f.bytes); }],
      ['checksum', false, function (f) { return f.checksum; }]
    ], r.files))));
  // What the server loads but a saving server would not write (stale stream lengths, duplicates only deep sanitization finds, ...).
  var fileWarnings = [];
  r.files.forEach(function (f) { (f.warnings || []).forEach(function (w) { fileWarnings.push((r.files.length > 1 ? f.name + ': ' : '') + w); }); });
  if (fileWarnings.length) add(app, section('File warnings', 'file-warnings', h('ul', { class: 'findings' }, fileWarnings.map(function (w) { return h('li', { text: vis(w) }); }))));
  add(app, h('footer', { text: 'rdbscope ' + (r.tool.version || '') + ' · ' + r.schema + ' v' + r.schemaVersion + ' · sizes estimate MEMORY USAGE from the snapshot · this page loads nothing from the network' }));
}

// ------------------------------------------------------------------------------------------
// Diff page

function diffPage(d) {
  var t = d.totals;
  document.title = 'rdbscope diff: ' + d.old.source + ' → ' + d.new.source;
  add(app, h('h1', null, 'rdbscope diff', d.redacted ? h('span', { class: 'badge', text: 'key names redacted' }) : null));
  add(app, h('p', { class: 'sub', id: 'sides', text: d.old.source + ' (saved ' + iso(d.old.savedAtMaxMs) + ') → ' + d.new.source + ' (saved ' + iso(d.new.savedAtMaxMs) + ')' }));
  function cls(n) { return n > 0 ? 'up' : n < 0 ? 'down' : null; }
  function dcard(label, a, b, dl, f, id, extra) {
    var c = card(label, signed(dl, f), f(a) + ' → ' + f(b) + (extra ? ' · ' + extra : ''), id);
    var v = c.querySelector('.value');
    if (cls(dl)) v.classList.add(cls(dl));
    return c;
  }
  add(app, h('div', { class: 'cards' },
    dcard('Keys', t.oldKeys, t.newKeys, t.keysDelta, fmtCount, 'diff-keys'),
    dcard('Estimated memory', t.oldBytes, t.newBytes, t.bytesDelta, fmtBytes, 'diff-bytes', fmtGrowth(t.growth)),
    dcard('Keys without TTL', t.oldNoTtlKeys, t.newNoTtlKeys, t.noTtlKeysDelta, fmtCount, 'diff-nottl-keys'),
    dcard('Memory without TTL', t.oldNoTtlBytes, t.newNoTtlBytes, t.noTtlBytesDelta, fmtBytes, 'diff-nottl-bytes'),
    dcard('Queues', t.oldQueues, t.newQueues, t.newQueues - t.oldQueues, fmtCount, 'diff-queues')
  ));
  if (d.notes.length) add(app, section('Notes', 'notes', h('ul', { class: 'findings' }, d.notes.map(function (n) { return h('li', { text: n }); }))));

  var tm = treemap({
    root: d.namespaceTree,
    size: function (n) { return Math.max(n.oldBytes, n.newBytes) || Math.max(n.oldKeys, n.newKeys); },
    own: function (n) {
      var co = 0, cn = 0;
      n.children.forEach(function (c) { co += c.oldBytes; cn += c.newBytes; });
      var b = Math.max(n.oldBytes - co, n.newBytes - cn);
      return n.ownOldKeys + n.ownNewKeys > 0 ? Math.max(b, 0) : 0;
    },
    sizeText: function (v) { return fmtBytes(v); },
    label: function (n) { return n.label; },
    color: function (n) {
      var m = Math.max(n.oldBytes, n.newBytes), g = m > 0 ? (n.newBytes - n.oldBytes) / m : (n.newKeys !== n.oldKeys ? (n.newKeys > n.oldKeys ? 1 : -1) : 0);
      if (g === 0) return 'hsl(215,10%,52%)';
      var a = Math.min(1, Math.abs(g) * 3);
      return g > 0 ? 'hsl(10,' + (25 + 50 * a).toFixed(0) + '%,' + (52 - 8 * a).toFixed(0) + '%)' : 'hsl(150,' + (25 + 45 * a).toFixed(0) + '%,' + (45 - 6 * a).toFixed(0) + '%)';
    },
    detail: function (n) {
      return [['keys', fmtCount(n.oldKeys) + ' → ' + fmtCount(n.newKeys)], ['Δ keys', signed(n.newKeys - n.oldKeys, fmtCount)], ['memory', fmtBytes(n.oldBytes) + ' → ' + fmtBytes(n.newBytes)], ['Δ memory', signed(n.newBytes - n.oldBytes, fmtBytes)], ['growth', fmtGrowth(n.oldBytes > 0 ? (n.newBytes - n.oldBytes) / n.oldBytes : null)], ['Δ keys without TTL', signed(n.newNoTtlKeys - n.oldNoTtlKeys, fmtCount)]];
    }
  });
  add(app, section('Memory by namespace, coloured by change', 'namespaces',
    h('div', { class: 'tm-bar' }, tm.crumbs, h('div', { class: 'legend' }, h('span', { text: 'shrank' }), ramp('hsl(150,70%,39%)', 'hsl(215,10%,52%)'), ramp('hsl(215,10%,52%)', 'hsl(10,75%,44%)'), h('span', { text: 'grew' }))),
    h('div', { class: 'tm-wrap' }, tm.svg, tm.detail),
    h('p', { class: 'tiny', text: 'Cells are sized by the larger of old and new memory. Click to drill down.' })));

  function deltaCell(n, f) { return h('span', { class: cls(n), text: signed(n, f) }); }
  var c = d.counts;
  add(app, section('Namespaces that changed', 'ns-changes',
    h('p', { class: 'tiny', text: c.namespacesChanged + ' changed of ' + c.namespaces + ' (' + c.namespacesAppeared + ' appeared, ' + c.namespacesVanished + ' vanished, ' + c.namespacesUnchanged + ' unchanged).' }),
    d.namespaces.length === 0 ? null : table([
      ['namespace', false, function (n) { return patText(n.pattern); }, 'key'],
      ['status', false, function (n) { return n.status; }],
      ['keys', true, function (n) { return fmtCount(n.oldKeys) + ' → ' + fmtCount(n.newKeys); }],
      ['Δ keys', true, function (n) { return deltaCell(n.keysDelta, fmtCount); }],
      ['memory', true, function (n) { return fmtBytes(n.oldBytes) + ' → ' + fmtBytes(n.newBytes); }],
      ['Δ memory', true, function (n) { return deltaCell(n.bytesDelta, fmtBytes); }],
      ['growth', true, function (n) { return fmtGrowth(n.growth); }],
      ['Δ no-TTL keys', true, function (n) { return deltaCell(n.noTtlKeysDelta, fmtCount); }]
    ], d.namespaces, 30, 'ns-changes-table')));
  var dt = [];
  if (d.databases.length) dt.push(section('Databases', 'db-changes', table([
    ['db', true, function (x) { return String(x.db); }],
    ['keys', true, function (x) { return fmtCount(x.oldKeys) + ' → ' + fmtCount(x.newKeys); }],
    ['Δ memory', true, function (x) { return deltaCell(x.bytesDelta, fmtBytes); }],
    ['Δ no-TTL keys', true, function (x) { return deltaCell(x.noTtlKeysDelta, fmtCount); }]
  ], d.databases)));
  if (d.types.length) dt.push(section('Types', 'type-changes', table([
    ['type', false, function (x) { return x.type; }],
    ['keys', true, function (x) { return fmtCount(x.oldKeys) + ' → ' + fmtCount(x.newKeys); }],
    ['Δ memory', true, function (x) { return deltaCell(x.bytesDelta, fmtBytes); }],
    ['growth', true, function (x) { return fmtGrowth(x.growth); }]
  ], d.types)));
  if (dt.length) { add(app, h('div', { class: 'grid2' }, dt)); add(app, h('div', { style: 'height:16px' })); }
  add(app, section('Queues that grew', 'queue-changes', d.queues.length === 0 ? h('p', { class: 'tiny', text: 'None.' }) : table([
    ['key', false, function (q) { return keyText(q) + (q.keyB64 !== null ? ' (binary)' : ''); }, 'key'],
    ['db', true, function (q) { return String(q.db); }],
    ['type', false, function (q) { return q.type; }],
    ['status', false, function (q) { return q.status; }],
    ['length', true, function (q) { return (q.oldLength === null ? '?' : fmtCount(q.oldLength)) + ' → ' + fmtCount(q.newLength); }],
    ['Δ length', true, function (q) { return q.lengthDelta === null ? '—' : deltaCell(q.lengthDelta, fmtCount); }],
    ['pending', true, function (q) { return q.newPending === null ? '—' : (q.oldPending === null ? '?' : fmtCount(q.oldPending)) + ' → ' + fmtCount(q.newPending); }]
  ], d.queues, 30, 'queue-changes-table')));
  add(app, section('New in the big-key list', 'bigkey-changes', d.newBigKeys.length === 0 ? h('p', { class: 'tiny', text: 'None.' }) : table([
    ['rank', true, function (k) { return String(k.rank); }],
    ['key', false, function (k) { return keyText(k) + (k.keyB64 !== null ? ' (binary)' : ''); }, 'key'],
    ['db', true, function (k) { return String(k.db); }],
    ['type', false, function (k) { return k.type; }],
    ['memory', true, function (k) { return fmtBytes(k.bytes); }],
    ['before', true, function (k) { return k.oldBytes === null ? '—' : fmtBytes(k.oldBytes); }]
  ], d.newBigKeys, 30)));
  add(app, h('footer', { text: 'rdbscope ' + (d.tool.version || '') + ' · ' + d.schema + ' v' + d.schemaVersion + ' · this page loads nothing from the network' }));
}

if (payload.kind === 'diff') diffPage(payload.diff);
else reportPage(payload.report);
document.documentElement.setAttribute('data-ready', '1');
})();
`;

function page(title: string, payload: unknown): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">`, // a constant without `"` or `&`
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<link rel="icon" href="data:,">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main id="app"><noscript>This page draws the report with JavaScript; the figures are also in report.json.</noscript></main>',
    `<script type="application/json" id="rdbscope-data">${jsonForScript(payload)}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function visible(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** report.html for a report (redact it first for a redacted page: see `redactReport`). */
export function reportToHtml(report: Report): string {
  const title = report.files.length === 1 ? report.files[0].name : `${report.files.length} files`;
  return page(`rdbscope report: ${visible(title)}`, { kind: 'report', report });
}

/** The HTML page of a diff. */
export function diffToHtml(diff: DiffReport): string {
  return page(`rdbscope diff: ${visible(diff.old.source)} → ${visible(diff.new.source)}`, { kind: 'diff', diff });
}
