/**
 * Key namespaces: a bounded trie of key "patterns" built from the key bytes.
 *
 * RULES (the report documents these; keep them in sync with `NAMESPACE_RULES` below)
 *
 * 1. Splitting. A key is split on the separator characters (`--separators`, default `:`;
 *    single ASCII characters, any of them splits). A Redis hash tag `{…}` (a `{`, then the
 *    first `}` after it, with something in between) is never split, even when it contains a
 *    separator: `{user:1000}:followers` has the segments `{user:1000}` and `followers`.
 *    Each trie edge is labelled with the separator that precedes the segment plus the
 *    segment's normalised text, so `a:b` and `a/b` are different namespaces and a pattern is
 *    the plain concatenation of the labels on its path (`cache` + `:product` + `:*`).
 *
 * 2. Identifier segments collapse to `*`. A segment is an identifier when it is
 *    - numeric: digits with at most as many of `- _ . / + :` (integers, `-12`, `1.5`,
 *      dates `2024-01-15`, IPv4 addresses, phone numbers);
 *    - a UUID (8-4-4-4-12 hex);
 *    - a hex run: only hex digits (optionally `0x…`), at least 8 of them, with a decimal digit
 *      among them or at least 16 long (`deadbeef` stays a word, `5f3a9c1d` does not);
 *    - a random token: 16+ characters of `[A-Za-z0-9+/=_-]` whose letters and digits switch
 *      class (lower / upper / digit) on at least 34% of adjacent pairs and that hold a digit
 *      or both cases (base62/base64 session ids; camelCase words switch far less often);
 *    - a hash tag: the whole segment is `{…}`;
 *    - binary: control bytes or bytes that are not valid UTF-8;
 *    - longer than 128 bytes.
 *    A segment that is not an identifier but holds a hash tag keeps its text with the tag
 *    written `{*}` (`{user1000}.following` → `{*}.following`). Otherwise, when it holds `-`,
 *    `_` or `.`, its parts between those are checked (digits only, hex run, token) and the
 *    identifier parts become `*` (`item_123` → `item_*`, `report-2024` → `report-*`).
 *    Every other segment is kept literally (`cache`, `product`, `en`).
 *    Later literal segments stay: `fpc:category:12:store:en` → `fpc:category:*:store:en`.
 *
 * 3. Keys without any separator group by kind: a key that is one identifier lands in
 *    `<number>`, `<uuid>`, `<hex>`, `<token>`, `<binary>`, `<long>` or `{*}`; other such keys
 *    are plain words and keep their (normalised) text (`counter`, `item_*`).
 *
 * 4. `--depth N` keeps N segments; whatever follows becomes one more `*` segment
 *    (depth 2: `a:b:c:d` → `a:b:*`).
 *
 * 5. `--max-children M` (default 1000): a node that would get more than M distinct child
 *    labels collapses: every child with separator `s` is folded into the child `s*` (`*` at
 *    the root), recursively merging their subtrees and adding up their counts, and every later
 *    key reaching that node goes to `s*` too. A collapsed node stays collapsed.
 *
 * 5b. Identifier-like names fold on evidence. A label is identifier-like when its segment mixes
 *    letters with digits (`user42`, `a1b2c3`, `aby_211` → `aby_*`) or holds an identifier part
 *    (`aby_*`, `report-*`). One such label proves little (`v2`, `html5`, `item_*`), many siblings
 *    of that shape are data: a node that would get more than ID_SIBLINGS (16) distinct
 *    identifier-like child labels folds exactly those children into `s*` (merging subtrees and
 *    counts as rule 5 does) and sends every later identifier-like label there too. Literal
 *    siblings stay (`cache:eav:aby_211:de` → `cache:eav:*:de`, with `:de`, `:en` kept below).
 *
 * 6. Hard cap on nodes (default 20000): when the trie would exceed it, the effective
 *    max-children is halved (1000 → 500 → 250 …) and every node with more children than that
 *    collapses as in rule 5, until the trie fits again.
 *
 * EXACTNESS. Each key ends at exactly one node and its figures are added to that node only,
 * and folding moves figures without dropping or duplicating any: the flat list of nodes that
 * hold keys always partitions the keys. Rules 1–5 do not depend on arrival order: the final
 * trie is a function of the set of keys (a node is collapsed iff the keys reaching it have
 * more than M distinct labels, it folds identifier-like labels iff more than ID_SIBLINGS of them
 * reach it, and both only ever grow with more keys), so merging two
 * tries with `mergeFrom` gives the trie of the union: shard reports merge exactly. Rule 6 is
 * a safety valve and may depend on order; reports say when it fired (`capped`).
 */

import { compareBytes, decodeUtf8, isValidUtf8 } from '../core/keyname.ts';

