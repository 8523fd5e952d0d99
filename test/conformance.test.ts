/**
 * Conformance: every key of every dump (shared corpus when present, project fixtures always)
 * decoded exactly as the live server described it in the truth file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusDir, dumpsIn, fixturesDir, keyId, parseDump, releaseDumps, truthKeyBytes, allocatorOf, type Dump, type ParsedKey } from './helpers/truth.ts';
import { compare } from './helpers/compare.ts';
import { ensureBuilt, runCli } from './helpers/run-cli.ts';
import type { KeyRecord } from '../src/core/types.ts';

function conformance(dump: Dump): void {
  test(`conformance: ${dump.name}`, () => {
    const { info, keys } = parseDump(dump.rdb, allocatorOf(dump));
    assert.equal(info.rdbVersion, dump.truth.rdb_version);
    assert.equal(info.checksum, 'ok');
    assert.equal(info.producerVersion, dump.truth.redis_version);
    if (dump.truth.functions) assert.deepEqual([...info.functions].sort(), [...dump.truth.functions].sort());
    for (const [db, ks] of Object.entries(dump.truth.keyspace)) {
      assert.equal(info.databases[db]?.keys, ks.keys, `db ${db} keys`);
      assert.equal(info.databases[db]?.expires, ks.expires, `db ${db} expires`);
    }
    const problems: string[] = [];
    let ok = 0;
    for (const k of dump.truth.keys) {
      const g = keys.get(keyId(k.db, truthKeyBytes(k)));
      const diff = g ? compare(k, g, dump) : ['missing from the parse'];
      if (diff.length === 0) ok++;
      else problems.push(`${k.db}/${k.key ?? k.key_b64}: ${diff.join('; ')}`);
    }
    assert.equal(keys.size, dump.truth.keys.length, 'no keys beyond the truth');
    console.log(`${dump.name}: ${ok}/${dump.truth.keys.length} keys`);
    assert.deepEqual(problems, []);
  });
}

/** The `dump` command's lines as parsed keys (fields the command does not print stay undefined). */
async function dumpCommand(path: string): Promise<Map<string, ParsedKey>> {
  const r = await runCli(['dump', path]);
  assert.equal(r.code, 0, r.stderr);
  const keys = new Map<string, ParsedKey>();
  for (const line of r.out.split('\n')) {
    if (line === '') continue;
    const o = JSON.parse(line);
    const key = o.key_b64 !== undefined ? Buffer.from(o.key_b64, 'base64') : Buffer.from(o.key, 'utf8');
    const rec = {
      db: o.db, type: o.type, encoding: o.encoding, expireAtMs: o.expire_at_ms ?? -1, length: o.length,
      lfuFreq: o.lfu_freq ?? -1, idleS: o.lru_idle_s ?? -1, module: o.module ?? '',
    } as unknown as KeyRecord;
    keys.set(keyId(o.db, key), { rec, value: o.value, fieldExpire: o.field_expire_at_ms ?? null });
  }
  return keys;
}

function dumpConformance(dump: Dump): void {
  test(`rdbscope check accepts and rdbscope dump matches the truth: ${dump.name}`, async () => {
    await ensureBuilt();
    const check = await runCli(['check', dump.rdb]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.out, new RegExp(`: ok: RDB ${dump.truth.rdb_version}, ${dump.truth.keys.length} keys, \\d+ bytes, checksum ok`));
    const keys = await dumpCommand(dump.rdb);
    const problems: string[] = [];
    for (const k of dump.truth.keys) {
      const g = keys.get(keyId(k.db, truthKeyBytes(k)));
      const diff = g ? compare(k, g, dump) : ['missing from the dump'];
      if (diff.length) problems.push(`${k.db}/${k.key ?? k.key_b64}: ${diff.join('; ')}`);
    }
    assert.equal(keys.size, dump.truth.keys.length);
    console.log(`rdbscope dump ${dump.name}: ${dump.truth.keys.length - problems.length}/${dump.truth.keys.length} keys`);
    assert.deepEqual(problems, []);
  });
}

const corpus = corpusDir();
if (corpus) for (const d of dumpsIn(corpus)) {
  conformance(d);
  dumpConformance(d);
}
else test('conformance: shared corpus', { skip: 'no ../shared/corpus (set RDBSCOPE_CORPUS to run it)' }, () => {});
for (const d of dumpsIn(fixturesDir)) conformance(d);
// The release servers' fixtures (parsed conformance is in servers.test.ts): the CLI's check and dump.
const release = releaseDumps();
test('release fixtures are present for the CLI conformance', () => assert.ok(release.length >= 5, `${release.length} release dumps`));
for (const d of release) dumpConformance(d);
