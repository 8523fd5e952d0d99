/**
 * The memory model: predicts `MEMORY USAGE key SAMPLES 0` on a server of a given version and
 * allocator after it loads the file (memory-model.md). It listens to the parser's element
 * events and keeps O(1) state per key: the in-memory encoding is decided the way the loading
 * server decides it, and only the sums that decision needs are accumulated.
 */
import type { BlobKind, KeyRecord, StreamMeta, ValueVisitor } from '../types.ts';
import type { ServerVersion } from '../format/version.ts';
import { decimalLength } from '../format/blob.ts';
import { sizeClassFor, type AllocatorProfile, type SizeClass } from './allocator.ts';
import { RaxCounter } from './rax.ts';
import { stringEncoding } from '../format/encodings.ts';
import {
  DictSim, intValue, lpEntry, lpIntEncLen, lpStrEncLen, mstrHeader, nextPow2, scoreEntryEncLen, sdsHeader, zlIntLen, zlStrLen,
} from './sizes.ts';

export interface MemoryOptions {
  allocator: AllocatorProfile;
  /** The server that will hold the data; when absent, `useVersion` sets it from the file. */
  version?: ServerVersion | null;
}

/** Default loading-server limits (redis.conf defaults, unchanged since 7.0 / 2.6). */
const HASH_MAX_ENTRIES = 512;
const HASH_MAX_VALUE = 64;
const ZSET_MAX_ENTRIES = 128;
const ZSET_MAX_VALUE = 64;
const SET_MAX_INTSET = 512;
const SET_MAX_LISTPACK = 128;
const SET_MAX_VALUE = 64;
const LIST_NODE_BYTES = 8192;

const ROBJ = 16;
const DICT_ENTRY = 24;

/** What a key costs the instance beyond what MEMORY USAGE reports (memory-model.md, section 6). */
export interface KeyOverhead {
  /** Elements living in hashtable dicts (each dictEntry really takes 32 bytes, not 24). */
  htElements: number;
  /** The value is a shared integer object (0..9999): MEMORY USAGE counts 16 the instance does not pay. */
  sharedInt: boolean;
  /**
   * Bytes MEMORY USAGE over-counts for stream radix trees: it charges 16 per id and 244 per
   * node, while a real node (a few bytes of key, child and value pointers) takes about 40.
   */
  raxExcess: number;
}

export class MemoryModel implements ValueVisitor {
  readonly sc: SizeClass;
  /** Version of the modelled server, major*100+minor. */
  v = 704;
  /** Valkey release of the modelled server (801, 901), 0 for Redis (see ServerVersion.valkey). */
  valkey = 0;
  readonly forced: boolean;
  /** Expected allocation of a skiplist node with a random level (P = 1/4). */
  private readonly skipNode: number;
  readonly overhead: KeyOverhead = { htElements: 0, sharedInt: false, raxExcess: 0 };

  // Per-key state.
  /** Whether element events matter for this key (false: the stored blobs tell everything). */
  private need = true;
  private rdbType = 0;
  private type = '';
  private n = 0;
  private maxLen = 0;
  private lpSum = 0;
  private ttlLpSum = 0;
  private readonly scores = new Float64Array(ZSET_MAX_ENTRIES);
  private nScores = 0;
  private zlSum = 0;
  private zlPrev = 0;
  private sdsSum = 0;
  private fieldSum = 0;
  private pendingField = -1;
  private ttlFields = 0;
  private allInt = true;
  private intWidth = 2;
  private firstNonInt = -1;
  private firstLong = -1;
  private strLen = 0;
  private strInt = false;
  private sharedCandidate = false;
  private blobBytes = 0;
  private blobKind: BlobKind | '' = '';
  private nodes = 0;
  private nodeSum = 0;
  private plainNodes = 0;
  private nodeLp = 0;
  private nodeZl = 0;
  private nodeOpen = false;
  /** Elements up to this count may still be stored packed (see dictElement). */
  private packedLimit = Infinity;
  private listLp = 0;
  private listZl = 0;
  private listNodes = 0;
  // Streams.
  private readonly mainRax = new RaxCounter();
  private readonly pelRax = new RaxCounter();
  private readonly consumerRax = new RaxCounter();
  private streamSum = 0;
  private groupSum = 0;
  private pelCount = 0;
  private inConsumer = false;

