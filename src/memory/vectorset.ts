/**
 * MEMORY USAGE of a Redis 8 vector set: the module's own callback, which is a formula over
 * the set's shape rather than a walk of its allocations (docs/memory-vectorset.md, section 2).
 * Sizes are those of the 64-bit build.
 */
import type { VectorSetSummary } from '../core/types.ts';
import { vectorBytes } from '../format/vectorset.ts';
import { sdsHeader } from './sizes.ts';
import type { SizeClass } from './allocator.ts';

/** struct vsetObject + struct HNSW (32 epoch slots and 32 slot mutexes make the latter big). */
const VSET_OBJECT = 112;
const HNSW_INDEX = 1672;
/** struct hnswNode without its layers (32 per-thread visit epochs) and one hnswNodeLayer. */
const HNSW_NODE = 312;
const NODE_LAYER = 24;
const POINTER = 8;
const ROBJ = 16;
/** The callback's guess per attribute when none of the sampled nodes has one. */
const ATTRIBUTE_GUESS = 64;

/** RedisModule_MallocSizeString of a loaded string: the robj and its sds as allocated. */
function stringSize(len: number, raw: number, sc: SizeClass): number {
  // embstr: robj, sds8 header, bytes and NUL in one allocation; raw: robj + its own sds.
  return raw ? ROBJ + sc(sdsHeader(len) + len + 1) : sc(ROBJ + 3 + len + 1);
}

/** What the vectorset type's mem_usage callback returns for the set once loaded. */
export function vectorsetUsage(s: VectorSetSummary, sc: SizeClass): number {
  let size = VSET_OBJECT + HNSW_INDEX;
  if (s.projectionInputDim > 0) size += 4 * s.projectionInputDim * s.dim;
  const n = s.count;
  if (n === 0) return size;
  size += HNSW_NODE * n + vectorBytes(s.dim, s.quant) * n;
  // Layers: a fixed 4/3 per node, whatever the real levels are.
  size += Math.floor((NODE_LAYER * n * 4) / 3);
  // Links: the head node's level-0 capacity for every node, plus a third of half of it.
  const l0 = s.headLevel0Slots;
  size += POINTER * l0 * n + Math.floor((POINTER * Math.floor(l0 / 2) * n) / 3);
  // Strings: the mean of the sampled nodes, truncated, times the count.
  let items = 0;
  let attrs = 0;
  let attrSampled = 0;
  for (let i = 0; i < s.sampled; i++) {
    items += stringSize(s.sampleItemLen[i], s.sampleItemRaw[i], sc);
    if (s.sampleAttrLen[i] >= 0) {
      attrs += stringSize(s.sampleAttrLen[i], s.sampleAttrRaw[i], sc);
      attrSampled++;
    }
  }
  if (s.sampled > 0) size += Math.floor(items / s.sampled) * n;
  if (attrSampled === 0) {
    attrs = ATTRIBUTE_GUESS;
    attrSampled = 1;
  }
  size += Math.floor(attrs / attrSampled) * s.attributes;
  // The element → node dict: two pointers per element.
  return size + 2 * POINTER * n;
}