export const NAMESPACE_RULES = [
  'Keys are split on the separators; a {hash tag} is never split.',
  'Identifier segments become *: numbers (also dates, IPs), UUIDs, hex runs of 8+, random tokens of 16+, whole {hash tags}, binary, segments over 128 bytes.',
  'Other segments keep their text; a hash tag inside becomes {*}; parts between - _ . that are identifiers become * (item_123 → item_*).',
  'Keys without a separator that are one identifier land in <number>, <uuid>, <hex>, <token>, <binary>, <long> or {*}.',
  'Segments beyond --depth become one trailing *.',
  'A level with more than 16 distinct identifier-like children (letters mixed with digits: user42, aby_211) folds those into *; literal siblings stay.',
  'A level with more than --max-children distinct children folds them all into * (counts included).',
  'When the trie exceeds its node cap, the effective max-children is halved until it fits.',
] as const;

export interface NamespaceOptions {
  /** Separator characters (each a single ASCII character). Default ':'. */
  separators?: string;
  /** Distinct children a level may have before it collapses to `*`. Default 1000. */
  maxChildren?: number;
  /** Segments kept per key; 0 = unlimited. Default 8. */
  depth?: number;
  /** Hard cap on trie nodes. Default 20000. */
  maxNodes?: number;
}

/** The one set of namespace defaults: the library, `analyze`, `diff` and `merge` all use it (equal defaults let their reports merge). */
export const NAMESPACE_DEFAULTS = { separators: ':', maxChildren: 1000, depth: 8, maxNodes: 20000 } as const;

/** Rule 5b: identifier-like sibling labels a level holds before it folds them into `*`. */
export const ID_SIBLINGS = 16;

/**
 * Rule 5b: the segment of a label (`lab[start, n)`, after any separator) is identifier-like:
 * letters mixed with digits, or text around an identifier part `*`. `*` alone and hash tags
 * (`{*}`) are not.
 */
export function idLikeLabel(lab: Uint8Array, start: number, n: number): boolean {
  if (n - start <= 1) return false;
  let letter = false;
  let digit = false;
  let star = false;
  for (let i = start; i < n; i++) {
    const c = lab[i];
    if (c >= 48 && c <= 57) digit = true;
    else if ((c | 0x20) >= 97 && (c | 0x20) <= 122) letter = true;
    else if (c === STAR && !(i > start && lab[i - 1] === 123)) star = true;
  }
  return star || (letter && digit);
}

export interface ResolvedNamespaceOptions {
  separators: string;
  maxChildren: number;
  depth: number;
  maxNodes: number;
}

export function resolveNamespaceOptions(o: NamespaceOptions = {}): ResolvedNamespaceOptions {
  const separators = o.separators ?? NAMESPACE_DEFAULTS.separators;
  for (const ch of separators) {
    if (ch.length !== 1 || ch.charCodeAt(0) > 0x7e || ch.charCodeAt(0) < 0x21 || ch === '{' || ch === '}' || ch === '*') {
      throw new Error(`separator ${JSON.stringify(ch)}: separators must be printable ASCII characters other than { } *`);
    }
  }
  const maxChildren = o.maxChildren ?? NAMESPACE_DEFAULTS.maxChildren;
  const depth = o.depth ?? NAMESPACE_DEFAULTS.depth;
  const maxNodes = o.maxNodes ?? NAMESPACE_DEFAULTS.maxNodes;
  if (!Number.isInteger(maxChildren) || maxChildren < 1) throw new Error(`max-children must be a positive integer, got ${maxChildren}`);
  if (!Number.isInteger(depth) || depth < 0) throw new Error(`depth must be a non-negative integer, got ${depth}`);
  if (!Number.isInteger(maxNodes) || maxNodes < 16) throw new Error(`the namespace node cap must be an integer ≥ 16, got ${maxNodes}`);
  return { separators: [...new Set(separators)].join(''), maxChildren, depth, maxNodes };
}

/** Segments longer than this are identifiers (data, not structure). */
const MAX_SEGMENT = 128;
const STAR = 42; // '*'

export type SegmentKind = 'word' | 'number' | 'uuid' | 'hex' | 'token' | 'tag' | 'binary' | 'long';

const BARE_LABEL: Record<Exclude<SegmentKind, 'word'>, string> = {
  number: '<number>',
  uuid: '<uuid>',
  hex: '<hex>',
  token: '<token>',
  tag: '{*}',
  binary: '<binary>',
  long: '<long>',
};

/**
 * Hash tag: for the '{' at `open`, the index of the first '}' after it when at least one byte
 * lies between them (Redis' rule), else -1.
 */
function closingBrace(b: Uint8Array, open: number, e: number): number {
  for (let j = open + 1; j < e; j++) {
    if (b[j] === 125) return j > open + 1 ? j : -1;
  }
  return -1;
}