  constructor(opts: MemoryOptions) {
    this.sc = sizeClassFor(opts.allocator);
    this.forced = !!opts.version;
    if (opts.version) {
      this.v = modelledVersion(opts.version.num);
      this.valkey = opts.version.valkey;
    }
    let e = 0;
    let p = 0.75;
    for (let level = 1; level <= 32; level++) {
      const prob = level === 32 ? Math.pow(0.25, 31) : p;
      e += prob * this.sc(24 + 16 * level);
      p *= 0.25;
    }
    this.skipNode = e;
  }

  /** Model the file's own producer, unless a version was forced: for the keys that follow (a late aux field moves it mid-file). */
  useVersion(version: ServerVersion): void {
    if (this.forced) return;
    this.v = modelledVersion(version.num);
    this.valkey = version.valkey;
  }

  /** sds allocation as MEMORY USAGE sees it: rounded from 6.0, the sds' own size before. */
  sds(len: number): number {
    const raw = sdsHeader(len) + len + 1;
    return this.v >= 600 ? this.sc(raw) : raw;
  }

  /** Listpack/ziplist/intset blob as MEMORY USAGE sees it: rounded from 7.0, raw before. */
  private blobSize(bytes: number): number {
    return this.v >= 700 ? this.sc(bytes) : bytes;
  }

  /** The key string and its main-dict entry. */
  keyCost(keyLength: number): number {
    return this.sds(keyLength) + DICT_ENTRY;
  }

  begin(rec: KeyRecord): void {
    this.rdbType = rec.rdbType;
    this.type = rec.type;
    this.overhead.htElements = 0;
    this.overhead.sharedInt = false;
    this.overhead.raxExcess = 0;
    if (rec.type === 'string') {
      // The hot path of most dumps: only the string state matters.
      this.strInt = false;
      this.strLen = 0;
      this.sharedCandidate = false;
      return;
    }
    this.need = this.needsElements(rec.rdbType, -1);
    this.packedLimit = rec.type === 'hash' ? 2 * HASH_MAX_ENTRIES : rec.type === 'set' ? SET_MAX_INTSET : rec.type === 'zset' ? ZSET_MAX_ENTRIES : Infinity;
    this.n = 0;
    this.maxLen = 0;
    this.lpSum = 0;
    this.ttlLpSum = 0;
    this.nScores = 0;
    this.zlSum = 0;
    this.zlPrev = 0;
    this.sdsSum = 0;
    this.fieldSum = 0;
    this.pendingField = -1;
    this.ttlFields = 0;
    this.allInt = true;
    this.intWidth = 2;
    this.firstNonInt = -1;
    this.firstLong = -1;
    this.blobBytes = 0;
    this.blobKind = '';
    this.nodes = 0;
    this.nodeSum = 0;
    this.plainNodes = 0;
    this.nodeOpen = false;
    this.listLp = 0;
    this.listZl = 0;
    this.listNodes = 0;
    this.streamSum = 0;
    this.groupSum = 0;
    this.pelCount = 0;
    this.inConsumer = false;
    this.mainRax.reset();
  }

  /**
   * Packed values the loading server keeps as they are stored (a listpack, an intset, a 7.0+
   * quicklist of listpacks) cost what their blobs weigh: their elements need no attention,
   * which is most of the work in big dumps. `count` is the blob's declared entry count (-1:
   * not known yet; 65535: unknown).
   */
  private needsElements(t: number, count: number): boolean {
    const lp = this.v >= 700;
    const known = count >= 0 && count !== 65535;
    switch (t) {
      case 18:
        return !lp;
      case 14:
        return lp;
      case 11:
        return count < 0 || !known || count > SET_MAX_INTSET;
      case 20:
        return count < 0 || !known || count > SET_MAX_LISTPACK || this.v < 702;
      case 17:
        return count < 0 || !known || count > 2 * ZSET_MAX_ENTRIES || !lp;
      case 12:
        return count < 0 || !known || count > 2 * ZSET_MAX_ENTRIES || lp;
      case 16:
        return count < 0 || !known || count > 2 * HASH_MAX_ENTRIES || !lp;
      case 13:
        return count < 0 || !known || count > 2 * HASH_MAX_ENTRIES || lp;
      default:
        return true;
    }
  }

