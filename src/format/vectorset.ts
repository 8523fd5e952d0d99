/**
 * Redis 8 vector sets (module type `vectorset`, encoding version 0): the serialized value is
 * read item by item into a fixed-size VectorSetSummary, never held (a set may have millions
 * of elements). Layout and the loader's own checks: docs/memory-vectorset.md, section 1.
 */
import type { VectorSetSummary } from '../core/types.ts';
import type { Reader } from './reader.ts';

/** Nodes whose strings MEMORY USAGE samples (the module's scan effort). */
export const SAMPLE_NODES = 20;
/** A node level is 8 bits in the file. */
const LEVELS = 256;
/** Module sub-opcodes (RDB_MODULE_OPCODE_*). */
const OP_EOF = 0;
const OP_UINT = 2;
const OP_STRING = 5;
/** Longest string the loader keeps as an embstr robj (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
const EMBSTR_MAX = 44;
/** Link counts the loader accepts per layer (HNSW_MAX_M * 4). */
const MAX_LINKS = 4096 * 4;
/** Newest node serialization the loader knows (1 adds the worst-link word per layer). */
const NODE_VERSION = 1;
const TWO32 = 4294967296;

export const QUANT_NAMES = ['NOQUANT', 'Q8', 'BIN'] as const;

export function newVectorSetSummary(): VectorSetSummary {
  return {
    count: 0, dim: 0, quant: 0, m: 0, projectionInputDim: 0, attributes: 0, attributeBytes: 0,
    elementBytes: 0, maxLevel: 0, layerNodes: new Float64Array(LEVELS), layerLinks: new Float64Array(LEVELS),
    layerSlots: new Float64Array(LEVELS), headLevel0Slots: 0, sampled: 0, sampleAt: 0,
    sampleItemLen: new Int32Array(SAMPLE_NODES), sampleItemRaw: new Uint8Array(SAMPLE_NODES),
    sampleAttrLen: new Int32Array(SAMPLE_NODES), sampleAttrRaw: new Uint8Array(SAMPLE_NODES),
  };
}

/** Bytes of one stored vector (hnsw_quants_bytes): floats, int8s, or 64-bit words of bits. */
export function vectorBytes(dim: number, quant: number): number {
  return quant === 0 ? 4 * dim : quant === 1 ? dim : Math.ceil(dim / 64) * 8;
}

/**
 * Reads a vectorset value (after its module id) through the module EOF opcode. Everything
 * the loading server would reject is an RdbError; everything else is summarized in `s`.
 */
export class VectorSetDecoder {
  readonly s = newVectorSetSummary();
  /** Longest element name or attribute of the last value read (KeyRecord.largestElement). */
  largest = 0;
  /** High 32 bits of the last unsigned read (the loader truncates most fields to 32 bits). */
  private hi = 0;

  constructor(private readonly r: Reader) {}

  read(): VectorSetSummary {
    const r = this.r;
    const s = this.s;
    s.dim = this.uint('the vectorset dimension');
    s.count = this.uint('the vectorset element count') + this.hi * TWO32;
    const config = this.uint('the vectorset HNSW config');
    const flags = this.uint('the vectorset save flags');
    s.quant = config & 0xff;
    if (s.quant > 2) r.fail(`a vectorset quantization 0-2 (NOQUANT, Q8, BIN), found ${s.quant}`);
    // Files from before M was configurable store 0: the loader then uses the old fixed 16.
    s.m = (config >>> 8) & 0xffff || 16;
    s.projectionInputDim = 0;
    if (flags & 1) {
      s.projectionInputDim = this.uint('the vectorset projection input dimension');
      this.str('the projection matrix of a vectorset');
    }
    const hasAttribs = (flags & 2) !== 0;
    s.attributes = s.attributeBytes = s.elementBytes = s.maxLevel = 0;
    s.layerNodes.fill(0);
    s.layerLinks.fill(0);
    s.layerSlots.fill(0);
    s.headLevel0Slots = 0;
    s.sampled = s.sampleAt = 0;
    let largest = 0;
    const vbytes = vectorBytes(s.dim, s.quant);
    for (let i = 0; i < s.count; i++) {
      const at = s.sampleAt;
      this.str('a vectorset element');
      s.elementBytes += r.strLength;
      if (r.strLength > largest) largest = r.strLength;
      s.sampleItemLen[at] = r.strLength;
      s.sampleItemRaw[at] = this.loadsRaw();
      s.sampleAttrLen[at] = -1;
      if (hasAttribs) {
        this.str('a vectorset attribute');
        // An empty attribute stands for none: the loader frees it.
        if (r.strLength > 0) {
          s.attributes++;
          s.attributeBytes += r.strLength;
          if (r.strLength > largest) largest = r.strLength;
          s.sampleAttrLen[at] = r.strLength;
          s.sampleAttrRaw[at] = this.loadsRaw();
        }
      }
      const vecAt = r.offset;
      this.str('a vectorset vector');
      if (r.strLength !== vbytes) r.fail(`a vector of ${vbytes} bytes (dimension ${s.dim}, ${QUANT_NAMES[s.quant]}), found ${r.strLength} bytes`, vecAt);
      this.node();
      s.sampleAt = at + 1 === SAMPLE_NODES ? 0 : at + 1;
      if (s.sampled < SAMPLE_NODES) s.sampled++;
    }
    this.largest = largest;
    const at = r.offset;
    const op = r.len('the vectorset EOF opcode');
    if (op !== OP_EOF) r.fail(`the module EOF opcode after ${s.count} vectorset elements, found opcode ${op}`, at);
    return s;
  }

