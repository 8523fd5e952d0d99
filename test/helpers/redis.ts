/**
 * Test harness: run a throwaway redis-server and talk RESP2 to it over node:net.
 *
 *   const r = await startRedis();
 *   await r.call('SET', 'k', 'v');
 *   const dump = await r.save();
 *   await r.stop();
 *
 * No npm dependency. Replies: simple string → string, bulk string → Buffer (binary-safe),
 * integer → number, array → RespValue[], nil bulk/array → null; error replies reject with
 * RespError.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type RespValue = string | number | Buffer | null | RespValue[];
export type RespArg = string | Buffer | number;

/** An error reply from the server (`-ERR ...`). */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
}

export interface RedisHandle {
  readonly port: number;
  /** The server's fresh temporary --dir (removed by stop()). */
  readonly dir: string;
  readonly pid: number;
  /** Send one command; resolves with its reply. Calls may be issued concurrently (pipelined). */
  call(...args: RespArg[]): Promise<RespValue>;
  /**
   * Send many commands in one write and collect every reply, in order. Rejects (after all
   * replies have arrived) with the first error reply, naming the command index.
   */
  pipeline(cmds: RespArg[][]): Promise<RespValue[]>;
  /** `INFO [section]` parsed into name → value. */
  info(section?: string): Promise<Record<string, string>>;
  /** SAVE; resolves with the absolute path of the dump. */
  save(): Promise<string>;
  /** Close the connection, kill the server by PID and remove its dir. Idempotent. */
  stop(): Promise<void>;
}

