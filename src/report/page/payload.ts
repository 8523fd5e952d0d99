/**
 * What report.html embeds as JSON for its script (type-only: shared by report/html.ts, which
 * writes it, and the page code, which reads it).
 */

import type { Report } from '../../analyze/schema.ts';
import type { DiffReport } from '../../analyze/diff-schema.ts';
import type { TrendReport } from '../../analyze/trend-schema.ts';

/** A report, plus the line `analyze` adds when some input file could not be read to the end. */
export type PageReport = Report & { incomplete?: string };

export type PagePayload = { kind: 'report'; report: PageReport } | { kind: 'diff'; diff: DiffReport } | { kind: 'trend'; trend: TrendReport };
