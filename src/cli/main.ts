/**
 * The command line: parses options, runs each file through a parse worker, prints results,
 * and maps outcomes to exit codes (0 done, 1 usage or internal error, 2 bad input, 3 budget).
 */
import { Command, Option } from 'commander';
import { runJob } from '../run/runner.ts';
import type { JobResult } from '../run/job.ts';
import { infoReport, infoText } from './info.ts';
import { EXIT, UsageError, VERSION, baseJob, failureCode, flags, openOut, reportFailure, withProgress, memoryOptions } from './common.ts';
import { analyzeCommand, keysCommand } from './analyze.ts';
import { diffCommand } from './diff.ts';
import { mergeCommand } from './merge.ts';
import { trendCommand } from './trend.ts';
import { NAMESPACE_DEFAULTS } from '../analyze/namespace.ts';
import { METRICS_MAX_NAMESPACES } from '../report/openmetrics.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function fail(r: JobResult): void {
  reportFailure(r);
  process.exitCode = failureCode(r);
}

/** Options several commands share, declared once so their help stays the same. */
const redisVersionOption = () => new Option('--redis-version <x.y>', 'model the memory of this server version instead of the file\'s');
const allocatorOption = () =>
  new Option('--allocator <profile>', 'jemalloc (Redis builds), jemalloc16 (distribution packages such as Debian\'s), libc').default('jemalloc');
const redactOption = () => new Option('--redact', 'replace key names by namespace pattern and a stable hash');
/** How diff, merge and trend analyse their RDB inputs (report.json inputs bring their own). */
const rdbInputOptions = (): Option[] => [
  new Option('--separators <chars>', 'namespace separators for RDB inputs (default: a report input\'s, else :)'),
  new Option('--max-children <n>', `namespace max-children for RDB inputs (default: a report input's, else ${NAMESPACE_DEFAULTS.maxChildren})`),
  new Option('--depth <n>', `namespace levels for RDB inputs (default: a report input's, else ${NAMESPACE_DEFAULTS.depth}; 0 = all)`),
];
const addAll = (cmd: Command, options: Option[]): Command => options.reduce((c, o) => c.addOption(o), cmd);

