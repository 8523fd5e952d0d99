/** Headless Chromium for the page tests: a page opened offline with everything it does recorded. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = process.env.RDBSCOPE_CHROMIUM ?? '/usr/bin/chromium';

/** A persistent context in a fresh profile, with the flags that keep Chromium off the network. */
export async function launchChromium(chromium: typeof import('playwright-core').chromium): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'rdbscope-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface RecordedPage {
  p: Page;
  errors: string[];
  requests: string[];
  dialogs: string[];
  url: string;
}

/** Opens a file with every console error, page error, dialog and request recorded; anything but the file itself is refused. */
export async function openRecorded(ctx: BrowserContext, path: string): Promise<RecordedPage> {
  const url = pathToFileURL(path).href;
  const p = await ctx.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  p.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  p.on('request', (r) => requests.push(r.url()));
  p.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  await p.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  await p.goto(url);
  await p.waitForSelector('html[data-ready="1"]', { timeout: 10_000 });
  return { p, errors, requests, dialogs, url };
}