/** Identifier test for a part of a segment (between `- _ .`): digits only, hex run, token. */
function isIdPart(b: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  if (n === 0) return false;
  let digits = 0;
  let hex = 0;
  let upper = 0;
  let lower = 0;
  let trans = 0;
  let prev = -1;
  for (let i = s; i < e; i++) {
    const c = b[i];
    let cls: number;
    if (c >= 48 && c <= 57) {
      digits++;
      cls = 2;
    } else if (c >= 97 && c <= 122) {
      lower++;
      if (c <= 102) hex++;
      cls = 0;
    } else if (c >= 65 && c <= 90) {
      upper++;
      if (c <= 70) hex++;
      cls = 1;
    } else return false;
    if (prev >= 0 && cls !== prev) trans++;
    prev = cls;
  }
  if (digits === n) return true;
  if (digits + hex === n && n >= 8 && (digits > 0 || n >= 16)) return true;
  return n >= 16 && trans >= 0.34 * (n - 1) && (digits > 0 || (upper >= 2 && lower >= 2));
}

/**
 * Splits and normalises keys. Holds a scratch buffer: `label(…)` writes the normalised label
 * of one segment into `out[0, len)`.
 */
export class Segmenter {
  readonly opts: ResolvedNamespaceOptions;
  /** isSep[byte] = 1 for separator bytes. */
  private readonly isSep = new Uint8Array(256);
  /** Per byte: its class bit (1 << CLS[byte]) | SEP_BIT for separators. */
  private readonly table: Uint16Array;
  /** Normalised label of the last segment: `out[0, len)`. */
  out = new Uint8Array(512);
  len = 0;
  /** Kind of the last segment. */
  kind: SegmentKind = 'word';

  constructor(opts: NamespaceOptions | ResolvedNamespaceOptions = {}) {
    this.opts = resolveNamespaceOptions(opts);
    for (let i = 0; i < this.opts.separators.length; i++) this.isSep[this.opts.separators.charCodeAt(i)] = 1;
    this.table = new Uint16Array(256);
    for (let c = 0; c < 256; c++) this.table[c] = (1 << CLS[c]) | (this.isSep[c] === 1 ? SEP_BIT : 0);
  }

  /** End of the segment starting at `s` (index of the next separator, or `e`); skips over hash tags. */
  segmentEnd(b: Uint8Array, s: number, e: number): number {
    const isSep = this.isSep;
    let tagDone = false;
    for (let i = s; i < e; i++) {
      const c = b[i];
      if (isSep[c] === 1) return i;
      if (c === 123 && !tagDone) {
        tagDone = true;
        // A hash tag: the first '}' after the '{', with at least one byte in between.
        const close = closingBrace(b, i, e);
        if (close > 0) i = close;
      }
    }
    return e;
  }

  /**
   * Writes the label of segment `b[s, e)` preceded by separator byte `sep` (-1 for none) into
   * `out`; `bare` = the key has no separator at all. Returns the label length.
   */
  label(sep: number, b: Uint8Array, s: number, e: number, bare: boolean, kind: SegmentKind = classify(b, s, e)): number {
    let o = 0;
    const out = this.out;
    if (sep >= 0) out[o++] = sep;
    this.kind = kind;
    if (kind !== 'word') {
      if (bare) {
        const t = BARE_LABEL[kind];
        for (let i = 0; i < t.length; i++) out[o++] = t.charCodeAt(i);
      } else out[o++] = STAR;
      return (this.len = o);
    }
    return (this.len = writeWord(out, o, b, s, e));
  }

  /** After `scan`: FNV hash of separator + raw segment bytes (the label when `simple`). */
  rawHash = 0;
  /** After `scan`: the segment is a word whose label is its raw bytes (no `- _ .`, no brace). */
  simple = false;

