/** `merge`'s fold over report.json inputs (run in a worker by cli/merge.ts, see foldInWorker). */
import { closeSync, openSync, readSync } from 'node:fs';
import { mergeReports } from '../analyze/merge.ts';
import { redactReport } from '../analyze/redact.ts';
import type { Report } from '../analyze/schema.ts';
import { InputError, loadReports, type ModelCliOptions } from './diff.ts';

/** The merged report, null when an input was refused (already reported), or a failure to rethrow. */
export type FoldResult = Report | null | { failure: 'usage' | 'input'; message: string };

/**
 * report.json inputs, read and merged one at a time: memory holds the merge so far and one
 * report, whatever the number of shards (100 shard reports of 2.9 MB: peak RSS 397 MB when
 * all were loaded first). Merging is associative (sums, tries merged by the same rules, top
 * lists re-ranked, findings recomputed at the end of each step), so the result is the same.
 */
export async function foldReports(inputs: string[], o: ModelCliOptions & { allowMixedModels?: boolean }, quiet: boolean): Promise<Report | null> {
  // Keys can only be ranked together when they are named the same way: one redacted input redacts all.
  const anyRedacted = inputs.some(isRedacted);
  let acc: Report | null = null;
  for (const f of inputs) {
    const loaded = await loadReports([f], o, quiet);
    if (loaded === null) return null;
    const r = anyRedacted ? redactReport(loaded[0]) : loaded[0];
    acc = acc === null ? r : mergeReportsOrFail([acc, r], [inputs[0], f], !!o.allowMixedModels);
  }
  return acc;
}

/** report.json writes `redacted` among its first properties: its head tells. */
function isRedacted(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    return /"redacted":\s*true/.test(head.toString('utf8', 0, n));
  } finally {
    closeSync(fd);
  }
}

/** mergeReports, its refusal turned into an InputError naming the files. */
export function mergeReportsOrFail(reports: Report[], files: string[], allowMixedModels: boolean): Report {
  try {
    return mergeReports(reports, { allowMixedModels });
  } catch (e) {
    throw new InputError(`cannot merge ${files.join(', ')}: ${(e as Error).message}`);
  }
}