  /** The node's params: id, level/version word, per layer links, then l2 and range. */
  private node(): void {
    const r = this.r;
    const s = this.s;
    const at = r.offset;
    let left = this.uint('a vectorset node parameter count');
    if (left < 2) this.bad(at, `${left} parameters`);
    this.param();
    const word = this.param();
    left -= 2;
    const level = word & 0xff;
    const version = word >>> 24;
    if (version > NODE_VERSION) this.bad(at, `serialization version ${version}`);
    const worst = version > 0 ? 1 : 0;
    for (let l = 0; l <= level; l++) {
      if (left < 2 + worst) this.bad(at, `parameters end inside layer ${l}`);
      const links = this.param();
      const slots = this.param();
      left -= 2;
      if (links > slots || slots > MAX_LINKS) this.bad(at, `${links} links of ${slots} at layer ${l}`);
      if (left < links + worst) this.bad(at, `parameters end inside layer ${l}'s links`);
      for (let j = 0; j < links; j++) this.param();
      left -= links;
      if (worst) {
        const idx = this.param();
        left--;
        if (links > 0 && idx >= links) this.bad(at, `worst link ${idx} of ${links}`);
      }
      s.layerNodes[l]++;
      s.layerLinks[l] += links;
      s.layerSlots[l] += slots;
      if (l === 0) s.headLevel0Slots = slots;
    }
    if (left < 1) this.bad(at, 'no l2/range parameter');
    // Extra parameters after l2/range are read and ignored by the loader too.
    while (left-- > 0) this.param();
    if (level > s.maxLevel) s.maxLevel = level;
  }

  private bad(at: number, why: string): never {
    return this.r.fail(`a vectorset node the loader accepts (${why})`, at);
  }

  /**
   * How the loader builds the string's robj: an LZF string or a plain one over 44 bytes is raw
   * (robj + sds); shorter plain strings and integer-encoded ones (made from their decimal
   * text) are embstr.
   */
  private loadsRaw(): number {
    const r = this.r;
    return r.strLzf || (!r.strIsInt && r.strLength > EMBSTR_MAX) ? 1 : 0;
  }

  private str(what: string): void {
    const r = this.r;
    const at = r.offset;
    const op = r.len(what);
    if (op !== OP_STRING) r.fail(`a module string opcode (5) before ${what}, found ${op}`, at);
    r.str(what, false, 0);
  }

  /** A module unsigned (opcode 2 and a length-encoded value): its low 32 bits, `hi` the rest. */
  private uint(what: string): number {
    const r = this.r;
    const at = r.offset;
    const op = r.len(what);
    if (op !== OP_UINT) r.fail(`a module unsigned opcode (2) before ${what}, found ${op}`, at);
    const b0 = r.u8(what);
    this.hi = 0;
    switch (b0 >> 6) {
      case 0: return b0 & 0x3f;
      case 1: return ((b0 & 0x3f) << 8) | r.u8(what);
      default: {
        if (b0 !== 0x80 && b0 !== 0x81) return r.fail(`${what}: a length prefix, found 0x${b0.toString(16)}`, at + 1);
        const n = b0 === 0x80 ? 4 : 8;
        r.need(n, what);
        const b = r.buf;
        const p = r.pos;
        r.pos = p + n;
        if (n === 8) this.hi = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
        return ((b[p + n - 4] << 24) | (b[p + n - 3] << 16) | (b[p + n - 2] << 8) | b[p + n - 1]) >>> 0;
      }
    }
  }

  private param(): number {
    return this.uint('a vectorset node parameter');
  }
}