  /**
   * Fast path of `segmentEnd` + `label`: one pass to the next separator that hashes the raw
   * bytes and ORs their class bits; letters-only and digits-only segments are decided from
   * that, the rest get a second, counting pass (`classify`). Returns the segment end, or -1
   * when the segment holds a brace (hash tags: use the slow path). Sets `kind`, `simple`,
   * `rawHash`.
   */
  scan(sep: number, b: Uint8Array, s: number, e: number): number {
    const t = this.table;
    let h = FNV_OFFSET;
    if (sep >= 0) h = Math.imul(h ^ sep, FNV_PRIME);
    let m = 0;
    let i = s;
    for (; i < e; i++) {
      const c = b[i];
      const k = t[c];
      if (k & SEP_BIT) break;
      m |= k;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    if (m & BIT_BRACE) return -1;
    this.rawHash = h & 0x3fffffff;
    const n = i - s;
    let kind: SegmentKind;
    if (m === BIT_DIGIT && n <= MAX_SEGMENT) kind = 'number';
    else if ((m & ~ALNUM_BITS) === 0 && n < 16) {
      // Letters and digits, shorter than a token: a hex run or a word.
      kind = n >= 8 && (m & ~HEX_BITS) === 0 && (m & BIT_DIGIT) !== 0 ? 'hex' : 'word';
    } else if ((m & ~HEX_BITS) === 0 && n <= MAX_SEGMENT && (m & BIT_DIGIT) !== 0) kind = 'hex';
    else kind = classify(b, s, i);
    this.kind = kind;
    this.simple = kind === 'word' && (m & (BIT_DASH | BIT_DOT)) === 0;
    return i;
  }

  /** The separator-prefixed `*` label (`*` alone when `sep` < 0). */
  star(sep: number): number {
    let o = 0;
    if (sep >= 0) this.out[o++] = sep;
    this.out[o++] = STAR;
    this.kind = 'word';
    return (this.len = o);
  }

  /**
   * The pattern of one key on its own (rules 1–4, without the trie's collapsing): what the
   * key would be filed under if no level ever overflowed. Allocates; not for the hot path.
   */
  pattern(b: Uint8Array, s = 0, e = b.length): string {
    let out = '';
    this.forEachLabel(b, s, e, (label) => {
      out += label;
    });
    return out;
  }

  /** Calls `fn` with each label of the key (decoded), in order. */
  forEachLabel(b: Uint8Array, s: number, e: number, fn: (label: string) => void): void {
    const depth = this.opts.depth;
    let pos = s;
    let sep = -1;
    let level = 0;
    for (;;) {
      if (depth > 0 && level === depth) {
        const n = this.star(sep);
        fn(decodeUtf8(this.out, 0, n));
        return;
      }
      const end = this.segmentEnd(b, pos, e);
      const n = this.label(sep, b, pos, end, level === 0 && end === e);
      fn(decodeUtf8(this.out, 0, n));
      if (end >= e) return;
      sep = b[end];
      pos = end + 1;
      level++;
    }
  }
}

/** Byte classes for the classifier (one table lookup per byte). */
const C_DIGIT = 0;
const C_LHEX = 1; // a-f
const C_LOWER = 2; // g-z
const C_UHEX = 3; // A-F
const C_UPPER = 4; // G-Z
const C_DASH = 5; // - _   (numeric punctuation, token character, part delimiter)
const C_DOT = 6; // .      (numeric punctuation, part delimiter)
const C_COLON = 7; // :    (numeric punctuation)
const C_SLASH = 8; // / +  (numeric punctuation, token character)
const C_EQ = 9; // =       (token character)
const C_HIGH = 10; // >= 0x80
const C_CTL = 11; // control
const C_BRACE = 12; // { }
const C_OTHER = 13;
const CLS = new Uint8Array(256);
/** 0 lower, 1 upper, 2 digit, 3 none (for case/digit transitions). */
const ALNUM = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  let k = C_OTHER;
  let a = 3;
  if (c >= 48 && c <= 57) [k, a] = [C_DIGIT, 2];
  else if (c >= 97 && c <= 122) [k, a] = [c <= 102 ? C_LHEX : C_LOWER, 0];
  else if (c >= 65 && c <= 90) [k, a] = [c <= 70 ? C_UHEX : C_UPPER, 1];
  else if (c >= 0x80) k = C_HIGH;
  else if (c < 0x20 || c === 0x7f) k = C_CTL;
  else if (c === 45 || c === 95) k = C_DASH;
  else if (c === 46) k = C_DOT;
  else if (c === 58) k = C_COLON;
  else if (c === 47 || c === 43) k = C_SLASH;
  else if (c === 61) k = C_EQ;
  else if (c === 123 || c === 125) k = C_BRACE;
  CLS[c] = k;
  ALNUM[c] = a;
}

const SEP_BIT = 1 << 15;
const BIT_DIGIT = 1 << C_DIGIT;
const BIT_DASH = 1 << C_DASH;
const BIT_DOT = 1 << C_DOT;
const BIT_BRACE = 1 << C_BRACE;
const LETTER_BITS = (1 << C_LHEX) | (1 << C_LOWER) | (1 << C_UHEX) | (1 << C_UPPER);
const ALNUM_BITS = LETTER_BITS | BIT_DIGIT;
const HEX_BITS = (1 << C_LHEX) | (1 << C_UHEX) | BIT_DIGIT;