export function buildProgram(): Command {
  const program = new Command();
  const quiet = () => !!program.opts().quiet;
  program
    .configureOutput({ writeErr: (str) => process.stderr.write(str.startsWith('error:') ? `rdbscope: ${str}` : str) })
    .name('rdbscope')
    .description('Offline analyzer for Redis and Valkey RDB snapshots (plain, gzip, LZ4 or zstd; - reads stdin).')
    .version(VERSION)
    .option('--debug', 'print stack traces of internal errors')
    .option('-q, --quiet', 'no progress on stderr')
    .hook('preAction', () => {
      flags.debug = !!program.opts().debug;
    });

  program
    .command('analyze')
    .description('memory by namespace, database and type; TTL audit; big keys; oversized queues; findings; reports')
    .argument('<files...>', 'RDB files (cluster shards are combined), optionally compressed; - for stdin')
    .option('-o, --out <dir>', 'report directory', 'rdbscope-report')
    .option('--format <list>', 'all (json, csv, md, html), or a comma list of json, csv, md, html, openmetrics (metrics.prom; alone with -o - to stdout)', 'all')
    .option('--no-keys', 'do not write keys.csv / keys.parquet')
    .option('--keys-format <csv|parquet>', 'per-key rows as keys.csv, or keys.parquet plus namespaces.parquet', 'csv')
    .option('--label <name=value>', 'where this snapshot belongs, e.g. cluster=eu1 (repeatable; kept in the reports and Parquet columns)', collect)
    .option('--labels <list>', 'several labels at once: name=value,name=value', collect)
    .option('--force', 'overwrite existing report files')
    .option('--separators <chars>', 'namespace separators', NAMESPACE_DEFAULTS.separators)
    .option('--max-children <n>', 'a namespace level with more distinct children collapses to *', String(NAMESPACE_DEFAULTS.maxChildren))
    .option('--depth <n>', 'namespace levels kept (0 = all)', String(NAMESPACE_DEFAULTS.depth))
    .option('--top <n>', 'length of the big-key lists', '100')
    .option('--big-element <size>', 'an element bigger than this is reported', '1mb')
    .option('--queue-threshold <n>', 'lists, zsets and streams longer than this (or streams with more pending) are queues', '10000')
    .option('--policy <maxmemory-policy>', 'the server\'s maxmemory-policy (not stored in the file), for findings')
    .option('--maxmemory <size>', 'the server\'s maxmemory, for findings')
    .option('--fail-on <budget>', 'exit 3 when exceeded, e.g. no-ttl-bytes>1gb, key-bytes>50mb, queue-length>100000 (repeatable)', collect)
    .addOption(redisVersionOption())
    .addOption(allocatorOption())
    .addOption(redactOption())
    .option('--partial', 'on a defective file, still write what was read, marked INCOMPLETE (exit 2)')
    .option('--metrics-max-namespaces <n>', 'openmetrics: namespaces exported one by one, the rest add up into namespace="<other>"', String(METRICS_MAX_NAMESPACES))
    .option('-j, --jobs <n>', 'files parsed in parallel (default: cores)')
    .action((files: string[], o) => analyzeCommand(files, o, quiet()));

  program
    .command('keys')
    .description('per-key report: CSV in the redis-rdb-tools layout (database,type,key,size_in_bytes,...) or JSONL')
    .argument('<files...>', 'RDB files, optionally compressed; - for stdin')
    .option('--format <csv|jsonl|parquet>', 'output format (parquet needs --out FILE)', 'csv')
    .option('-o, --out <file>', 'output file (- for stdout)', '-')
    .option('--label <name=value>', 'a Parquet column label_<name> on every row (repeatable)', collect)
    .option('--labels <list>', 'several labels at once: name=value,name=value', collect)
    .option('--force', 'overwrite --out if it exists')
    .option('--db <n>', 'only these databases (repeatable or comma list)', collect)
    .option('--type <type>', 'only these types (repeatable or comma list)', collect)
    .option('--match <glob>', 'only keys matching this glob (Redis MATCH syntax)')
    .option('--min-bytes <size>', 'only keys whose MEMORY USAGE (the memory_usage column, as redis-cli --memkeys sees it) is at least this')
    .addOption(redisVersionOption())
    .addOption(allocatorOption())
    .addOption(redactOption())
    .option('-j, --jobs <n>', 'files parsed in parallel (default: cores)')
    .action((files: string[], o) => keysCommand(files, o, quiet()));

  const diff = program
    .command('diff')
    .description('what changed between two snapshots: namespaces, databases, types, keys without TTL, queues that grew, new big keys')
    .argument('<old>', 'RDB file (any input format; - for stdin) or report.json')
    .argument('<new>', 'RDB file or report.json')
    .option('--json', 'JSON output (see src/analyze/diff-schema.ts for the layout)')
    .option('--md', 'Markdown output, for tickets')
    .option('--html <file>', 'also write a self-contained HTML page')
    .option('-o, --out <file>', 'write the output to a file instead of stdout')
    .option('--force', 'overwrite --out / --html if they exist')
    .option('--fail-on <budget>', "exit 3 when exceeded: growth>20%, growth>1gb, no-ttl-growth>10000, or any analyze budget on the new side (repeatable)", collect)
    .addOption(redactOption());
  addAll(diff, rdbInputOptions())
    .addOption(redisVersionOption())
    .addOption(allocatorOption())
    .action((oldFile: string, newFile: string, o) => diffCommand(oldFile, newFile, o, quiet()));

  const merge = program
    .command('merge')
    .description('combine the reports of cluster shards into one, exactly (RDB inputs are analysed first)')
    .argument('<reports...>', 'report.json files, directories (every report.json beneath) or quoted globs (or RDB files)')
    .option('-o, --out <dir|file>', 'a directory (reports as analyze writes them), a .json/.md/.html/.csv/.prom file, or - for stdout', '-')
    .option('--format <list>', 'all (json, csv, md, html), or a comma list of json, csv, md, html, openmetrics (default: json on stdout, all in a directory)')
    .option('--force', 'overwrite existing report files')
    .addOption(redactOption());
  addAll(merge, rdbInputOptions())
    .option('--allow-mixed-models', 'merge reports made with different server models or allocator profiles (warns; their sums are not comparable)')
    .addOption(redisVersionOption())
    .addOption(allocatorOption())
    .action((files: string[], o) => mergeCommand(files, o, quiet()));

  const trend = program
    .command('trend')
    .description('series over many snapshots (ordered by save time): namespaces, databases, types, queues; leaks, growing queues, days to maxmemory')
    .argument('<inputs...>', 'report.json files, RDB files (analysed first) or directories holding them')
    .option('--json', 'JSON output (see src/analyze/trend-schema.ts for the layout)')
    .option('--md', 'Markdown output')
    .option('--openmetrics', 'OpenMetrics text: the newest snapshot\'s metrics (as analyze --format openmetrics) plus the trend\'s slopes, findings and days to the alert line / maxmemory')
    .option('--metrics-max-namespaces <n>', `with --openmetrics: namespaces exported one by one (default ${METRICS_MAX_NAMESPACES})`)
    .option('--html <file>', 'also write a self-contained HTML page with the charts')
    .option('-o, --out <file>', 'write the output to a file instead of stdout')
    .option('--force', 'overwrite --out / --html if they exist')
    .option('--window <n>', 'intervals between snapshots the slopes and leak rules look at', '10')
    .option('--min-growths <n>', 'steady growth: grew in at least this many of the window\'s intervals', '7')
    .option('--maxmemory <size>', 'the instance\'s maxmemory: project the days to it and to the alert line')
    .option('--alert-at <percent>', 'the alert line, a share of --maxmemory', '70%')
    .option('--fail-on <budget>', "exit 3 on: leak, days-to-maxmemory<14, days-to-alert<30, or any analyze budget on the newest snapshot (repeatable)", collect);
  addAll(trend, rdbInputOptions())
    .option('--queue-threshold <n>', 'for RDB inputs: lists, zsets and streams longer than this are queues (default: a report input\'s, else 10000)')
    .addOption(redisVersionOption())
    .addOption(allocatorOption())
    .option('-j, --jobs <n>', 'files parsed in parallel (default: cores)')
    .action(async (inputs: string[], o) => {
      await trendCommand(inputs, o, quiet());
    });

  program
    .command('dump')
    .description('one JSON object per key per line (db, key or key_b64, type, encoding, expire_at_ms, length, memory_bytes, real_bytes, value)')
    .argument('<file>', 'RDB file, optionally compressed; - for stdin')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .option('--force', 'overwrite --out if it exists')
    .addOption(redisVersionOption())
    .addOption(allocatorOption())
    .action(async (file: string, o: { out?: string; force?: boolean; allocator?: string; redisVersion?: string }) => {
      const memory = memoryOptions(o);
      const out = openOut(o.out, !!o.force);
      try {
        const r = await withProgress(true, (ro) => runJob(file, { ...baseJob('dump'), outFd: out.fd, memory }, ro));
        if (!r.ok) fail(r);
      } finally {
        out.close();
      }
    });

  program
    .command('info')
    .description('header, producer, aux fields, per-db key and expiry counts, functions, modules, checksum status')
    .argument('<file>', 'RDB file, optionally compressed; - for stdin')
    .option('--json', 'machine-readable output')
    .action(async (file: string, o: { json?: boolean }) => {
      const r = await withProgress(quiet(), (ro) => runJob(file, baseJob('info'), ro));
      if (!r.ok) return fail(r);
      const report = infoReport(file === '-' ? '<stdin>' : file, r.info, r.keys);
      process.stdout.write(o.json ? JSON.stringify(report, null, 2) + '\n' : infoText(report));
      if (r.info.checksum === 'mismatch') {
        process.stderr.write(`${report.file}: offset ${r.info.crcEnd}: checksum ${r.info.computedChecksum} (CRC-64 of the bytes before it), found ${r.info.storedChecksum}\n`);
        process.exitCode = EXIT.input;
      }
    });

  program
    .command('check')
    .description('full structural walk plus checksum; exit 0 when sound, 2 with the offset of the first defect')
    .argument('<file>', 'RDB file, optionally compressed; - for stdin')
    .action(async (file: string) => {
      const r = await withProgress(quiet(), (ro) => runJob(file, baseJob('check'), ro));
      if (!r.ok) return fail(r);
      const name = file === '-' ? '<stdin>' : file;
      const sum = r.info.checksum === 'ok' ? 'checksum ok' : r.info.checksum === 'disabled' ? 'checksum not computed by the server' : 'no checksum (RDB < 5)';
      const w = r.info.warnings;
      const note = w.length ? ` (${w.length} warning${w.length === 1 ? '' : 's'} below)` : '';
      process.stdout.write(`${name}: ok: RDB ${r.info.rdbVersion}, ${r.keys} keys, ${r.info.bytes} bytes, ${sum}${note}\n`);
      for (const line of w) process.stdout.write(`${name}: warning: ${line}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride((err) => {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
    throw err;
  });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if ((e as { code?: string }).code?.startsWith('commander.')) return;
    if (e instanceof UsageError) {
      process.stderr.write(`rdbscope: ${e.message}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    process.stderr.write(`rdbscope: internal error: ${(e as Error).message}\n`);
    if (flags.debug) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = EXIT.usage;
  }
}
