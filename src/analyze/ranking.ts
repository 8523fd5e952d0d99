/**
 * Namespace groups ranked by rolled-up bytes (`report.namespaceRanking`, documented with
 * `RankedNamespace` in schema.ts), and the short list of them the terminal and report.md show.
 *
 * Why groups rather than the flat `namespaces`: a consumer split over a few literal children
 * (`fpc:category:*:store:{default,de,en,fr}`) is four mid-sized rows there, and a smaller
 * namespace in one piece looks like the top consumer. A group is a level whose children are
 * all leaves, so the split consumer ranks as one with its parts below, and groups still
 * partition the keys (their shares add up to the whole).
 */

import type { NamespaceTreeNode, RankedNamespace } from './schema.ts';
import { cmpStr, round6 } from '../core/units.ts';

/** Groups kept in report.json. */
export const RANKING_MAX = 100;

type Part = RankedNamespace['parts'][number];

function figures(pattern: string, keys: number, bytes: number, noTtlKeys: number, noTtlBytes: number): Part {
  return { pattern, keys, bytes, noTtlKeys, noTtlBytes };
}

/** Figures of the keys ending exactly at `n` (its roll-up minus its children's). */
function own(n: NamespaceTreeNode): Part {
  let keys = n.keys;
  let bytes = n.bytes;
  let noTtlKeys = n.noTtlKeys;
  let noTtlBytes = n.noTtlBytes;
  for (const c of n.children) {
    keys -= c.keys;
    bytes -= c.bytes;
    noTtlKeys -= c.noTtlKeys;
    noTtlBytes -= c.noTtlBytes;
  }
  return figures(n.pattern, keys, bytes, noTtlKeys, noTtlBytes);
}

const byBytes = (a: Part, b: Part): number => b.bytes - a.bytes || b.keys - a.keys || cmpStr(a.pattern, b.pattern);

export function rankNamespaces(tree: NamespaceTreeNode, totalBytes: number): RankedNamespace[] {
  const out: RankedNamespace[] = [];
  const share = (b: number): number => (totalBytes > 0 ? round6(b / totalBytes) : 0);
  // `chain`: the deepest `*` level among the key-less, single-child ancestors leading here.
  const visit = (n: NamespaceTreeNode, chain: string | null, isRoot: boolean): void => {
    const leafKids = n.children.length > 0 && n.children.every((c) => c.children.length === 0);
    if (!isRoot && (n.children.length === 0 || leafKids)) {
      const parts = n.children.map((c) => figures(c.pattern, c.keys, c.bytes, c.noTtlKeys, c.noTtlBytes));
      if (n.ownKeys > 0 && parts.length > 0) parts.push(own(n));
      parts.sort(byBytes);
      // One namespace inside: the group is that namespace.
      const single = parts.length === 1 && n.ownKeys === 0;
      const starHere = n.label.endsWith('*') ? n.pattern : null;
      out.push({
        pattern: single ? parts[0].pattern : (starHere ?? chain ?? n.pattern),
        node: n.pattern,
        keys: n.keys,
        bytes: n.bytes,
        noTtlKeys: n.noTtlKeys,
        noTtlBytes: n.noTtlBytes,
        share: share(n.bytes),
        parts: single ? [] : parts,
        collapsed: n.collapsed || n.foldedIds === true,
      });
      return;
    }
    if (!isRoot && n.ownKeys > 0) {
      const o = own(n);
      out.push({ ...o, node: n.pattern, share: share(o.bytes), parts: [], collapsed: false });
    }
    const passOn = !isRoot && n.ownKeys === 0 && n.children.length === 1;
    const next = passOn ? (n.label.endsWith('*') ? n.pattern : chain) : null;
    for (const c of n.children) visit(c, next, false);
  };
  visit(tree, null, true);
  out.sort((a, b) => b.bytes - a.bytes || b.keys - a.keys || cmpStr(a.pattern, b.pattern));
  return out.slice(0, RANKING_MAX);
}

/** The short list: groups until `cover` of the bytes is explained or `maxRows` are shown. */
export function shortRanking(ranking: readonly RankedNamespace[], cover = 0.85, maxRows = 10): { rows: RankedNamespace[]; share: number } {
  const rows: RankedNamespace[] = [];
  let covered = 0;
  for (const g of ranking) {
    if (rows.length >= maxRows || covered >= cover) break;
    rows.push(g);
    covered += g.share;
  }
  return { rows, share: round6(Math.min(1, covered)) };
}

/** A part's pattern relative to its group's name (`fpc:category:*` + `:store:de`), else whole. */
export function partLabel(group: RankedNamespace, part: string): string {
  return part.length > group.pattern.length && part.startsWith(group.pattern) ? '…' + part.slice(group.pattern.length) : part;
}

/**
 * Why some levels show `*` and how to split them, for readers of the short list: levels that
 * overflowed --max-children, levels that folded identifier-like names, keys cut by --depth.
 * Empty when nothing was folded.
 */
export function foldingNotes(r: { options: { maxChildren: number; depth: number }; namespaceInfo: { collapsed: string[]; foldedIds?: string[]; effectiveMaxChildren: number }; namespaceTree: NamespaceTreeNode }): string[] {
  const out: string[] = [];
  const list = (l: string[]): string => l.slice(0, 3).map((p) => (p === '' ? '(top level)' : p)).join(', ') + (l.length > 3 ? ` and ${l.length - 3} more` : '');
  const info = r.namespaceInfo;
  if (info.collapsed.length > 0) {
    out.push(`${list(info.collapsed)}: more than ${info.effectiveMaxChildren} sub-namespaces, folded into *; raise --max-children (now ${r.options.maxChildren}) to split them.`);
  }
  const ids = info.foldedIds ?? [];
  if (ids.length > 0) out.push(`${list(ids)}: many identifier-like names (word+digits), folded into *.`);
  if (r.options.depth > 0 && deeperThan(r.namespaceTree, r.options.depth)) {
    out.push(`Keys with more than ${r.options.depth} segments end in *; raise --depth (now ${r.options.depth}, 0 = all) to see deeper levels.`);
  }
  return out;
}

function deeperThan(n: NamespaceTreeNode, depth: number): boolean {
  if (depth < 0) return true;
  return n.children.some((c) => deeperThan(c, depth - 1));
}