/** Rule 2 from the byte-class counts of `b[s, e)` (braces already handled). */
function decide(cnt: Int32Array, trans: number, b: Uint8Array, s: number, e: number): SegmentKind {
  const n = e - s;
  if (n === 0) return 'word';
  if (n > MAX_SEGMENT) return 'long';
  if (cnt[C_CTL] > 0) return 'binary';
  if (cnt[C_HIGH] > 0) return isValidUtf8(b, s, e) ? 'word' : 'binary';
  const digits = cnt[C_DIGIT];
  const hexAlpha = cnt[C_LHEX] + cnt[C_UHEX];
  const alpha = hexAlpha + cnt[C_LOWER] + cnt[C_UPPER];
  const numPunct = cnt[C_DASH] + cnt[C_DOT] + cnt[C_COLON] + cnt[C_SLASH];
  const tokenPunct = cnt[C_DASH] + cnt[C_SLASH] + cnt[C_EQ];
  if (digits > 0 && digits + numPunct === n && digits >= numPunct) return 'number';
  if (n === 36 && b[s + 8] === 45 && b[s + 13] === 45 && b[s + 18] === 45 && b[s + 23] === 45 && digits + hexAlpha === 32) {
    return 'uuid';
  }
  if (digits + alpha === n) {
    if (digits + hexAlpha === n && n >= 8 && (digits > 0 || n >= 16)) return 'hex';
    if (n >= 10 && b[s] === 48 && (b[s + 1] | 0x20) === 120 && digits + hexAlpha === n - 1) return 'hex';
  }
  const alnum = digits + alpha;
  if (n >= 16 && alnum + tokenPunct === n && alnum >= 12) {
    const upper = cnt[C_UHEX] + cnt[C_UPPER];
    const lower = alpha - upper;
    if (trans >= 0.34 * (alnum - 1) && (digits > 0 || (upper >= 2 && lower >= 2))) return 'token';
  }
  return 'word';
}

const classifyCounts = new Int32Array(14);

/** Classifies `b[s, e)` (rule 2). */
export function classify(b: Uint8Array, s: number, e: number): SegmentKind {
  const n = e - s;
  if (n === 0) return 'word';
  if (n > MAX_SEGMENT) return 'long';
  const cnt = classifyCounts;
  cnt.fill(0);
  let trans = 0;
  let prev = 3;
  for (let i = s; i < e; i++) {
    const c = b[i];
    cnt[CLS[c]]++;
    const a = ALNUM[c];
    if (a !== 3) {
      if (prev !== 3 && a !== prev) trans++;
      prev = a;
    }
  }
  if (cnt[C_BRACE] > 0 && cnt[C_CTL] === 0 && cnt[C_HIGH] === 0) {
    return b[s] === 123 && closingBrace(b, s, e) === e - 1 ? 'tag' : 'word';
  }
  return decide(cnt, trans, b, s, e);
}

/** Writes the normalised text of a word segment (hash tag → `{*}`, identifier parts → `*`). */
function writeWord(out: Uint8Array, o: number, b: Uint8Array, s: number, e: number): number {
  // A hash tag inside the segment: the first '{' and the first '}' after it, non-empty.
  let tagStart = -1;
  let tagEnd = -1;
  let tagTried = false;
  let hasDelim = false;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c === 123 && !tagTried) {
      tagTried = true;
      const close = closingBrace(b, i, e);
      if (close > 0) {
        tagStart = i;
        tagEnd = close + 1;
      }
    } else if (c === 45 || c === 95 || c === 46) hasDelim = true;
  }
  if (tagStart >= 0) {
    for (let i = s; i < tagStart; i++) out[o++] = b[i];
    out[o++] = 123;
    out[o++] = STAR;
    out[o++] = 125;
    for (let i = tagEnd; i < e; i++) out[o++] = b[i];
    return o;
  }
  if (!hasDelim) {
    for (let i = s; i < e; i++) out[o++] = b[i];
    return o;
  }
  let p = s;
  for (let i = s; i <= e; i++) {
    const c = i < e ? b[i] : -1;
    if (c === 45 || c === 95 || c === 46 || c === -1) {
      if (isIdPart(b, p, i)) out[o++] = STAR;
      else for (let k = p; k < i; k++) out[o++] = b[k];
      if (c >= 0) out[o++] = c;
      p = i + 1;
    }
  }
  return o;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

function hashBytes(b: Uint8Array, s: number, e: number): number {
  let h = FNV_OFFSET;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], FNV_PRIME);
  return h & 0x3fffffff;
}

