/**
 * `dump`'s value for a vector set: its shape, not its elements (names, vectors and links are
 * only streamed past, docs/memory-vectorset.md, section 1).
 */
import type { VectorSetSummary } from '../core/types.ts';
import { QUANT_NAMES } from '../format/vectorset.ts';

export function vectorsetValue(s: VectorSetSummary): Record<string, number | string> {
  let links = 0;
  for (let l = 0; l <= s.maxLevel; l++) links += s.layerLinks[l];
  return {
    dim: s.dim,
    quantization: QUANT_NAMES[s.quant],
    m: s.m,
    projection_input_dim: s.projectionInputDim,
    attributes: s.attributes,
    max_level: s.maxLevel,
    links,
  };
}