  // ---- element events -----------------------------------------------------------------------

  str(b: Uint8Array, s: number, e: number): void {
    const len = e - s;
    if (this.type === 'string') {
      this.strLen = len;
      const v = len <= 20 ? intValue(b, s, e) : NaN;
      if (v === v) {
        this.strInt = true;
        this.sharedCandidate = v >= 0 && v < 10000;
      }
      return;
    }
    if (!this.need) return;
    if (this.n >= this.packedLimit) return this.dictElement(len);
    const iv = len <= 20 ? intValue(b, s, e) : NaN;
    if (iv === iv) this.element(len, iv, true);
    else this.element(len, 0, false);
  }

  int(v: number): void {
    if (this.type === 'string') {
      this.strInt = true;
      this.strLen = decimalLength(v);
      this.sharedCandidate = v >= 0 && v < 10000;
      return;
    }
    if (!this.need) return;
    if (this.n >= this.packedLimit) return this.dictElement(decimalLength(v));
    this.element(decimalLength(v), v, true);
  }

  bigStr(length: number): void {
    if (this.type === 'string') {
      this.strLen = length;
      return;
    }
    if (!this.need) return;
    if (this.n >= this.packedLimit) return this.dictElement(length);
    this.element(length, 0, false);
  }

  /** One collection element (member, field, value, list item) of `len` text bytes. */
  private element(len: number, iv: number, isInt: boolean): void {
    const i = this.n++;
    if (len > this.maxLen) this.maxLen = len;
    const enc = isInt ? lpIntEncLen(iv) : lpStrEncLen(len);
    const lp = lpEntry(enc);
    const zl = isInt ? zlIntLen(iv) : zlStrLen(len);
    const zlEntry = zl + (this.zlPrev < 254 ? 1 : 5);
    this.zlPrev = zlEntry;
    this.lpSum += lp;
    this.zlSum += zlEntry;
    if (this.nodeOpen) {
      this.nodeLp += lp;
      this.nodeZl += zlEntry;
    }
    if (isInt) {
      const w = iv >= -32768 && iv <= 32767 ? 2 : iv >= -2147483648 && iv <= 2147483647 ? 4 : 8;
      if (w > this.intWidth) this.intWidth = w;
    } else if (this.allInt) {
      this.allInt = false;
      this.firstNonInt = i;
    }
    if (this.type === 'list') {
      this.listPush(lp, zlEntry);
      return;
    }
    if (this.type === 'hash' && len > HASH_MAX_VALUE && this.firstLong < 0) this.firstLong = i >> 1;
    this.sizeElement(i, len);
  }

  /**
   * An element past the packed-encoding limit of its type: the value can only be a
   * hashtable or skiplist, whose size needs the element sizes and nothing of the packed
   * figures (encoded lengths, integer widths), so those are not worked out per element.
   */
  private dictElement(len: number): void {
    const i = this.n++;
    if (len > this.maxLen) this.maxLen = len;
    this.sizeElement(i, len);
  }

  /** Element `i` of a set, zset or hash (fields and values alternate) as a hashtable holds it. */
  private sizeElement(i: number, len: number): void {
    if (this.type === 'hash') {
      if ((i & 1) === 0) {
        this.pendingField = len;
        return;
      }
      this.sdsSum += this.sds(len);
      if (!this.hashHasTtls()) this.addField(false);
      return;
    }
    this.sdsSum += this.sds(len);
  }

  private hashHasTtls(): boolean {
    const t = this.rdbType;
    return t === 22 || t === 23 || t === 24 || t === 25;
  }

  private addField(ttl: boolean): void {
    const len = this.pendingField;
    if (this.v >= 704) this.fieldSum += this.sc((ttl ? 18 : 0) + mstrHeader(len) + len + 1);
    else this.fieldSum += this.sds(len);
    this.pendingField = -1;
  }

