/**
 * `namespaces.csv`: the flat namespace list (one row per namespace, all of them, same order as
 * report.json). Sizes are raw bytes; shares are fractions. Text cells go through csvField,
 * the same quoting and formula guard as keys.csv.
 */

import type { Report } from '../analyze/schema.ts';
import { csvField } from './csv.ts';

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

export function namespacesCsv(report: Report): string {
  let s = NAMESPACES_CSV_COLUMNS.join(',') + '\n';
  for (const n of report.namespaces) {
    const types = Object.entries(n.types)
      .map(([t, c]) => `${t}:${c}`)
      .join(' ');
    const row = [
      csvField(n.pattern),
      n.keys,
      n.bytes,
      n.share,
      n.keyShare,
      n.avgBytes,
      n.ttlKeys,
      n.noTtlKeys,
      n.noTtlBytes,
      csvField(types),
      csvField(n.dbs.join(' ')),
      csvField(n.largest?.key ?? ''),
      csvField(n.largest?.keyB64 ?? ''),
      n.largest?.bytes ?? '',
    ];
    s += row.join(',') + '\n';
  }
  return s;
}