/** Absolute path of an executable on PATH, or null. */
export function findExecutable(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** A server executable and what `--version` says about it. */
export interface ServerBinary {
  path: string;
  product: 'redis' | 'valkey';
  /** "4.0.14", "9.1.2". */
  version: string;
  /** [major, minor, patch] of `version`. */
  v: [number, number, number];
}

const binaries = new Map<string, ServerBinary>();

/** Ask a server binary (path or name on PATH) who it is: `redis-server --version`. */
export function serverBinary(bin = 'redis-server'): ServerBinary {
  const known = binaries.get(bin);
  if (known) return known;
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const m = /^(Redis|Valkey) server v=(\d+)\.(\d+)\.(\d+)/m.exec(res.stdout ?? '');
  if (!m) throw new Error(`${bin} --version: unrecognised output ${JSON.stringify(res.stdout ?? res.error?.message)}`);
  const sb: ServerBinary = {
    path: bin,
    product: m[1] === 'Valkey' ? 'valkey' : 'redis',
    version: `${m[2]}.${m[3]}.${m[4]}`,
    v: [Number(m[2]), Number(m[3]), Number(m[4])],
  };
  binaries.set(bin, sb);
  return sb;
}

/** `--enable-debug-command` exists from Redis 7.0 (and in every Valkey); older servers refuse it. */
function hasDebugCommandOption(sb: ServerBinary): boolean {
  return sb.product === 'valkey' || sb.v[0] >= 7;
}

/** True when `redis-server` is on PATH (tests use it for `{ skip: !hasRedis() }`). */
export function hasRedis(): boolean {
  return findExecutable('redis-server') !== null;
}

// ---------------------------------------------------------------------------------------
// RESP2 encoding / decoding

const CRLF = Buffer.from('\r\n');

function argBuffer(a: RespArg): Buffer {
  if (Buffer.isBuffer(a)) return a;
  return Buffer.from(typeof a === 'number' ? String(a) : a, 'utf8');
}

/** Encode one command as a RESP array of bulk strings, appending the pieces to `out`. */
function encodeCommand(args: RespArg[], out: Buffer[]): void {
  out.push(Buffer.from(`*${args.length}\r\n`));
  for (const a of args) {
    const b = argBuffer(a);
    out.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
}

function findCrlf(buf: Buffer, from: number): number {
  const i = buf.indexOf(13, from);
  if (i < 0 || i + 1 >= buf.length) return -1;
  if (buf[i + 1] !== 10) throw new Error(`RESP: CR not followed by LF at ${i}`);
  return i;
}

/**
 * Resumable RESP2 reader: feed() chunks, take complete top-level replies from the callback.
 * Partially read arrays are kept on a stack, so a huge reply arriving in many chunks is
 * parsed once (linear), not re-parsed from its start on every chunk.
 */
class RespReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private readonly stack: { arr: RespValue[]; idx: number }[] = [];

  constructor(private readonly onReply: (v: RespValue | RespError) => void) {}

  feed(chunk: Buffer): void {
    if (this.pos >= this.buf.length) this.buf = chunk;
    else this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
    const buf = this.buf;
    for (;;) {
      if (this.pos >= buf.length) return;
      const start = this.pos;
      const type = buf[start];
      const eol = findCrlf(buf, start + 1);
      if (eol < 0) return;
      let value: RespValue | RespError;
      let next = eol + 2;
      switch (type) {
        case 0x2b /* + */:
          value = buf.toString('utf8', start + 1, eol);
          break;
        case 0x2d /* - */:
          value = new RespError(buf.toString('utf8', start + 1, eol));
          break;
        case 0x3a /* : */:
          value = Number(buf.toString('latin1', start + 1, eol));
          break;
        case 0x24 /* $ */: {
          const n = Number(buf.toString('latin1', start + 1, eol));
          if (n < 0) value = null;
          else {
            if (next + n + 2 > buf.length) return; // wait for the whole bulk string
            // Copy: the receive buffer is concatenated/reused later.
            value = Buffer.from(buf.subarray(next, next + n));
            next += n + 2;
          }
          break;
        }
        case 0x2a /* * */: {
          const n = Number(buf.toString('latin1', start + 1, eol));
          if (n < 0) value = null;
          else if (n === 0) value = [];
          else {
            this.stack.push({ arr: new Array<RespValue>(n), idx: 0 });
            this.pos = next;
            continue;
          }
          break;
        }
        default:
          throw new Error(`RESP: unexpected type byte 0x${(type ?? 0).toString(16)} at ${start}`);
      }
      this.pos = next;
      // Attach to the enclosing arrays, completing them as they fill up.
      for (;;) {
        const top = this.stack[this.stack.length - 1];
        if (!top) {
          this.onReply(value);
          break;
        }
        top.arr[top.idx++] = value as RespValue; // nested errors (EXEC) kept as objects
        if (top.idx < top.arr.length) break;
        this.stack.pop();
        value = top.arr;
      }
    }
  }
}

interface Pending {
  resolve(v: RespValue): void;
  reject(e: Error): void;
}

/** A minimal pipelining RESP2 connection. */
class RespConnection {
  private readonly reader: RespReader;
  private readonly queue: Pending[] = [];
  private head = 0;
  private closedError: Error | null = null;

  constructor(private readonly sock: net.Socket) {
    sock.setNoDelay(true);
    this.reader = new RespReader((v) => this.onReply(v));
    sock.on('data', (chunk: Buffer) => {
      try {
        this.reader.feed(chunk);
      } catch (e) {
        this.failAll(e as Error);
        sock.destroy();
      }
    });
    const fail = (e: Error) => this.failAll(e);
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('redis connection closed')));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ port, host });
      const onErr = (e: Error) => reject(e);
      sock.once('error', onErr);
      sock.once('connect', () => {
        sock.off('error', onErr);
        resolve(new RespConnection(sock));
      });
    });
  }

  private onReply(v: RespValue | RespError): void {
    const p = this.queue[this.head];
    if (!p) throw new Error('RESP: reply without a pending command');
    this.queue[this.head++] = undefined as unknown as Pending;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (v instanceof RespError) p.reject(v);
    else p.resolve(v);
  }

  private failAll(e: Error): void {
    if (!this.closedError) this.closedError = e;
    while (this.head < this.queue.length) {
      const p = this.queue[this.head++];
      p?.reject(e);
    }
    this.queue.length = 0;
    this.head = 0;
  }

  /** Queue many commands with a single socket write; one promise per command. */
  send(cmds: RespArg[][]): Promise<RespValue>[] {
    if (this.closedError) return cmds.map(() => Promise.reject(this.closedError as Error));
    const parts: Buffer[] = [];
    const promises: Promise<RespValue>[] = [];
    for (const c of cmds) {
      encodeCommand(c, parts);
      promises.push(new Promise<RespValue>((resolve, reject) => this.queue.push({ resolve, reject })));
    }
    this.sock.write(Buffer.concat(parts));
    return promises;
  }

  close(): void {
    this.sock.destroy();
  }
}

