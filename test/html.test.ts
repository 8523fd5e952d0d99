/**
 * report.html in a real browser: `analyze` writes it for a fixture full of hostile key names
 * (fixtures/matrix-7.0.rdb has `<script>alert(1)</script>`, quotes, newlines, binary keys);
 * headless Chromium (Debian's `chromium`, driven by playwright-core) opens it from disk and the
 * test checks that it renders the report's numbers, drills down in the treemap, runs no key as
 * markup, logs no console error and makes no request besides the file itself; a script
 * smuggled into the page is refused by its CSP. The inline script must be the current bundle of
 * src/report/page/ (npm run build:page), with its hash in the CSP. Screenshots go
 * to test-artifacts/ (git-ignored). Skips cleanly when /usr/bin/chromium is missing.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { CHROMIUM, launchChromium, openRecorded, type RecordedPage } from './helpers/browser.ts';
import { formatBytes, formatCount } from '../src/core/units.ts';
import { reportToHtml } from '../src/report/html.ts';
import type { KeyEntry, Report } from '../src/analyze/schema.ts';
import type { DiffReport } from '../src/analyze/diff-schema.ts';
import { ensureBuilt, fixture, repoRoot, runCli, showRun } from './helpers/run-cli.ts';
import { bundlePage, pageModule, PAGE_MODULE } from '../scripts/build-page.ts';
import { shortRanking } from '../src/analyze/ranking.ts';

const ARTIFACTS = join(repoRoot, 'test-artifacts');
const HOSTILE = '<script>alert(1)</script>';

let chromium: typeof import('playwright-core').chromium | null = null;
try {
  chromium = (await import('playwright-core')).chromium;
} catch {
  chromium = null;
}
const skip = !existsSync(CHROMIUM) ? `${CHROMIUM} not installed (apt-get install chromium)` : chromium === null ? 'playwright-core not installed' : false;

describe('HTML report (unit)', () => {
  test('a key cannot close the data script, and the page references nothing outside', () => {
    const report = { files: [{ name: '</title><script>x</script>' }], bigKeys: [{ key: '</script><!--' }] } as unknown as Report;
    const html = reportToHtml(report);
    assert.equal(html.match(/<\/script/gi)?.length, 2);
    assert.equal(html.match(/<script/gi)?.length, 2);
    assert.ok(html.includes('<title>rdbscope report: &lt;/title&gt;&lt;script&gt;x&lt;/script&gt;</title>'));
    assert.ok(html.includes('\\u003c/script\\u003e\\u003c!--'));
    assert.ok(!/(src|href|action)\s*=\s*["']?(https?:|\/\/)/i.test(html), 'no external references');
    assert.ok(!/innerHTML|outerHTML|insertAdjacentHTML|document\.write/.test(html), 'no HTML parsing of data in the script');
  });

  test('the inline script is the bundle of src/report/page/ (committed fresh) and the CSP allows it alone', async () => {
    const js = await bundlePage();
    assert.equal(readFileSync(join(repoRoot, PAGE_MODULE), 'utf8'), pageModule(js), `${PAGE_MODULE} is stale: run npm run build:page`);
    assert.match(js, /function formatBytes\(/, 'the page bundles the shared formatters of analyze/units.ts');
    const html = reportToHtml({ files: [{ name: 'x.rdb' }] } as unknown as Report);
    const inline = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1];
    assert.equal(inline, js);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    const scriptSrc = csp.split(';').map((d) => d.trim()).filter((d) => d.startsWith('script-src'));
    assert.deepEqual(scriptSrc, [`script-src 'sha256-${createHash('sha256').update(js).digest('base64')}'`]);
  });
});

describe('report.html in headless Chromium', { skip }, () => {
  let dir = '';
  let ctx: BrowserContext;
  let plain: Report;
  let redacted: Report;
  const page = (name: string): string => join(dir, name, 'report.html');

  before(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'rdbscope-html-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    const runs = await Promise.all([
      runCli(['-q', 'analyze', fixture('matrix-7.0.rdb'), '--out', join(dir, 'plain'), '--format', 'all']),
      runCli(['-q', 'analyze', fixture('matrix-7.0.rdb'), '--out', join(dir, 'red'), '--format', 'json,html', '--redact']),
      runCli(['-q', 'analyze', 'fixtures/shop-7.0.rdb', '--out', join(dir, 'shop'), '--format', 'json,html']),
      runCli(['-q', 'diff', fixture('lru-7.0.rdb'), fixture('shop-7.0.rdb'), '--json', '--out', join(dir, 'diff.json'), '--html', join(dir, 'diff.html')]),
    ]);
    for (const r of runs) assert.equal(r.code, 0, showRun(r));
    plain = JSON.parse(readFileSync(join(dir, 'plain', 'report.json'), 'utf8')) as Report;
    redacted = JSON.parse(readFileSync(join(dir, 'red', 'report.json'), 'utf8')) as Report;
    ctx = await launchChromium(chromium!);
  });

  after(async () => {
    await ctx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const open = (path: string): Promise<RecordedPage> => openRecorded(ctx, path);

  test('renders the report’s numbers, drills down, runs no key as code, stays offline', async () => {
    const { p, errors, requests, dialogs, url } = await open(page('plain'));
    try {
      assert.equal(await p.textContent('#total-keys'), formatCount(plain.summary.keys));
      assert.equal(await p.textContent('#total-bytes'), formatBytes(plain.summary.bytes));
      // Real bytes on the card, MEMORY USAGE (redis-cli's figure) beside them, and the model named.
      assert.equal(await p.textContent('#total-bytes-note'), `MEMORY USAGE sum ${formatBytes(plain.summary.memoryUsageBytes!)}`);
      assert.ok(plain.summary.memoryUsageBytes! > 0);
      assert.equal(await p.textContent('#model-line'), `memory model: ${plain.summary.memoryModels!.join('; ')}`);
      assert.match((await p.textContent('#model-line')) ?? '', /Redis \d+\.\d+, jemalloc/);
      assert.equal(await p.textContent('#queue-count'), formatCount(plain.queueStats.count));
      assert.equal(await p.locator('#findings li').count(), plain.findings.length);
      // The short ranked list: the groups that hold most of the memory, biggest first.
      const ranked = shortRanking(plain.namespaceRanking ?? []).rows;
      assert.ok(ranked.length > 0);
      assert.equal(await p.locator('#ranking-table tbody tr').count(), ranked.length);
      assert.equal(await p.locator('#ranking-table tbody tr td:nth-child(2)').first().textContent(), ranked[0].pattern);

      // Treemap: one cell per top-level namespace (up to the cell cap), then drill down.
      const crumbs = () => p.locator('#crumbs button').allTextContents();
      assert.deepEqual(await crumbs(), ['all keys']);
      const cells = await p.locator('#treemap g.cell').count();
      assert.ok(cells >= Math.min(plain.namespaceTree.children.length, 150) - 1, `${cells} cells`);
      const drill = p.locator('#treemap g.drill').first();
      const target = await drill.getAttribute('data-pattern');
      const node = plain.namespaceTree.children.find((c) => c.pattern === target);
      assert.ok(node && node.children.length > 0, `drillable cell ${target}`);
      await drill.click();
      assert.deepEqual(await crumbs(), ['all keys', node.label]);
      await p.mouse.move(1, 1); // leaving the treemap shows the current level again
      assert.equal(await p.textContent('#ns-detail .pat'), node.pattern);
      const inner = await p.locator('#treemap g.cell').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-pattern')));
      for (const c of node.children) if (c.bytes > 0) assert.ok(inner.includes(c.pattern), `sub-namespace ${c.pattern} shown`);
      await p.locator('#crumbs button', { hasText: 'all keys' }).click();
      assert.deepEqual(await crumbs(), ['all keys']);

      // The hostile key is shown as text; no script from the data ran.
      await p.locator('#bigkeys button.more').click();
      const keys = await p.locator('#bigkeys td.key').allTextContents();
      assert.ok(keys.includes(HOSTILE), 'the <script> key is listed as text');
      assert.ok(keys.includes('key\\nwith\\nnewlines'), 'control characters are shown escaped');
      assert.equal(keys.length, plain.bigKeys.length);
      assert.equal(await p.evaluate<number>('document.scripts.length'), 2);
      assert.equal(await p.locator('body img, body iframe, body object, body embed').count(), 0);
      await p.waitForTimeout(200);
      assert.deepEqual(dialogs, [], 'no alert()');
      assert.deepEqual(errors, [], 'no console errors');
      assert.deepEqual(requests, [url], 'no request besides the file itself');
      await p.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    } finally {
      await p.close();
    }
  });

  test('a script smuggled into the page does not run: the CSP allows the page’s own script only', async () => {
    const injected = join(dir, 'injected.html');
    const marker = "<script>document.documentElement.setAttribute('data-injected', '1')</script>";
    const html = readFileSync(page('plain'), 'utf8');
    assert.ok(html.includes('</body>'));
    writeFileSync(injected, html.replace('</body>', marker + '\n</body>'));
    const { p, errors } = await open(injected); // waits for the page's own script to finish drawing
    try {
      assert.equal(await p.textContent('#total-keys'), formatCount(plain.summary.keys));
      assert.equal(await p.evaluate<string | null>("document.documentElement.getAttribute('data-injected')"), null);
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.match(errors[0], /Content Security Policy/);
    } finally {
      await p.close();
    }
  });

  test('--redact: no key name that identifies anything reaches the page', async () => {
    assert.equal(redacted.redacted, true);
    const { p, errors, requests, url } = await open(page('red'));
    try {
      const text = await p.evaluate<string>('document.body.innerText');
      const data = await p.evaluate<string>("document.getElementById('rdbscope-data').textContent");
      assert.match(text, /key names redacted/);
      const listed: KeyEntry[] = [...plain.bigKeys, ...plain.queues, ...plain.noTtl.biggest, ...plain.namespaces.flatMap((n) => (n.largest ? [n.largest] : []))];
      // Namespace patterns are kept (a literal segment is one of at most --max-children values):
      // a key that is its own namespace pattern stays readable; every other key must be gone.
      const patterns = new Set(redacted.namespaces.map((n) => n.pattern));
      let checked = 0;
      for (const k of listed) {
        const raw = k.key;
        if (raw.length < 4 || patterns.has(raw)) continue;
        checked++;
        assert.ok(!text.includes(raw), `rendered text shows ${JSON.stringify(raw)}`);
        assert.ok(!data.includes(JSON.stringify(raw).slice(1, -1).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')), `data holds ${JSON.stringify(raw)}`);
      }
      assert.ok(checked >= 20, `${checked} identifying keys checked`);
      const shown = await p.locator('#bigkeys td.key').allTextContents();
      for (const s of shown) assert.match(s, /#[0-9a-f]{8}( \(binary\))?$/);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [url]);
    } finally {
      await p.close();
    }
  });

  test('the diff page and a realistic report render offline (screenshots kept)', async () => {
    const diff = JSON.parse(readFileSync(join(dir, 'diff.json'), 'utf8')) as DiffReport;
    const d = await open(join(dir, 'diff.html'));
    try {
      const t = diff.totals;
      assert.equal(await d.p.textContent('#diff-keys'), (t.keysDelta > 0 ? '+' : '') + formatCount(t.keysDelta));
      assert.equal(await d.p.textContent('#diff-keys-note'), `${formatCount(t.oldKeys)} → ${formatCount(t.newKeys)}`);
      assert.equal(await d.p.locator('#ns-changes-table tbody tr').count(), Math.min(30, diff.namespaces.length));
      await d.p.locator('#treemap g.drill').first().click();
      assert.equal((await d.p.locator('#crumbs button').allTextContents()).length, 2);
      assert.deepEqual(d.errors, []);
      assert.deepEqual(d.requests, [d.url]);
      await d.p.screenshot({ path: join(ARTIFACTS, 'diff.png'), fullPage: true });
    } finally {
      await d.p.close();
    }
    const s = await open(page('shop'));
    try {
      assert.deepEqual(s.errors, []);
      assert.deepEqual(s.requests, [s.url]);
      await s.p.setViewportSize({ width: 1280, height: 1400 });
      await s.p.screenshot({ path: join(ARTIFACTS, 'report-shop.png') }); // the README's docs/report.png
    } finally {
      await s.p.close();
    }
  });
});
