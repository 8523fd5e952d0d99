/** Worker for `merge`: the fold of report.json inputs under a heap cap (cli/merge.ts, foldInWorker). */
import { parentPort, workerData } from 'node:worker_threads';
import { InputError, type ModelCliOptions } from './diff.ts';
import { UsageError } from './common.ts';
import { foldReports, type FoldResult } from './merge-fold.ts';

const { inputs, o, quiet } = workerData as { inputs: string[]; o: ModelCliOptions; quiet: boolean };
let result: FoldResult;
try {
  result = await foldReports(inputs, o, quiet);
} catch (e) {
  if (e instanceof UsageError) result = { failure: 'usage', message: e.message };
  else if (e instanceof InputError) result = { failure: 'input', message: e.message };
  else throw e;
}
parentPort!.postMessage(result);
