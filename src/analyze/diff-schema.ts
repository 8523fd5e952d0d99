/**
 * The `diff.json` layout (`DiffReport`), apart from the code that computes it so the HTML page
 * (browser code, see page/) can use the very same types. Conventions are schema.ts's.
 */

import type { KeyEntry } from './schema.ts';
import type { RedisType } from '../core/types.ts';

export const DIFF_SCHEMA = 'rdbscope.diff';
export const DIFF_SCHEMA_VERSION = 1;

/** Old and new figures plus their differences (new − old). */
export interface FigureDelta {
  oldKeys: number;
  newKeys: number;
  keysDelta: number;
  oldBytes: number;
  newBytes: number;
  bytesDelta: number;
  /** bytesDelta / oldBytes; null when oldBytes is 0. */
  growth: number | null;
  oldNoTtlKeys: number;
  newNoTtlKeys: number;
  noTtlKeysDelta: number;
  oldNoTtlBytes: number;
  newNoTtlBytes: number;
  noTtlBytesDelta: number;
}

/** appeared: no keys before; vanished: no keys now; changed: keys on both sides, some figure differs. */
export type ChangeStatus = 'appeared' | 'vanished' | 'changed';

export interface NamespaceDiff extends FigureDelta {
  /** The namespace pattern on the common footing, e.g. `session:*`. */
  pattern: string;
  status: ChangeStatus;
}

export interface DatabaseDiff extends FigureDelta {
  db: number;
  status: ChangeStatus;
}

/** Types carry keys and bytes only (no TTL split per type in a report). */
export interface TypeDiff extends Pick<FigureDelta, 'oldKeys' | 'newKeys' | 'keysDelta' | 'oldBytes' | 'newBytes' | 'bytesDelta' | 'growth'> {
  type: RedisType;
  status: ChangeStatus;
}

/** A list, zset or stream over the queue threshold in the new report that grew. */
export interface QueueDiff {
  db: number;
  /** As the new report names it (a `pattern#hash` token when redacted). */
  key: string;
  keyB64: string | null;
  type: RedisType;
  /**
   * grew: listed in the old report's top lists with a smaller length or fewer pending entries;
   * new: over the threshold now and in none of the old report's key lists (so it was below
   * the threshold, absent, or beyond the old list's length: see `notes`).
   */
  status: 'grew' | 'new';
  /** Length in the old report, null when the old report does not list the key. */
  oldLength: number | null;
  newLength: number;
  /** newLength − oldLength, null when oldLength is. */
  lengthDelta: number | null;
  /** Streams: the largest pending-entries list, old (null when unknown) and new. */
  oldPending: number | null;
  newPending: number | null;
  oldBytes: number | null;
  newBytes: number;
}

/** A key in the new report's big-key list that the old big-key list did not have. */
export interface NewBigKey extends KeyEntry {
  /** Rank in the new big-key list, 1 = biggest. */
  rank: number;
  /** Its bytes in the old report when some old key list has it, else null. */
  oldBytes: number | null;
}

export interface DiffSide {
  /** What was given on the command line (the report's file names when not set). */
  source: string;
  /** The RDB files the report covers. */
  files: string[];
  savedAtMinMs: number | null;
  savedAtMaxMs: number | null;
  producers: string[];
  /** `server, allocator` of the side's files (`Redis 7.0, jemalloc16`), sorted. */
  memoryModels: string[];
  redacted: boolean;
}

export interface DiffTotals extends FigureDelta {
  oldTtlKeys: number;
  newTtlKeys: number;
  ttlKeysDelta: number;
  /** Queues over the threshold (exact counts). */
  oldQueues: number;
  newQueues: number;
}

/** Node of the aligned namespace tree (roll-ups over the subtree), for drilling down. */
export interface DiffTreeNode {
  label: string;
  pattern: string;
  oldKeys: number;
  newKeys: number;
  oldBytes: number;
  newBytes: number;
  oldNoTtlKeys: number;
  newNoTtlKeys: number;
  /** Keys ending exactly here, old and new. */
  ownOldKeys: number;
  ownNewKeys: number;
  children: DiffTreeNode[];
}

export interface DiffReport {
  /** Always 'rdbscope.diff'. */
  schema: typeof DIFF_SCHEMA;
  schemaVersion: typeof DIFF_SCHEMA_VERSION;
  tool: { name: 'rdbscope'; version: string | null };
  /** True when key names are `pattern#hash` tokens. */
  redacted: boolean;
  old: DiffSide;
  new: DiffSide;
  /**
   * Set when the two sides follow different memory models (server or allocator): then every
   * byte delta includes the models' difference. Shown first in every diff output.
   */
  modelWarning: string | null;
  /** Byte figures are real bytes (schema.ts conventions): what deleting the keys frees. */
  totals: DiffTotals;
  /** Namespaces whose figures changed, biggest absolute byte change first. */
  namespaces: NamespaceDiff[];
  /** Databases whose figures changed, by db number. */
  databases: DatabaseDiff[];
  /** Types whose figures changed, biggest absolute byte change first. */
  types: TypeDiff[];
  /** Queues that grew (or are newly over the threshold), most grown first. */
  queues: QueueDiff[];
  /** Entries of the new big-key list the old one did not have, in the new list's order. */
  newBigKeys: NewBigKey[];
  /** How many were compared and how many did not change. */
  counts: {
    namespaces: number;
    namespacesChanged: number;
    namespacesAppeared: number;
    namespacesVanished: number;
    namespacesUnchanged: number;
    databasesUnchanged: number;
    typesUnchanged: number;
  };
  /** The aligned namespace trie with both sides' figures (unchanged nodes included). */
  namespaceTree: DiffTreeNode;
  /** Caveats, as sentences (differing options, truncated lists, capped namespace tries). */
  notes: string[];
}