  /** Type-1 lists are rebuilt element by element into nodes of at most 8 KiB. */
  private listPush(lp: number, zl: number): void {
    if (this.rdbType !== 1) return;
    if (this.listNodes === 0 || this.listLp + lp > LIST_NODE_BYTES) {
      if (this.listNodes > 0) this.nodeSum += this.nodeCost(this.listLp, this.listZl);
      this.listNodes++;
      this.listLp = 7;
      this.listZl = 11;
    }
    this.listLp += lp;
    this.listZl += zl;
  }

  score(v: number): void {
    // Only a zset small enough to become a listpack needs its scores' text sizes: keep the
    // first ones, and size them only if the zset turns out to be that small (scoreSizes).
    if (this.need && this.nScores < ZSET_MAX_ENTRIES) this.scores[this.nScores++] = v;
  }

  /** Listpack and ziplist bytes of the kept scores' entries. */
  private scoreSizes(): void {
    const shortest = this.v >= 702;
    for (let i = 0; i < this.nScores; i++) {
      const v = this.scores[i];
      const enc = scoreEntryEncLen(v, shortest);
      this.lpSum += lpEntry(enc);
      // Ziplists (≤ 6.2) hold the same text; integers use ziplist integer encodings.
      this.zlSum += (enc <= 9 && Number.isInteger(v) ? zlIntLen(v) : enc) + 1;
    }
    this.nScores = 0;
  }

  fieldTtl(ms: number): void {
    if (ms !== 0) this.ttlFields++;
    if (this.pendingField >= 0) this.addField(ms !== 0);
    // Listpack-ex triplets carry the TTL as a third integer entry.
    this.ttlLpSum += lpEntry(lpIntEncLen(ms));
  }

  blob(kind: BlobKind, bytes: number, count: number): boolean {
    if (this.type !== 'list') this.need = this.needsElements(this.rdbType, count);
    if (this.type === 'list') {
      this.closeNode();
      this.nodes++;
      if (kind === 'plain') {
        this.plainNodes++;
        this.nodeSum += (this.v >= 700 ? 40 : 32) + this.sc(bytes);
        return this.need;
      }
      this.blobKind = kind;
      this.blobBytes = bytes;
      this.nodeOpen = true;
      this.nodeLp = 7;
      this.nodeZl = 11;
      return this.need;
    }
    this.blobKind = kind;
    this.blobBytes = bytes;
    return this.need;
  }

  /** Cost of a finished quicklist node in the loading server's node format. */
  private closeNode(): void {
    if (!this.nodeOpen) return;
    this.nodeOpen = false;
    const stored = this.blobBytes;
    const inMemoryListpack = this.v >= 700;
    const storedListpack = this.blobKind === 'listpack';
    const bytes = inMemoryListpack === storedListpack ? stored : inMemoryListpack ? this.nodeLp : this.nodeZl;
    this.nodeSum += this.nodeCost(bytes, bytes);
    this.lastNodeBytes = bytes;
  }

  private lastNodeBytes = 0;

  private nodeCost(lpBytes: number, zlBytes: number): number {
    return this.v >= 700 ? 40 + this.sc(lpBytes) : 32 + zlBytes;
  }

  // ---- streams ------------------------------------------------------------------------------

  streamNode(masterId: Uint8Array, idStart: number, lpBytes: number): void {
    this.mainRax.add(masterId, idStart);
    this.streamSum += this.v >= 602 ? this.sc(lpBytes) : lpBytes;
  }

  streamEntry(): void {}

  streamMeta(_meta: StreamMeta): void {}

  streamGroup(): void {
    this.closeGroup();
    this.groupSum += this.v >= 700 ? 40 : 32;
    this.pelRax.reset();
    this.pelCount = 0;
    this.inConsumer = false;
  }

  streamPel(id: Uint8Array, idStart: number): void {
    this.pelRax.add(id, idStart);
    this.pelCount++;
  }

  streamConsumer(_b: Uint8Array, start: number, end: number): void {
    this.closeConsumer();
    this.inConsumer = true;
    this.consumerRax.reset();
    this.groupSum += (this.v >= 702 ? 32 : 24) + (end - start);
  }