/** True when `label` is `sep` (if >= 0) followed by `b[s, e)`. */
function sameRaw(label: Uint8Array, sep: number, b: Uint8Array, s: number, e: number): boolean {
  let o = 0;
  if (sep >= 0) {
    if (label[0] !== sep) return false;
    o = 1;
  }
  if (label.length !== o + e - s) return false;
  for (let i = s; i < e; i++) if (label[o++] !== b[i]) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array, n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

const textEncoder = new TextEncoder();

/** One trie node; `data` holds the figures of the keys that end exactly here. */
export class NsNode<D> {
  /** Label bytes: separator (except under the root) + normalised segment. */
  labelBytes: Uint8Array;
  label: string;
  hash: number;
  collapsed = false;
  /** Rule 5b fired here: identifier-like child labels go to `*`. */
  foldedIds = false;
  children: Map<number, NsNode<D>> | null = null;
  childCount = 0;
  /** Children whose labels are identifier-like (rule 5b). */
  idKids = 0;
  /** Next node with the same hash under the same parent. */
  nextSameHash: NsNode<D> | null = null;
  /** Cache of the `*` child for separator `starSep`, valid while the trie epoch is `starEpoch`. */
  starChild: NsNode<D> | null = null;
  starSep = -2;
  starEpoch = -1;
  data: D | null = null;

  constructor(labelBytes: Uint8Array, label: string) {
    this.labelBytes = labelBytes;
    this.label = label;
    this.hash = hashBytes(labelBytes, 0, labelBytes.length);
  }

  /** Children, in no particular order. */
  childList(): NsNode<D>[] {
    const out: NsNode<D>[] = [];
    if (this.children === null) return out;
    for (const first of this.children.values()) {
      for (let c: NsNode<D> | null = first; c !== null; c = c.nextSameHash) out.push(c);
    }
    return out;
  }
}

/** Serialisable shape of the trie (without data), for reports. */
export interface TrieShape<T> {
  label: string;
  collapsed: boolean;
  /** Rule 5b fired at this node (absent in shapes from older reports: false). */
  foldedIds?: boolean;
  data: T | null;
  children: TrieShape<T>[];
}

/**
 * The bounded namespace trie. `D` is the per-node payload the caller keeps (figures of the
 * keys ending at the node); `mergeData(dst, src)` adds `src` into `dst` when nodes fold.
 */
export class NamespaceTrie<D> {
  readonly opts: ResolvedNamespaceOptions;
  readonly root: NsNode<D> = new NsNode<D>(new Uint8Array(0), '');
  /** Nodes, the root excluded. */
  nodeCount = 0;
  /** max-children in force (rule 6 lowers it). */
  effectiveMaxChildren: number;
  /** Structural changes so far (collapses); a route restarts when one happens under it. */
  private epoch = 0;
  private readonly seg: Segmenter;

  constructor(
    opts: NamespaceOptions | ResolvedNamespaceOptions,
    private readonly mergeData: (dst: D, src: D) => void,
  ) {
    this.opts = resolveNamespaceOptions(opts);
    this.seg = new Segmenter(this.opts);
    this.effectiveMaxChildren = this.opts.maxChildren;
  }

  /** True once rule 6 fired (the effective max-children is below the configured one). */
  get capped(): boolean {
    return this.effectiveMaxChildren < this.opts.maxChildren;
  }

  /** The node key `b[s, e)` is filed under (created as needed). Hot path. */
  insert(b: Uint8Array, s: number, e: number): NsNode<D> {
    for (;;) {
      const epoch = this.epoch;
      const node = this.route(b, s, e);
      if (epoch === this.epoch) return node;
      // The trie changed shape while routing: route again (keys are only added at the end).
    }
  }

  private route(b: Uint8Array, s: number, e: number): NsNode<D> {
    const seg = this.seg;
    const depth = this.opts.depth;
    let node = this.root;
    let pos = s;
    let sep = -1;
    let level = 0;
    for (;;) {
      if (depth > 0 && level === depth) {
        seg.star(sep);
        return this.child(node, seg.out, seg.len, sep);
      }
      const epoch = this.epoch;
      let end = seg.scan(sep, b, pos, e);
      const braces = end < 0;
      if (braces) end = seg.segmentEnd(b, pos, e);
      const bare = level === 0 && end === e;
      if (!braces && seg.simple && !node.collapsed) {
        // Fast path: a plain word, looked up by its raw bytes without building the label.
        let c: NsNode<D> | null = node.children === null ? null : (node.children.get(seg.rawHash) ?? null);
        while (c !== null && !sameRaw(c.labelBytes, sep, b, pos, end)) c = c.nextSameHash;
        if (c === null) {
          seg.label(sep, b, pos, end, bare);
          c = this.child(node, seg.out, seg.len, sep);
        }
        node = c;
      } else if (node.collapsed || (!braces && seg.kind !== 'word' && !bare)) {
        // The `*` child: a collapsed level, or an identifier segment.
        if (node.starSep === sep && node.starEpoch === epoch && node.starChild !== null) node = node.starChild;
        else {
          seg.star(sep);
          const c = this.child(node, seg.out, seg.len, sep);
          if (epoch === this.epoch) {
            node.starChild = c;
            node.starSep = sep;
            node.starEpoch = epoch;
          }
          node = c;
        }
      } else {
        // scan() already classified a segment without braces: no second pass over it.
        seg.label(sep, b, pos, end, bare, braces ? undefined : seg.kind);
        node = this.child(node, seg.out, seg.len, sep);
      }
      if (epoch !== this.epoch) return node;
      if (end >= e) return node;
      sep = b[end];
      pos = end + 1;
      level++;
    }
  }

  /** Finds or creates the child labelled `lab[0, n)`. */
  private child(node: NsNode<D>, lab: Uint8Array, n: number, sep: number): NsNode<D> {
    if (node.collapsed || (node.foldedIds && idLikeLabel(lab, sep >= 0 ? 1 : 0, n))) {
      n = this.seg.star(sep);
      lab = this.seg.out;
    }
    const found = this.lookupRange(node, lab, n);
    if (found !== null) return found;
    const bytes = lab.slice(0, n);
    const c = new NsNode<D>(bytes, decodeUtf8(bytes, 0, n));
    this.attach(node, c, sep >= 0 ? 2 : 1);
    this.nodeCount++;
    if (node.childCount > this.effectiveMaxChildren) this.collapse(node, sep >= 0 ? 2 : 1);
    else if (!node.collapsed && !node.foldedIds && node.idKids > ID_SIBLINGS) this.foldIds(node, sep >= 0 ? 2 : 1);
    if (this.nodeCount > this.opts.maxNodes) this.enforceCap();
    return c;
  }

  /** `childDepth`: 1 under the root (labels without a separator), else 2. */
  private attach(node: NsNode<D>, c: NsNode<D>, childDepth: number): void {
    if (node.children === null) node.children = new Map();
    c.nextSameHash = node.children.get(c.hash) ?? null;
    node.children.set(c.hash, c);
    node.childCount++;
    if (idLikeLabel(c.labelBytes, childDepth > 1 ? 1 : 0, c.labelBytes.length)) node.idKids++;
  }

  /** Rule 5b: folds the identifier-like children of `node` into `*`. */
  private foldIds(node: NsNode<D>, childDepth: number): void {
    this.epoch++;
    node.foldedIds = true;
    this.refold(node, childDepth);
  }

  private static starOf(labelBytes: Uint8Array, childDepth: number): Uint8Array {
    return childDepth > 1 ? new Uint8Array([labelBytes[0], STAR]) : new Uint8Array([STAR]);
  }

  /** Rule 5: folds every child of `node` into its separator's `*` child (`childDepth`: 1 under the root). */
  private collapse(node: NsNode<D>, childDepth: number): void {
    this.epoch++;
    node.collapsed = true;
    this.refold(node, childDepth);
  }

  /** Re-files `node`'s children under star labels (node is collapsed). */
  private refold(node: NsNode<D>, childDepth: number): void {
    const old = node.childList();
    node.children = null;
    node.childCount = 0;
    node.idKids = 0;
    for (const c of old) this.adopt(node, c, childDepth);
  }

  /** Attaches subtree `c` under `node` (relabelled to `*` when `node` is collapsed), merging with an existing child. */
  private adopt(node: NsNode<D>, c: NsNode<D>, childDepth: number): void {
    let lab = c.labelBytes;
    if (node.collapsed || (node.foldedIds && idLikeLabel(lab, childDepth > 1 ? 1 : 0, lab.length))) {
      const star = NamespaceTrie.starOf(lab, childDepth);
      if (!sameBytes(lab, star, star.length)) {
        lab = star;
        c.labelBytes = star;
        c.label = decodeUtf8(star, 0, star.length);
        c.hash = hashBytes(star, 0, star.length);
      }
    }
    const ex = this.lookupRange(node, lab, lab.length);
    if (ex === null) {
      c.nextSameHash = null;
      this.attach(node, c, childDepth);
      if (!node.collapsed && node.childCount > this.effectiveMaxChildren) this.collapse(node, childDepth);
      else if (!node.collapsed && !node.foldedIds && node.idKids > ID_SIBLINGS) this.foldIds(node, childDepth);
    } else {
      this.mergeNode(ex, c, childDepth);
    }
  }

  /** Merges subtree `src` into `dst` (same label); `src` is discarded. */
  private mergeNode(dst: NsNode<D>, src: NsNode<D>, depth: number): void {
    this.nodeCount--;
    if (src.data !== null) {
      if (dst.data === null) dst.data = src.data;
      else this.mergeData(dst.data, src.data);
    }
    if (src.collapsed && !dst.collapsed) this.collapse(dst, depth + 1);
    if (src.foldedIds && !dst.foldedIds && !dst.collapsed) this.foldIds(dst, depth + 1);
    for (const c of src.childList()) this.adopt(dst, c, depth + 1);
  }

  /** Rule 6. */
  private enforceCap(): void {
    while (this.nodeCount > this.opts.maxNodes && this.effectiveMaxChildren > 1) {
      this.epoch++;
      this.effectiveMaxChildren = Math.max(1, Math.floor(this.effectiveMaxChildren / 2));
      this.recollapse(this.root, 0);
    }
  }

  /** Collapses every node with more children than the effective max (top-down). */
  private recollapse(node: NsNode<D>, depth: number): void {
    if (!node.collapsed && node.childCount > this.effectiveMaxChildren) this.collapse(node, depth + 1);
    for (const c of node.childList()) this.recollapse(c, depth + 1);
  }

  /**
   * Merges another trie into this one (shard reports). Both must use the same options; the
   * lower effective max-children of the two is kept.
   */
  mergeFrom(other: NamespaceTrie<D>): void {
    this.epoch++;
    if (other.effectiveMaxChildren < this.effectiveMaxChildren) {
      this.effectiveMaxChildren = other.effectiveMaxChildren;
      this.recollapse(this.root, 0);
    }
    this.nodeCount += other.nodeCount + 1; // mergeNode discounts the other root and every merged node
    this.mergeNode(this.root, other.root, 0);
    if (other.effectiveMaxChildren > this.effectiveMaxChildren) this.recollapse(this.root, 0);
    this.enforceCap();
  }

  /**
   * The pattern a key is filed under in the trie as it stands, without changing it: follows the
   * labels, taking `*` where a level collapsed. For keys that were inserted this is where they
   * are counted.
   */
  patternOf(b: Uint8Array, s = 0, e = b.length): string {
    const seg = this.seg;
    const depth = this.opts.depth;
    let node = this.root;
    let pattern = '';
    let pos = s;
    let sep = -1;
    let level = 0;
    for (;;) {
      const atDepth = depth > 0 && level === depth;
      let end = e;
      let n: number;
      if (atDepth) n = seg.star(sep);
      else {
        end = seg.segmentEnd(b, pos, e);
        n = seg.label(sep, b, pos, end, level === 0 && end === e);
      }
      if (node.collapsed) n = seg.star(sep);
      let c = this.lookupRange(node, seg.out, n);
      if (c === null) c = this.lookupRange(node, seg.out, (n = seg.star(sep)));
      // Not in the trie (a key that was never inserted): its own label, then * for the rest.
      if (c === null) return pattern + decodeUtf8(seg.out, 0, n) + (end < e ? String.fromCharCode(b[end]) + '*' : '');
      pattern += c.label;
      node = c;
      if (atDepth || end >= e) return pattern;
      sep = b[end];
      pos = end + 1;
      level++;
    }
  }

  private lookupRange(node: NsNode<D>, lab: Uint8Array, n: number): NsNode<D> | null {
    if (node.children === null) return null;
    for (let c = node.children.get(hashBytes(lab, 0, n)) ?? null; c !== null; c = c.nextSameHash) {
      if (sameBytes(c.labelBytes, lab, n)) return c;
    }
    return null;
  }

  /** Visits every node with its pattern (depth-first, children sorted by label). */
  walk(fn: (node: NsNode<D>, pattern: string, depth: number) => void): void {
    const visit = (node: NsNode<D>, pattern: string, depth: number): void => {
      fn(node, pattern, depth);
      for (const c of sortedChildren(node)) visit(c, pattern + c.label, depth + 1);
    };
    visit(this.root, '', 0);
  }

  /** The trie as plain data (children sorted by label), with `data` mapped by `fn`. */
  toShape<T>(fn: (d: D) => T): TrieShape<T> {
    const build = (node: NsNode<D>): TrieShape<T> => ({
      label: node.label,
      collapsed: node.collapsed,
      foldedIds: node.foldedIds,
      data: node.data === null ? null : fn(node.data),
      children: sortedChildren(node).map(build),
    });
    return build(this.root);
  }

  /** Rebuilds a trie from `toShape` output (report merging). */
  static fromShape<T, D>(
    shape: TrieShape<T>,
    opts: NamespaceOptions | ResolvedNamespaceOptions,
    effectiveMaxChildren: number,
    mergeData: (dst: D, src: D) => void,
    fn: (t: T) => D,
  ): NamespaceTrie<D> {
    const trie = new NamespaceTrie<D>(opts, mergeData);
    trie.effectiveMaxChildren = Math.min(trie.opts.maxChildren, effectiveMaxChildren);
    const fill = (node: NsNode<D>, s: TrieShape<T>): void => {
      node.collapsed = s.collapsed;
      node.foldedIds = s.foldedIds === true;
      node.data = s.data === null ? null : fn(s.data);
      for (const cs of s.children) {
        const bytes = textEncoder.encode(cs.label);
        const c = new NsNode<D>(bytes, cs.label);
        trie.attach(node, c, node === trie.root ? 1 : 2);
        trie.nodeCount++;
        fill(c, cs);
      }
    };
    fill(trie.root, shape);
    return trie;
  }
}

export function sortedChildren<D>(node: NsNode<D>): NsNode<D>[] {
  return node.childList().sort((a, b) => compareBytes(a.labelBytes, b.labelBytes));
}
