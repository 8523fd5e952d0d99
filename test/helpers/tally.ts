/**
 * The memory model against the truth's `memory_usage_after_reload`, tallied per dump and per
 * type/encoding (exact, within 5%, sum), with the targets the memory tests hold it to.
 */
import assert from 'node:assert/strict';
import { keyId, parseDump, truthKeyBytes, allocatorOf, type Dump } from './truth.ts';

export interface Tally {
  n: number;
  exact: number;
  within5: number;
  truth: number;
  model: number;
}

export const pct = (a: number, b: number) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`);

/** Tally one dump into `all` and print its own figures. */
export function tallyDump(dump: Dump, all: Tally): void {
    const measured = dump.truth.keys.filter((k) => typeof k.extra?.memory_usage_after_reload === 'number');
    const { keys } = parseDump(dump.rdb, allocatorOf(dump));
    const before = { ...all };
    const byEncoding = new Map<string, Tally>();
    const misses: string[] = [];
    for (const k of measured) {
      const want = k.extra!.memory_usage_after_reload!;
      const got = keys.get(keyId(k.db, truthKeyBytes(k)))!.rec.memoryBytes;
      const enc = `${k.type}/${k.encoding}`;
      let t = byEncoding.get(enc);
      if (!t) byEncoding.set(enc, (t = { n: 0, exact: 0, within5: 0, truth: 0, model: 0 }));
      for (const x of [all, t]) {
        x.n++;
        x.truth += want;
        x.model += got;
        if (got === want) x.exact++;
        if (Math.abs(got - want) <= 0.05 * want) x.within5++;
      }
      if (got !== want) misses.push(`${k.key ?? k.key_b64} (${enc}): model ${got}, server ${want} (${pct(got - want, want)})`);
    }
    const lines = [...byEncoding.entries()]
      .sort()
      .map(([e, t]) => `  ${e.padEnd(20)} ${String(t.n).padStart(4)} keys  exact ${pct(t.exact, t.n).padStart(6)}  ±5% ${pct(t.within5, t.n).padStart(6)}  sum ${pct(t.model - t.truth, t.truth)}`);
    const d: Tally = { n: all.n - before.n, exact: all.exact - before.exact, within5: all.within5 - before.within5, truth: all.truth - before.truth, model: all.model - before.model };
    console.log(
      `${dump.name} (${allocatorOf(dump)}): exact ${d.exact}/${d.n} (${pct(d.exact, d.n)}), within 5% ${d.within5}/${d.n} (${pct(d.within5, d.n)}), sum ${d.model} vs ${d.truth} (${pct(d.model - d.truth, d.truth)})\n${lines.join('\n')}` +
        (misses.length ? `\n  not exact:\n    ${misses.join('\n    ')}` : ''),
    );
}

export function assertTargets(all: Tally): void {
  assert.ok(all.n > 0, 'no key with a measured MEMORY USAGE: nothing was compared');
  assert.ok(all.exact >= 0.95 * all.n, `exact for ${all.exact}/${all.n} keys, need 95%`);
  assert.ok(all.within5 >= 0.99 * all.n, `within 5% for ${all.within5}/${all.n} keys, need 99%`);
  assert.ok(Math.abs(all.model - all.truth) <= 0.01 * all.truth, `sum off by ${pct(all.model - all.truth, all.truth)}`);
}
