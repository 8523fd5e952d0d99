/**
 * Which server a fixture is generated with, and what that server can do.
 *
 * A release server is named like `redis-8.6.3` / `valkey-9.1.2` and found in `$SERVERS_DIR`
 * or ~/.cache/rdbscope-servers as <name>/src/<prog>-server (the layout ../shared build
 * script leaves), or given as an absolute path. Capabilities are asked of the running server
 * (COMMAND INFO, CONFIG GET) rather than guessed from its name.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverBinary, type RedisHandle, type RespValue, type ServerBinary } from '../test/helpers/redis.ts';

export interface ServerTarget {
  bin: ServerBinary;
  /** "redis-8.6.3", "valkey-9.1.2". */
  name: string;
  /** redis-check-rdb / valkey-check-rdb beside the server, when there is one. */
  checkTool: string | null;
}

export function serversDir(): string {
  return process.env.SERVERS_DIR ?? path.join(os.homedir(), '.cache', 'rdbscope-servers');
}

/** Path of a named release server's binary (whether built yet or not). */
export function serverPath(name: string): string {
  if (path.isAbsolute(name)) return name;
  const prog = name.startsWith('valkey') ? 'valkey' : 'redis';
  return path.join(serversDir(), name, 'src', `${prog}-server`);
}

export function resolveServer(nameOrPath: string): ServerTarget {
  const p = serverPath(nameOrPath);
  if (!existsSync(p)) throw new Error(`server binary not found: ${p}`);
  const bin = serverBinary(p);
  const tool = path.join(path.dirname(p), `${bin.product}-check-rdb`);
  return { bin, name: `${bin.product}-${bin.version}`, checkTool: existsSync(tool) ? tool : null };
}

export interface Caps {
  product: 'redis' | 'valkey';
  version: string;
  v: [number, number, number];
  streams: boolean;
  /** PEXPIRETIME (7.0+); without it TTLs are read back as PTTL and checked against what was set. */
  pexpiretime: boolean;
  functions: boolean;
  /** HPEXPIREAT / HPEXPIRETIME (Redis 7.4+, Valkey 9). */
  fieldExpiry: boolean;
  hsetex: boolean;
  vectorsets: boolean;
  /** Streams' idempotent producers (XCFGSET, XADD IDMP; Redis 8.6). */
  idmp: boolean;
  /** XGROUP CREATECONSUMER, XINFO entries-read etc. (Redis 7.0 stream metadata). */
  streamMeta7: boolean;
  /** DEBUG HTSTATS-KEY (tells whether a hashtable is still rehashing). */
  htstatsKey: boolean;
  /** DEBUG QUICKLIST-PACKED-THRESHOLD (plain quicklist nodes, 7.0+). */
  plainNodes: boolean;
  /** Listpack-encoded small lists and sets (Redis 7.2+, Valkey). */
  listpackSetsLists: boolean;
  /** The server has a lazyfree-lazy-user-del setting (6.0+). */
  lazyUserDel: boolean;
}

const atLeast = (v: [number, number, number], a: number, b: number) => v[0] > a || (v[0] === a && v[1] >= b);

export async function probeCaps(r: RedisHandle, bin: ServerBinary): Promise<Caps> {
  const names = ['XADD', 'PEXPIRETIME', 'FUNCTION', 'HPEXPIREAT', 'HSETEX', 'VADD', 'XCFGSET'];
  const info = (await r.call('COMMAND', 'INFO', ...names)) as RespValue[];
  const has = (n: string) => info[names.indexOf(n)] !== null;
  const debugOk = async (...args: string[]) => {
    try {
      await r.call('DEBUG', ...args);
      return true;
    } catch (e) {
      return !/unknown|wrong number/i.test((e as Error).message);
    }
  };
  const lazy = (await r.call('CONFIG', 'GET', 'lazyfree-lazy-user-del')) as RespValue[];
  const v = bin.v;
  const streams = has('XADD');
  return {
    product: bin.product,
    version: bin.version,
    v,
    streams,
    pexpiretime: has('PEXPIRETIME'),
    functions: has('FUNCTION'),
    fieldExpiry: has('HPEXPIREAT'),
    hsetex: has('HSETEX'),
    vectorsets: has('VADD'),
    idmp: has('XCFGSET'),
    // The 7.0 stream fields (entries-added, max-deleted-id) came with RDB 10 / PEXPIRETIME.
    streamMeta7: streams && has('PEXPIRETIME'),
    htstatsKey: await debugOk('HTSTATS-KEY', '__no_such_key__'),
    plainNodes: await debugOk('QUICKLIST-PACKED-THRESHOLD', '1073741824'),
    listpackSetsLists: bin.product === 'valkey' || atLeast(v, 7, 2),
    lazyUserDel: lazy.length === 2,
  };
}
