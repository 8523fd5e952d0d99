/** `rdbscope info`: the file's header, producer, aux fields, databases, functions, modules, checksum. */
import type { FileInfo } from '../core/types.ts';

/** `info --json`: the parser's FileInfo (but the CRC's end offset), `slots` counted, plus the file and its key count. */
export interface InfoReport extends Omit<FileInfo, 'slots' | 'crcEnd'> {
  file: string;
  keys: number;
  slots: number;
}

export function infoReport(file: string, info: FileInfo, keys: number): InfoReport {
  return {
    file,
    rdbVersion: info.rdbVersion,
    producer: info.producer,
    producerVersion: info.producerVersion,
    aux: info.aux,
    databases: info.databases,
    keys,
    functions: info.functions,
    modules: info.modules,
    slots: info.slots.length,
    checksum: info.checksum,
    storedChecksum: info.storedChecksum,
    computedChecksum: info.computedChecksum,
    bytes: info.bytes,
    trailingBytes: info.trailingBytes,
    warnings: info.warnings,
    keyMeta: info.keyMeta,
    slotImports: info.slotImports,
    ramLru: info.ramLru,
    streamIdmp: info.streamIdmp,
  };
}

const CHECKSUM_TEXT: Record<FileInfo['checksum'], string> = {
  ok: 'ok',
  mismatch: 'MISMATCH',
  disabled: 'not computed by the server (rdbchecksum no)',
  absent: 'none (RDB version < 5)',
  unread: 'not reached',
  pending: 'not verified',
};

export function infoText(r: InfoReport): string {
  const lines: string[] = [];
  lines.push(`file:       ${r.file}`);
  lines.push(`format:     RDB ${r.rdbVersion} (${r.producer}${r.producerVersion ? ' ' + r.producerVersion : ''})`);
  lines.push(`size:       ${r.bytes} bytes${r.trailingBytes ? ` of RDB, then ${r.trailingBytes} bytes not read (see warnings)` : ''}`);
  if (r.aux.ctime) lines.push(`saved at:   ${new Date(Number(r.aux.ctime) * 1000).toISOString()}`);
  lines.push(`keys:       ${r.keys}`);
  lines.push(`checksum:   ${CHECKSUM_TEXT[r.checksum]}${r.checksum === 'mismatch' ? ` (stored ${r.storedChecksum}, computed ${r.computedChecksum})` : ''}`);
  lines.push('', 'databases:');
  for (const [db, d] of Object.entries(r.databases).filter(([, d]) => d.keys > 0 || d.resizeKeys > 0)) {
    lines.push(`  db${db}: ${d.keys} keys, ${d.expires} with expiry`);
  }
  lines.push('', 'aux fields:');
  for (const [k, v] of Object.entries(r.aux)) lines.push(`  ${k} = ${JSON.stringify(v).slice(1, -1).slice(0, 200)}`);
  if (r.functions.length) lines.push('', `functions:  ${r.functions.join(', ')}`);
  const mods = Object.entries(r.modules);
  if (mods.length) lines.push('', `modules:    ${mods.map(([m, n]) => `${m} (${n} key${n === 1 ? '' : 's'})`).join(', ')}`);
  if (r.slots) lines.push(`slot info:  ${r.slots} records`);
  const meta = Object.entries(r.keyMeta);
  if (meta.length) lines.push(`key meta:   ${meta.map(([c, n]) => `${c} (${n} key${n === 1 ? '' : 's'})`).join(', ')}`);
  for (const s of r.slotImports) {
    lines.push(`slot import: job ${s.job}, slots ${s.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ') || 'none'}`);
  }
  if (r.streamIdmp.producers > 0) {
    const i = r.streamIdmp;
    lines.push(`stream idmp: ${i.producers} producers tracking ${i.ids} ids in ${i.streams} stream${i.streams === 1 ? '' : 's'}`);
  }
  if (r.ramLru) lines.push(`ram lru:    ${r.ramLru} Redis Enterprise RAM_LRU records (ignored)`);
  if (r.warnings.length) lines.push('', 'warnings:', ...r.warnings.map((w) => `  ${w}`));
  return lines.join('\n') + '\n';
}
