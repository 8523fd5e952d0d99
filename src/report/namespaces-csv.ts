/**
 * `namespaces.csv`: the flat namespace list (one row per namespace, all of them, same order as
 * report.json), written with papaparse. Sizes are raw bytes; shares are fractions.
 * Text cells starting with `=` `+` `-` `@` TAB or CR get a leading `'` (formula injection).
 */

import Papa from 'papaparse';
import type { Report } from './schema.ts';

export const NAMESPACES_CSV_COLUMNS = [
  'pattern',
  'keys',
  'bytes',
  'share',
  'key_share',
  'avg_bytes',
  'ttl_keys',
  'no_ttl_keys',
  'no_ttl_bytes',
  'types',
  'dbs',
  'largest_key',
  'largest_key_b64',
  'largest_key_bytes',
] as const;

/** Papa's own `escapeFormulae: true` misses values with a newline after the first character. */
const FORMULA = /^[=+\-@\t\r]/;

export function namespacesCsv(report: Report): string {
  const data = report.namespaces.map((n) => [
    n.pattern,
    n.keys,
    n.bytes,
    n.share,
    n.keyShare,
    n.avgBytes,
    n.ttlKeys,
    n.noTtlKeys,
    n.noTtlBytes,
    Object.entries(n.types)
      .map(([t, c]) => `${t}:${c}`)
      .join(' '),
    n.dbs.join(' '),
    n.largest?.key ?? '',
    n.largest?.keyB64 ?? '',
    n.largest?.bytes ?? '',
  ]);
  return Papa.unparse({ fields: [...NAMESPACES_CSV_COLUMNS], data }, { escapeFormulae: FORMULA, newline: '\n' }) + '\n';
}
