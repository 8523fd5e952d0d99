/**
 * `report.html`: one self-contained page per report (or diff) that needs no network at all.
 *
 * - Styles and the script are inline; a Content-Security-Policy meta tag allows nothing
 *   external (`default-src 'none'`), so the page cannot load or send anything even if a key
 *   name tried to, and runs no script but its own (allowed by its SHA-256).
 * - The script is TypeScript in page/ (type-checked with the DOM library, sharing the
 *   formatters of analyze/units.ts), bundled at development time into page-script.ts by
 *   scripts/build-page.ts, so writing a page needs no bundler.
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
 * treemap of the aligned namespaces coloured by growth, and the change tables. The trend page
 * draws line charts (inline SVG) of the instance and of namespaces and queues over time.
 */

import type { Report } from '../analyze/schema.ts';
import type { DiffReport } from '../analyze/diff-schema.ts';
import type { TrendReport } from '../analyze/trend-schema.ts';
import { chartedNamespaces } from './page/trend-view.ts';
import type { PagePayload } from './page/payload.ts';
import { PAGE_SCRIPT, PAGE_SCRIPT_SHA256 } from './page-script.ts';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON that is inert inside `<script type="application/json">`. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** The policy in the page's meta tag: nothing but the inline style and the page's own script. */
export const HTML_CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${PAGE_SCRIPT_SHA256}'; img-src data:; base-uri 'none'; form-action 'none'`;

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
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:14px}
.chart-box{margin:0}
.chart-box figcaption{font-size:13px;margin-bottom:4px;word-break:break-all}
.chart-box .pat{font-family:var(--mono);font-weight:650}
svg.chart{width:100%;height:auto;display:block}
svg.chart line.grid{stroke:var(--line);stroke-width:1}
svg.chart line.limit{stroke-width:1.5;stroke-dasharray:6 3}
svg.chart line.projection{stroke:var(--muted);stroke-width:1.5;stroke-dasharray:4 4}
svg.chart text.axis{fill:var(--muted);font-size:11px}
.legend .swatch{display:inline-block;width:12px;height:3px;border-radius:1px}
.up{color:var(--nottl)}.down{color:var(--ttl)}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
`;

function page(title: string, payload: PagePayload): string {
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
    `<script>${PAGE_SCRIPT}</script>`,
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
  const labels = Object.entries(report.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
  const title = (report.files.length === 1 ? report.files[0].name : `${report.files.length} files`) + (labels ? ` [${labels}]` : '');
  return page(`rdbscope report: ${visible(title)}`, { kind: 'report', report });
}

/** The HTML page of a trend: it embeds the namespaces it charts, not every series (the JSON has those). */
export function trendToHtml(trend: TrendReport): string {
  return page(`rdbscope trend: ${trend.snapshots.length} snapshots`, { kind: 'trend', trend: { ...trend, namespaces: chartedNamespaces(trend) } });
}

/** The HTML page of a diff. */
export function diffToHtml(diff: DiffReport): string {
  return page(`rdbscope diff: ${visible(diff.old.source)} → ${visible(diff.new.source)}`, { kind: 'diff', diff });
}