  streamConsumerPel(id: Uint8Array, idStart: number): void {
    this.consumerRax.add(id, idStart);
  }

  private closeConsumer(): void {
    if (!this.inConsumer) return;
    this.inConsumer = false;
    this.groupSum += this.consumerRax.memory();
    this.overhead.raxExcess += raxExcess(this.consumerRax);
  }

  private groupOpen = false;

  private closeGroup(): void {
    if (this.groupOpen) {
      this.closeConsumer();
      this.groupSum += this.pelRax.memory() + 24 * this.pelCount;
      this.overhead.raxExcess += raxExcess(this.pelRax);
    }
    this.groupOpen = true;
  }

  // ---- the total ----------------------------------------------------------------------------

  end(rec: KeyRecord): void {
    rec.memoryBytes = this.valueSize(rec) + this.keyCost(rec.keyLength);
  }

  /** objectComputeSize(value, SAMPLES 0). */
  private valueSize(rec: KeyRecord): number {
    switch (this.type) {
      case 'string':
        return this.stringSize(rec);
      case 'list':
        return this.listSize();
      case 'set':
        return this.setSize(rec.length);
      case 'zset':
        return this.zsetSize(rec.length);
      case 'hash':
        return this.hashSize(rec.length);
      case 'stream':
        return this.streamSize();
      default:
        // Module values: only the module can tell; its serialized size is the best proxy.
        return ROBJ + rec.valueFileBytes;
    }
  }

  private stringSize(rec: KeyRecord): number {
    const len = this.strLen;
    if (this.strInt) {
      this.overhead.sharedInt = this.sharedCandidate;
      return ROBJ;
    }
    if (stringEncoding(this.v, this.valkey, len, rec.keyLength, rec.expireAtMs >= 0) === 'embstr') {
      return this.v >= 700 ? this.sc(len + 20) : len + 2 + ROBJ;
    }
    return ROBJ + this.sds(len);
  }

  private listSize(): number {
    this.closeNode();
    if (this.rdbType === 1 && this.listNodes > 0) {
      this.nodeSum += this.nodeCost(this.listLp, this.listZl);
      this.nodes = this.listNodes;
      this.lastNodeBytes = this.listLp;
    }
    if (this.v >= 702 && this.nodes === 1 && this.plainNodes === 0 && this.lastNodeBytes <= LIST_NODE_BYTES) {
      return ROBJ + this.sc(this.lastNodeBytes);
    }
    const header = ROBJ + (this.v >= 400 ? 40 : 32);
    return avg(header, this.nodeSum, this.nodes);
  }

  private dictBase(buckets: number): number {
    return ROBJ + (this.v >= 700 ? 56 : 96) + 8 * buckets;
  }

  private setSize(n: number): number {
    const t = this.rdbType;
    if (t === 11 && n <= SET_MAX_INTSET) {
      return ROBJ + this.blobSize(this.blobBytes);
    }
    if (t === 20 && n <= SET_MAX_LISTPACK && this.v >= 702) return ROBJ + this.sc(this.blobBytes);
    if (t === 2 || t === 11 || t === 20) {
      if (this.allInt && n <= SET_MAX_INTSET) return ROBJ + this.blobSize(8 + this.intWidth * n);
      if (this.v >= 702 && n <= SET_MAX_LISTPACK && this.maxLen <= SET_MAX_VALUE) return ROBJ + this.sc(7 + this.lpSum);
    }
    const d = dictScratch;
    d.reset();
    if (n > SET_MAX_INTSET || this.v >= 702 || t !== 2) d.expand(n);
    else {
      // 7.0 and earlier: an intset converted on the first non-integer member (sized to the
      // members so far), then expanded to the full size, which may leave a rehash running.
      d.expand(this.firstNonInt);
      d.insert(this.firstNonInt);
      d.expand(n);
      d.insert(n - this.firstNonInt);
    }
    this.overhead.htElements = n;
    return avg(this.dictBase(d.buckets()), n * DICT_ENTRY + this.sdsSum, n);
  }

