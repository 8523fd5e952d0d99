/**
 * The report as OpenMetrics text (also valid Prometheus text format 0.0.4), for node_exporter's
 * textfile collector or a Pushgateway: `openMetricsText(report, labels)`.
 *
 * Every figure is read from the report as it stands (the byte figures are the ones the report
 * sums), so the export and report.json always agree. All families are gauges (a snapshot is a
 * state, not a count of events) and carry no timestamps (the textfile collector refuses them).
 *
 * Series identity stays stable from one night to the next: the aggregate series carry only the
 * user labels (`--label k=v`, e.g. instance or cluster); the file name, server version and
 * memory model, which change with the file or an upgrade, are labels of the per-file series
 * (`rdbscope_file_info` and friends), as Prometheus advises for versions.
 *
 * Cardinality is bounded: namespaces are the report's collapsed partition, cut to the
 * `maxNamespaces` biggest by bytes (default METRICS_MAX_NAMESPACES) with the rest in one
 * `namespace="<other>"` series, so summing over `namespace` still gives the totals; queues are
 * the report's bounded queue list; databases and types are few.
 */

import type { Report } from '../analyze/schema.ts';

/** The file `analyze --format openmetrics` writes into --out. */
export const OPENMETRICS_FILE = 'metrics.prom';

/** Namespaces exported by default; the rest add up into OTHER_NAMESPACE. */
export const METRICS_MAX_NAMESPACES = 100;

/** The `namespace` label value of the series holding every namespace beyond the cap. */
export const OTHER_NAMESPACE = '<other>';

/** Label names the export sets itself; a user label may not take them. */
export const RESERVED_LABELS: readonly string[] = ['namespace', 'db', 'type', 'key', 'file', 'server', 'version', 'rdb_version', 'model', 'allocator'];

export interface OpenMetricsOptions {
  /** Namespaces exported one by one (a positive integer; default METRICS_MAX_NAMESPACES). */
  maxNamespaces?: number;
  /** More gauge families (e.g. `trend`'s slopes and projection), written after the report's. */
  extra?: MetricFamily[];
}

type Labels = [string, string][];
export interface MetricFamily {
  name: string;
  help: string;
  samples: { labels: Labels; value: number }[];
}

/** The Prometheus / OpenMetrics label-value escaping: backslash, double quote and line feed. */
export function escapeLabelValue(v: string): string {
  // A lone surrogate (not encodable as UTF-8) becomes U+FFFD, as the UTF-8 encoder would do.
  const wellFormed = v.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return wellFormed.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Why `name` cannot be a user label name, or null when it can. */
export function labelNameProblem(name: string): string | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return 'a label name is letters, digits and _, not starting with a digit';
  if (name.startsWith('__')) return 'names starting with __ are reserved by Prometheus';
  if (RESERVED_LABELS.includes(name)) return `the export sets it itself (${RESERVED_LABELS.join(', ')})`;
  return null;
}

/**
 * OpenMetrics text for `report`, ending with `# EOF`. `labels` are added to every series, after
 * the report's own `labels` (from `analyze --label`; a name given in both takes `labels`' value).
 * Throws on a label name that cannot be used (see labelNameProblem) or a bad maxNamespaces.
 */