// ---------------------------------------------------------------------------------------
// Server lifecycle

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cp of live) {
      try {
        if (cp.pid) process.kill(cp.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function waitExit(cp: ChildProcess, ms: number): Promise<boolean> {
  if (cp.exitCode !== null || cp.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    cp.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Parse `INFO` text into name → value (section headers and blank lines skipped). */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export interface StartOptions {
  /** Server executable (absolute path or name on PATH); default `redis-server`. */
  server?: string;
  /** A dump to load at start-up: copied into the fresh dir as its dbfilename. */
  rdb?: string;
}

async function startOnce(extraArgs: string[], opts: StartOptions): Promise<RedisHandle> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rdbscope-redis-'));
  const bin = opts.server ?? 'redis-server';
  const debugOpt = hasDebugCommandOption(serverBinary(bin)) ? ['--enable-debug-command', 'yes'] : [];
  if (opts.rdb) copyFileSync(opts.rdb, path.join(dir, 'dump.rdb'));
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--dbfilename', 'dump.rdb',
    ...debugOpt,
    '--daemonize', 'no',
    ...extraArgs,
  ];
  const cp = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  installExitHook();
  live.add(cp);
  let log = '';
  const keepLog = (d: Buffer) => {
    log += d.toString();
    if (log.length > 20000) log = log.slice(-10000);
  };
  cp.stdout?.on('data', keepLog);
  cp.stderr?.on('data', keepLog);
  let spawnError: Error | null = null;
  cp.once('error', (e) => (spawnError = e));
  cp.once('exit', () => live.delete(cp));

  const cleanup = async () => {
    if (cp.exitCode === null && cp.signalCode === null && cp.pid) {
      try {
        process.kill(cp.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await waitExit(cp, 2000);
    }
    live.delete(cp);
    rmSync(dir, { recursive: true, force: true });
  };

  // Wait until the server answers PING.
  const deadline = Date.now() + 15000;
  let conn: RespConnection | null = null;
  while (!conn) {
    if (spawnError) {
      await cleanup();
      throw spawnError;
    }
    if (cp.exitCode !== null || cp.signalCode !== null) {
      await cleanup();
      throw new Error(`redis-server exited early (code ${cp.exitCode}, signal ${cp.signalCode}):\n${log}`);
    }
    if (Date.now() > deadline) {
      await cleanup();
      throw new Error(`redis-server did not answer PING on port ${port}:\n${log}`);
    }
    let c: RespConnection | null = null;
    try {
      c = await RespConnection.connect(port);
      const [pong] = c.send([['PING']]);
      if ((await pong) === 'PONG') conn = c;
      else c.close();
    } catch {
      // Not listening yet, or -LOADING: drop this connection so it is not left open.
      c?.close();
      await sleep(25);
    }
  }
  const pid = cp.pid as number;
  const c = conn;
  let stopped = false;

  const handle: RedisHandle = {
    port,
    dir,
    pid,
    call: (...cmd: RespArg[]) => c.send([cmd])[0] as Promise<RespValue>,
    async pipeline(cmds: RespArg[][]): Promise<RespValue[]> {
      const out: RespValue[] = new Array<RespValue>(cmds.length);
      let firstErr: Error | null = null;
      // Chunk the writes so a huge fill does not build one giant buffer.
      const CHUNK = 5000;
      const all: Promise<void>[] = [];
      for (let i = 0; i < cmds.length; i += CHUNK) {
        const ps = c.send(cmds.slice(i, i + CHUNK));
        ps.forEach((p, j) => {
          const idx = i + j;
          all.push(
            p.then(
              (v) => void (out[idx] = v),
              (e: Error) => {
                out[idx] = null;
                if (!firstErr) {
                  const name = String(cmds[idx]?.[0] ?? '');
                  firstErr = new RespError(`pipeline command #${idx} (${name}): ${e.message}`);
                }
              },
            ),
          );
        });
      }
      await Promise.all(all);
      if (firstErr) throw firstErr;
      return out;
    },
    async info(section?: string) {
      const r = await (section ? handle.call('INFO', section) : handle.call('INFO'));
      return parseInfo(Buffer.isBuffer(r) ? r.toString('utf8') : String(r));
    },
    async save() {
      await handle.call('SAVE');
      const r = (await handle.call('CONFIG', 'GET', 'dbfilename')) as RespValue[];
      const name = String(r[1]);
      return path.join(dir, name);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      c.close();
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      if (!(await waitExit(cp, 3000))) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await waitExit(cp, 3000);
      }
      live.delete(cp);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

/**
 * Start a fresh redis-server (or `opts.server`) on a free loopback port with
 * `--save "" --appendonly no`, a new temporary `--dir` and `--enable-debug-command yes`
 * (where the server has that option), plus `extraArgs`
 * (e.g. `['--maxmemory-policy', 'allkeys-lfu']`). With `opts.rdb` the server loads that dump
 * at start-up. Resolves once it answers PING (i.e. after loading).
 */
export async function startRedis(extraArgs: string[] = [], opts: StartOptions = {}): Promise<RedisHandle> {
  let lastErr: unknown;
  // A port picked as free can be taken before redis binds it; retry a couple of times.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(extraArgs, opts);
    } catch (e) {
      lastErr = e;
      if (!/Address already in use|bind/i.test(String((e as Error).message))) break;
    }
  }
  throw lastErr;
}

/** Bulk/simple string reply as text (utf8); numbers as decimal; null stays null. */
export function asText(v: RespValue): string | null {
  if (v === null) return null;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new Error('asText: reply is an array');
}
