/** `report.json`: the Report (see schema.ts) as pretty-printed JSON, and reading it back. */

import { REPORT_SCHEMA, REPORT_SCHEMA_VERSION, type Report } from '../analyze/schema.ts';

export function reportToJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}

const SECTIONS = ['summary', 'files', 'databases', 'types', 'ttl', 'noTtl', 'namespaces', 'namespaceTree', 'namespaceInfo', 'bigKeys', 'bigKeysByType', 'bigElements', 'queues', 'queueStats', 'findings', 'options'] as const;

/** Parses and checks a report.json; `source` names it in errors. */
export function parseReport(text: string, source = 'report'): Report {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${source}: not an rdbscope report (not a JSON object)`);
  const o = v as Record<string, unknown>;
  if (o['schema'] !== REPORT_SCHEMA) throw new Error(`${source}: not an rdbscope report (schema is ${JSON.stringify(o['schema'] ?? null)}, expected ${JSON.stringify(REPORT_SCHEMA)})`);
  if (o['schemaVersion'] !== REPORT_SCHEMA_VERSION) {
    // Version 1 ranked and summed MEMORY USAGE figures; mixing them with real bytes would mislead.
    const why = o['schemaVersion'] === 1 ? '; its byte figures are MEMORY USAGE, not real bytes: analyse the file again' : '';
    throw new Error(`${source}: report schema version ${JSON.stringify(o['schemaVersion'] ?? null)} is not supported (this rdbscope reads version ${REPORT_SCHEMA_VERSION}${why})`);
  }
  for (const k of SECTIONS) {
    if (!(k in o)) throw new Error(`${source}: report has no ${k} section`);
  }
  return v as Report;
}