export function openMetricsText(report: Report, labels: Record<string, string> = {}, opts: OpenMetricsOptions = {}): string {
  const maxNamespaces = opts.maxNamespaces ?? METRICS_MAX_NAMESPACES;
  if (!Number.isInteger(maxNamespaces) || maxNamespaces < 1) throw new Error(`metrics max namespaces: expected a positive integer, got ${maxNamespaces}`);
  const given = { ...((report as { labels?: Record<string, string> }).labels ?? {}), ...labels };
  const common: Labels = Object.keys(given)
    .sort()
    .map((k) => [k, String(given[k])]);
  for (const [k] of common) {
    const problem = labelNameProblem(k);
    if (problem !== null) throw new Error(`label ${JSON.stringify(k)}: ${problem}`);
  }

  const families: MetricFamily[] = [];
  const family = (name: string, help: string): MetricFamily['samples'] => {
    const f: MetricFamily = { name, help, samples: [] };
    families.push(f);
    return f.samples;
  };
  const one = (name: string, help: string, value: number | null | undefined): void => {
    if (value !== null && value !== undefined) family(name, help).push({ labels: [], value });
  };

  const s = report.summary;
  const incomplete = typeof (report as { incomplete?: unknown }).incomplete === 'string';
  one('rdbscope_report_complete', '1 when every input file was read to the end, 0 for a --partial report (its figures cover only what was read)', incomplete ? 0 : 1);
  one('rdbscope_files', 'RDB files the report covers', report.files.length);
  one('rdbscope_keys', 'Keys in the snapshot', s.keys);
  one('rdbscope_key_bytes', 'Memory of the keys in bytes, the sum report.json gives (summary.bytes)', s.bytes);
  one('rdbscope_ttl_keys', 'Keys with a TTL', s.ttlKeys);
  one('rdbscope_ttl_bytes', 'Bytes of the keys with a TTL', s.ttlBytes);
  one('rdbscope_no_ttl_keys', 'Keys without a TTL', s.noTtlKeys);
  one('rdbscope_no_ttl_bytes', 'Bytes of the keys without a TTL', s.noTtlBytes);
  one('rdbscope_expired_keys', 'Keys whose TTL had passed at save time (still in the file)', s.expiredKeys);
  one('rdbscope_expired_bytes', 'Bytes of the keys whose TTL had passed at save time', s.expiredBytes);
  one('rdbscope_estimated_used_memory_bytes', 'Estimated instance memory (keys plus server overhead, from the memory model), absent unless every file has one', s.estimatedUsedMemory);
  one('rdbscope_used_memory_at_save_bytes', 'The used-mem aux field at save time, summed over the files, absent unless every file has it', s.usedMemAtSave);
  one('rdbscope_snapshot_timestamp_seconds', 'Latest save time (aux ctime) among the files, Unix seconds', s.savedAtMaxMs === null ? null : s.savedAtMaxMs / 1000);

  // Namespaces: the partition, cut to the biggest; the rest (and a real namespace that happens
  // to be named like the bucket) add up into OTHER_NAMESPACE so the sums stay exact.
  one('rdbscope_namespaces', 'Namespaces in the report (the export keeps the biggest, the rest add up into the <other> namespace)', report.namespaces.length);
  const nsKeys = family('rdbscope_namespace_keys', 'Keys per namespace pattern');
  const nsBytes = family('rdbscope_namespace_bytes', 'Bytes per namespace pattern');
  const nsNoTtlKeys = family('rdbscope_namespace_no_ttl_keys', 'Keys without a TTL per namespace pattern');
  const nsNoTtlBytes = family('rdbscope_namespace_no_ttl_bytes', 'Bytes of the keys without a TTL per namespace pattern');
  const other = { keys: 0, bytes: 0, noTtlKeys: 0, noTtlBytes: 0, any: false };
  report.namespaces.forEach((n, i) => {
    if (i >= maxNamespaces || n.pattern === OTHER_NAMESPACE) {
      other.keys += n.keys;
      other.bytes += n.bytes;
      other.noTtlKeys += n.noTtlKeys;
      other.noTtlBytes += n.noTtlBytes;
      other.any = true;
      return;
    }
    const l: Labels = [['namespace', n.pattern]];
    nsKeys.push({ labels: l, value: n.keys });
    nsBytes.push({ labels: l, value: n.bytes });
    nsNoTtlKeys.push({ labels: l, value: n.noTtlKeys });
    nsNoTtlBytes.push({ labels: l, value: n.noTtlBytes });
  });
  if (other.any) {
    const l: Labels = [['namespace', OTHER_NAMESPACE]];
    nsKeys.push({ labels: l, value: other.keys });
    nsBytes.push({ labels: l, value: other.bytes });
    nsNoTtlKeys.push({ labels: l, value: other.noTtlKeys });
    nsNoTtlBytes.push({ labels: l, value: other.noTtlBytes });
  }

  const dbFigures: [string, string, keyof Report['databases'][number]][] = [
    ['rdbscope_db_keys', 'Keys per database', 'keys'],
    ['rdbscope_db_bytes', 'Bytes per database', 'bytes'],
    ['rdbscope_db_no_ttl_keys', 'Keys without a TTL per database', 'noTtlKeys'],
    ['rdbscope_db_no_ttl_bytes', 'Bytes of the keys without a TTL per database', 'noTtlBytes'],
    ['rdbscope_db_expired_keys', 'Keys per database whose TTL had passed at save time', 'expiredKeys'],
  ];
  for (const [name, help, field] of dbFigures) {
    const out = family(name, help);
    for (const d of report.databases) out.push({ labels: [['db', String(d.db)]], value: d[field] });
  }
  const typeKeys = family('rdbscope_type_keys', 'Keys per Redis type');
  const typeBytes = family('rdbscope_type_bytes', 'Bytes per Redis type');
  for (const t of report.types) {
    typeKeys.push({ labels: [['type', t.type]], value: t.keys });
    typeBytes.push({ labels: [['type', t.type]], value: t.bytes });
  }

  // Per file: the names as given, made unique when a name repeats.
  const fileLabel = uniqueFileNames(report.files.map((f) => f.name));
  const info = family('rdbscope_file_info', 'Always 1: the server that wrote the file and the memory model the byte figures follow');
  const fileKeys = family('rdbscope_file_keys', 'Keys per file');
  const fileBytes = family('rdbscope_file_bytes', 'Bytes of the keys per file');
  const fileEstimate = family('rdbscope_file_estimated_used_memory_bytes', 'Estimated instance memory per file');
  const fileUsedMem = family('rdbscope_file_used_memory_at_save_bytes', 'The used-mem aux field per file');
  const fileSaved = family('rdbscope_file_saved_timestamp_seconds', 'Save time (aux ctime) per file, Unix seconds');
  report.files.forEach((f, i) => {
    const l: Labels = [['file', fileLabel[i]]];
    info.push({
      labels: [...l, ['server', f.producer], ['version', f.producerVersion], ['rdb_version', String(f.rdbVersion)], ['model', f.memoryModel?.server ?? ''], ['allocator', f.memoryModel?.allocator ?? '']],
      value: 1,
    });
    fileKeys.push({ labels: l, value: f.keys });
    fileBytes.push({ labels: l, value: f.bytes });
    if (f.estimatedUsedMemory !== null) fileEstimate.push({ labels: l, value: f.estimatedUsedMemory });
    if (f.usedMemAtSave !== null) fileUsedMem.push({ labels: l, value: f.usedMemAtSave });
    if (f.savedAtMs !== null) fileSaved.push({ labels: l, value: f.savedAtMs / 1000 });
  });

  // Queues: the report's bounded list; the file tells apart equal names from several files.
  one('rdbscope_queues', 'Queues over the queue threshold (exact, also beyond the listed ones)', report.queueStats.count);
  one('rdbscope_queues_bytes', 'Bytes of the queues over the queue threshold', report.queueStats.bytes);
  const qLength = family('rdbscope_queue_length', 'Elements per listed queue (list, stream or job-schedule zset)');
  const qPending = family('rdbscope_queue_pending', 'Pending entries of the busiest consumer group per listed stream');
  const several = report.files.length > 1;
  for (const q of report.queues) {
    const l: Labels = [['db', String(q.db)], ['key', q.key], ['type', q.type]];
    if (several) l.push(['file', fileLabel[q.fileIndex] ?? q.file]);
    qLength.push({ labels: l, value: q.length });
    if (q.pending !== null) qPending.push({ labels: l, value: q.pending });
  }

  families.push(...(opts.extra ?? []));
  // HELP texts are fixed and hold nothing that needs escaping (no backslash, quote or newline).
  const out: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0) continue;
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} gauge`);
    for (const x of f.samples) {
      const all = [...common, ...x.labels];
      const text = all.length ? `{${all.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
      out.push(`${f.name}${text} ${x.value}`);
    }
  }
  out.push('# EOF');
  return out.join('\n') + '\n';
}

/** `names` with a repeated one made unique by its position (`dump.rdb#2`). */
function uniqueFileNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((n, i) => {
    const label = seen.has(n) ? `${n}#${i}` : n;
    seen.add(label);
    return label;
  });
}
