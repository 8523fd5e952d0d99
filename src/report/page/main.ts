/**
 * report.html's script (bundled by scripts/build-page.ts into ../page-script.ts): reads the
 * JSON the page embeds and draws the report, diff or trend page, then marks the document ready.
 */

import { diffPage } from './diff-page.ts';
import type { PagePayload } from './payload.ts';
import { reportPage } from './report-page.ts';
import { trendPage } from './trend-page.ts';

const data = document.getElementById('rdbscope-data');
const app = document.getElementById('app');
if (!data || !app) throw new Error('rdbscope: page without its data or #app');
const payload = JSON.parse(data.textContent ?? '') as PagePayload;
if (payload.kind === 'diff') diffPage(app, payload.diff);
else if (payload.kind === 'trend') trendPage(app, payload.trend);
else reportPage(app, payload.report);
document.documentElement.setAttribute('data-ready', '1');