  private zsetSize(n: number): number {
    const t = this.rdbType;
    const packed = t === 12 || t === 17;
    const inListpack = this.v >= 700;
    if (packed && n <= ZSET_MAX_ENTRIES) {
      const storedMatches = (t === 17) === inListpack;
      if (!storedMatches) this.scoreSizes();
      const bytes = storedMatches ? this.blobBytes : inListpack ? 7 + this.lpSum : 11 + this.zlSum;
      return ROBJ + this.blobSize(bytes);
    }
    if (!packed && n <= ZSET_MAX_ENTRIES && this.maxLen <= ZSET_MAX_VALUE) {
      this.scoreSizes();
      return ROBJ + this.blobSize(inListpack ? 7 + this.lpSum : 11 + this.zlSum);
    }
    const buckets = nextPow2(n);
    this.overhead.htElements = n;
    const elements = this.sdsSum + n * DICT_ENTRY + n * this.skipNode;
    if (this.v < 500) return avg(ROBJ + 16 + 8 * buckets, elements, n);
    // The header node has every level: 64 of them before 6.0, 32 since.
    const header = this.sc(24 + 16 * (this.v >= 600 ? 32 : 64));
    return avg(ROBJ + 16 + 32 + (this.v >= 700 ? 56 : 96) + 8 * buckets + header, elements, n);
  }

  private hashSize(n: number): number {
    const t = this.rdbType;
    const packed = t === 9 || t === 13 || t === 16 || t === 23 || t === 25;
    const inListpack = this.v >= 700;
    const withTtl = t === 23 || t === 25;
    if (packed && n <= HASH_MAX_ENTRIES && t !== 9) {
      if (withTtl && this.v >= 704) return ROBJ + this.sc(32) + this.sc(this.blobBytes);
      const storedMatches = !withTtl && (t === 16) === inListpack;
      const bytes = storedMatches ? this.blobBytes : inListpack ? 7 + this.lpSum : 11 + this.zlSum;
      return ROBJ + this.blobSize(bytes);
    }
    const fitsPacked = n <= HASH_MAX_ENTRIES && this.maxLen <= HASH_MAX_VALUE;
    if (fitsPacked && (t === 9 || !packed)) {
      if (this.ttlFields > 0 && this.v >= 704) return ROBJ + this.sc(32) + this.sc(7 + this.lpSum + this.ttlLpSum);
      return ROBJ + this.blobSize(inListpack ? 7 + this.lpSum : 11 + this.zlSum);
    }
    const d = dictScratch;
    d.reset();
    if (t === 22 || t === 24) {
      // Hashes with field TTLs are not pre-sized on load: the dict grows insert by insert.
      d.insert(n);
    } else if (n > HASH_MAX_ENTRIES || packed) d.expand(n);
    else {
      // Loaded as a listpack until the first long field or value, then converted (memory-model 3.4).
      const soFar = this.firstLong;
      d.expand(soFar);
      d.insert(soFar);
      d.expand(n - soFar);
      d.insert(n - soFar);
    }
    this.overhead.htElements = n;
    let base = this.dictBase(d.buckets());
    return avg(base, this.fieldSum + this.sdsSum + n * DICT_ENTRY, n);
  }

  private streamSize(): number {
    this.closeGroup();
    this.groupOpen = false;
    const header = this.v >= 700 ? 80 : this.v >= 602 ? 40 : 0;
    this.overhead.raxExcess += raxExcess(this.mainRax);
    return ROBJ + header + this.mainRax.memory() + this.streamSum + this.groupSum;
  }
}

const dictScratch = new DictSim();

/** 2.x/3.2 have no MEMORY USAGE: they are estimated with the 4.0 model (the nearest one). */
export function modelledVersion(num: number): number {
  return Math.max(num, 400);
}

function raxExcess(r: RaxCounter): number {
  return r.memory() - 40 * r.total();
}

/** MEMORY USAGE's averaging step: `asize += (double)elesize / samples * count`, truncated. */
function avg(base: number, sum: number, n: number): number {
  if (n === 0) return base;
  return Math.trunc(base + (sum / n) * n);
}
