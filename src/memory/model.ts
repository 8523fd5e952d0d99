/**
 * The memory model: predicts `MEMORY USAGE key SAMPLES 0` on a server of a given version and
 * allocator after it loads the file (docs/memory-model.md). It listens to the parser's element
 * events and keeps O(1) state per key: the in-memory encoding is decided the way the loading
 * server decides it, and only the sums that decision needs are accumulated.
 */
import type { BlobKind, KeyRecord, StreamMeta, ValueVisitor } from '../core/types.ts';
import type { ServerVersion } from '../format/version.ts';
import { decimalLength } from '../format/blob.ts';
import { sizeClassFor, type AllocatorProfile, type SizeClass } from './allocator.ts';
import { NameRax, RaxCounter } from './rax.ts';
import { vectorsetUsage } from './vectorset.ts';
import { stringEncoding, valkeyEmbstrBytes } from '../format/encodings.ts';
import { hashEntry, hashEntryRounding, kvBytes, sdsAlloc, SkipNodes86 } from './redis86.ts';
import { BUCKET, HashtableSim, SkipNode9, vkHashEntry, vkObjectBytes, vkSds, vkVolatileSet } from './valkey.ts';
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

/** What a key costs the instance beyond what MEMORY USAGE reports (docs/memory-model.md, section 6). */
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
  /**
   * Bytes MEMORY USAGE charges for dict entries the value does not allocate: from 8.0 a
   * hashtable set keeps a member in its bucket and allocates a 16-byte entry only when the
   * bucket is taken (docs/memory-model-redis8.md, instance).
   */
  dictExcess: number;
  /**
   * Bytes of the value the instance pays and MEMORY USAGE leaves out: Valkey 8.1 counts 16
   * bytes for an object that also holds its key and expire time, and a hashtable struct at its
   * size rather than its size class (docs/memory-model-valkey.md).
   */
  objectExtra: number;
  /**
   * Allocation MEMORY USAGE leaves out: 4.0 counts strings, blobs and quicklist nodes at their
   * requested size and omits a skiplist's dict, header node and zskiplist
   * (docs/memory-model-redis8.md, instance).
   */
  uncounted: number;
}

export class MemoryModel implements ValueVisitor {
  readonly sc: SizeClass;
  /** Release of the modelled server on Redis' scale, major*100+minor (Valkey: the Redis release its encodings follow). */
  release = 704;
  /** Valkey release of the modelled server (801, 901), 0 for Redis (see ServerVersion.valkey). */
  valkey = 0;
  readonly forced: boolean;
  /** Expected allocation of a skiplist node with a random level (P = 1/4). */
  private readonly skipNode: number;
  readonly overhead: KeyOverhead = { htElements: 0, sharedInt: false, raxExcess: 0, dictExcess: 0, objectExtra: 0, uncounted: 0 };

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
      this.release = modelledVersion(opts.version.num);
      this.valkey = opts.version.valkey;
      this.vk = this.valkey >= 801;
    }
    let e = 0;
    let p = 0.75;
    for (let level = 1; level <= 32; level++) {
      const prob = level === 32 ? Math.pow(0.25, 31) : p;
      e += prob * this.sc(24 + 16 * level);
      p *= 0.25;
    }
    this.skipNode = e;
    this.groupNames = new NameRax(this.sc);
    this.consumerNames = new NameRax(this.sc);
  }

  /** Model the file's own producer, unless a version was forced: for the keys that follow (a late aux field moves it mid-file). */
  useVersion(version: ServerVersion): void {
    if (this.forced) return;
    this.release = modelledVersion(version.num);
    this.valkey = version.valkey;
    this.vk = this.valkey >= 801;
  }

  /** sds allocation as MEMORY USAGE sees it: rounded from 6.0, the sds' own size before. */
  sds(len: number): number {
    const raw = sdsHeader(len) + len + 1;
    if (this.release < 500) this.sdsRound += this.sc(raw) - raw;
    return this.release >= 600 ? this.sc(raw) : raw;
  }

  /** 4.0: allocator rounding of the sds strings sized so far, which MEMORY USAGE leaves out. */
  private sdsRound = 0;

  /** Listpack/ziplist/intset blob as MEMORY USAGE sees it: rounded from 7.0, raw before. */
  private blobSize(bytes: number): number {
    if (this.release < 500) this.overhead.uncounted += this.sc(bytes) - bytes;
    return this.release >= 700 ? this.sc(bytes) : bytes;
  }

  /** The key string and its main-dict entry. */
  keyCost(keyLength: number): number {
    // 4.0 measures the key argument of the command, not the stored key: an argument of up to
    // 44 bytes is an embstr, whose sds always has the 3-byte header (docs/memory-model-redis8.md, 4.0).
    if (this.release < 500) {
      const raw = sdsHeader(keyLength) + keyLength + 1;
      const counted = keyLength <= 44 ? keyLength + 4 : raw;
      // The stored key is an exact-length sds in its size class.
      this.overhead.uncounted += this.sc(raw) - counted;
      return counted + DICT_ENTRY;
    }
    return this.sds(keyLength) + DICT_ENTRY;
  }

  begin(rec: KeyRecord): void {
    this.rdbType = rec.rdbType;
    this.type = rec.type;
    this.overhead.htElements = 0;
    this.overhead.sharedInt = false;
    this.overhead.raxExcess = 0;
    this.overhead.dictExcess = 0;
    this.overhead.objectExtra = 0;
    this.overhead.uncounted = 0;
    this.sdsRound = 0;
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
    this.vkSum = 0;
    this.vkSingle = 0;
    this.r86Sum = 0;
    this.r86Round = 0;
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
    this.refCount = 0;
    this.refBytes = 0;
    this.refN = 0;
    this.refGroups = 0;
    this.idmpSum = 0;
    this.groupNames.reset();
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
    const lp = this.release >= 700;
    const known = count >= 0 && count !== 65535;
    switch (t) {
      case 18:
        return !lp;
      case 14:
        return lp;
      case 11:
        return count < 0 || !known || count > SET_MAX_INTSET;
      case 20:
        return count < 0 || !known || count > SET_MAX_LISTPACK || this.release < 702;
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
    if (this.vk) return this.vkElement(i, len);
    if (this.release >= 806) return this.r86Element(i, len);
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
    if (this.release >= 704) this.fieldSum += this.sc((ttl ? 18 : 0) + mstrHeader(len) + len + 1);
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
    const shortest = this.release >= 702;
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
    if (this.vk && this.pendingField >= 0) {
      this.vkSum += vkHashEntry(this.sc, this.pendingField, this.pendingValue, ms !== 0);
      if (ms !== 0) {
        if (this.ttlFields === 1 || ms < this.ttlMin) this.ttlMin = ms;
        if (this.ttlFields === 1 || ms > this.ttlMax) this.ttlMax = ms;
      }
      this.pendingField = -1;
      return;
    }
    if (this.release >= 806 && this.pendingField >= 0) {
      this.r86Sum += hashEntry(this.sc, this.pendingField, this.pendingValue, ms !== 0);
      this.r86Round += hashEntryRounding(this.sc, this.pendingField, this.pendingValue, ms !== 0);
      this.pendingField = -1;
    }
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
        // 8.6 counts the node's allocation and the element's requested bytes.
        this.nodeSum += this.release >= 806 ? 40 + this.r86Packed(bytes) : (this.release >= 700 ? 40 : 32) + this.sc(bytes);
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
    const inMemoryListpack = this.release >= 700;
    const storedListpack = this.blobKind === 'listpack';
    const bytes = inMemoryListpack === storedListpack ? stored : inMemoryListpack ? this.nodeLp : this.nodeZl;
    this.nodeSum += this.nodeCost(bytes, bytes);
    this.lastNodeBytes = bytes;
  }

  private lastNodeBytes = 0;

  private nodeCost(lpBytes: number, zlBytes: number): number {
    if (this.release >= 806) return 40 + this.r86Packed(lpBytes);
    if (this.release < 500) this.overhead.uncounted += this.sc(zlBytes) - zlBytes;
    return this.release >= 700 ? 40 + this.sc(lpBytes) : 32 + zlBytes;
  }

  // ---- streams ------------------------------------------------------------------------------

  streamNode(masterId: Uint8Array, idStart: number, lpBytes: number): void {
    this.mainRax.add(masterId, idStart);
    // 8.6 counts a listpack's requested bytes.
    this.streamSum += this.release >= 806 ? this.r86Packed(lpBytes) : this.release >= 602 ? this.sc(lpBytes) : lpBytes;
  }

  streamEntry(): void {}

  streamMeta(_meta: StreamMeta): void {}

  streamGroup(b: Uint8Array, start: number, end: number): void {
    this.closeGroup();
    // The group in the groups rax, with its consumers rax (closeGroup sizes it): left out of
    // MEMORY USAGE before 8.6, which counts them and a 56-byte group.
    this.groupNames.add(b, start, end);
    this.consumerNames.reset();
    this.groupSum += this.release >= 806 ? 56 : this.release >= 700 ? 40 : 32;
    this.pelRax.reset();
    this.pelCount = 0;
    this.inConsumer = false;
  }

  streamPel(id: Uint8Array, idStart: number): void {
    this.pelRax.add(id, idStart);
    this.pelCount++;
    if (this.release >= 806) {
      // Kept (up to a bound) to index the union of the groups' pending ids (streamSize).
      if (this.refN < REF_IDS) (this.refIds ??= new Uint8Array(16 * REF_IDS)).set(id.subarray(idStart, idStart + 16), 16 * this.refN);
      this.refN++;
    }
  }

  streamConsumer(b: Uint8Array, start: number, end: number): void {
    this.closeConsumer();
    this.inConsumer = true;
    this.consumerRax.reset();
    this.consumerNames.add(b, start, end);
    if (this.release >= 806) {
      // 8.6 tracks the consumer (32) and its name's sds allocation.
      this.groupSum += 32 + sdsAlloc(this.sc, end - start);
    } else {
      this.groupSum += (this.release >= 702 ? 32 : 24) + (end - start);
      // MEMORY USAGE counts the name's length; the instance pays its sds.
      const len = end - start;
      this.overhead.uncounted += this.sc(sdsHeader(len) + len + 1) - len;
    }
  }

  streamConsumerPel(id: Uint8Array, idStart: number): void {
    this.consumerRax.add(id, idStart);
  }

  private closeConsumer(): void {
    if (!this.inConsumer) return;
    this.inConsumer = false;
    this.groupSum += this.raxBytes(this.consumerRax);
  }

  private groupOpen = false;

  private closeGroup(): void {
    if (this.groupOpen) {
      this.closeConsumer();
      const pel = this.raxBytes(this.pelRax);
      this.groupSum += pel + (this.release >= 806 ? 64 : 24) * this.pelCount;
      // MEMORY USAGE leaves the consumers rax out (until 8.6).
      if (this.release < 806) this.overhead.uncounted += this.consumerNames.allocSize(this.raxStruct());
      // Each NACK is counted at its 24 bytes; a 16-byte-quantum allocator gives it 32.
      if (this.release < 806) this.overhead.uncounted += (this.sc(24) - 24) * this.pelCount;
      if (this.release >= 806) {
        this.groupSum += this.consumerNames.allocSize();
        // The index of pending ids to their groups holds the union of the groups' PELs: the
        // one group's PEL, else the union (streamSize), else, past the bound, the largest.
        if (this.pelCount > 0) this.refGroups++;
        if (this.pelCount > this.refCount) {
          this.refCount = this.pelCount;
          this.refBytes = pel;
        }
        // Not tracked: each indexed id's list of groups (48) with a 24-byte node per group.
        this.overhead.uncounted += this.sc(24) * this.pelCount;
      }
    }
    this.groupOpen = true;
  }

  // ---- the total ----------------------------------------------------------------------------

  end(rec: KeyRecord): void {
    if (this.vk) rec.memoryBytes = this.valkeySize(rec);
    else if (this.release >= 806) rec.memoryBytes = this.redis86Size(rec);
    else rec.memoryBytes = this.valueSize(rec) + this.keyCost(rec.keyLength);
  }

  /** objectComputeSize(value, SAMPLES 0). */
  private valueSize(rec: KeyRecord): number {
    switch (this.type) {
      case 'string':
        return this.stringSize(rec);
      case 'list':
        return this.listSize(rec.length);
      case 'set':
        return this.setSize(rec.length);
      case 'zset':
        return this.zsetSize(rec.length);
      case 'hash':
        return this.hashSize(rec.length);
      case 'stream':
        return this.streamSize();
      default:
        // Vector sets: the module's own MEMORY USAGE formula, from the decoded summary (8.0
        // counts no robj for module values). Other modules: only the module can tell; the
        // serialized size is the proxy (the parser warns).
        if (rec.module === 'vectorset' && rec.vectorset) return vectorsetUsage(rec.vectorset, this.sc);
        return ROBJ + rec.valueFileBytes;
    }
  }

  private stringSize(rec: KeyRecord): number {
    const len = this.strLen;
    if (this.strInt) {
      this.overhead.sharedInt = this.sharedCandidate;
      return ROBJ;
    }
    if (stringEncoding(this.release, this.valkey, len, rec.keyLength, rec.expireAtMs >= 0) === 'embstr') {
      if (this.release < 500) this.overhead.uncounted += this.sc(len + 20) - (len + 2 + ROBJ);
      return this.release >= 700 ? this.sc(len + 20) : len + 2 + ROBJ;
    }
    const raw = ROBJ + this.sds(len);
    this.overhead.uncounted += this.sdsRound;
    return raw;
  }

  /** Closes the last node; true when the list is one listpack (7.2+), of `lastNodeBytes`. */
  private finishList(): boolean {
    this.closeNode();
    if (this.rdbType === 1 && this.listNodes > 0) {
      this.nodeSum += this.nodeCost(this.listLp, this.listZl);
      this.nodes = this.listNodes;
      this.lastNodeBytes = this.listLp;
      this.listNodes = 0;
    }
    return this.release >= 702 && this.nodes === 1 && this.plainNodes === 0 && this.lastNodeBytes <= LIST_NODE_BYTES;
  }

  /** `count`: the list's length, over which 8.0 averages (per element, not per node). */
  private listSize(count = 0): number {
    if (this.finishList()) return ROBJ + this.sc(this.lastNodeBytes);
    const header = ROBJ + (this.release >= 400 ? 40 : 32);
    return avg(header, this.nodeSum, this.release >= 800 && count > 0 ? count : this.nodes);
  }

  private dictBase(buckets: number): number {
    return ROBJ + (this.release >= 700 ? 56 : 96) + 8 * buckets;
  }

  private setSize(n: number): number {
    const t = this.rdbType;
    if (t === 11 && n <= SET_MAX_INTSET) {
      return ROBJ + this.blobSize(this.blobBytes);
    }
    if (t === 20 && n <= SET_MAX_LISTPACK && this.release >= 702) return ROBJ + this.sc(this.blobBytes);
    if (t === 2 || t === 11 || t === 20) {
      if (this.allInt && n <= SET_MAX_INTSET) return ROBJ + this.blobSize(8 + this.intWidth * n);
      if (this.release >= 702 && n <= SET_MAX_LISTPACK && this.maxLen <= SET_MAX_VALUE) return ROBJ + this.sc(7 + this.lpSum);
    }
    const buckets = this.setBuckets(n);
    this.overhead.uncounted += this.sdsRound;
    return avg(this.dictBase(buckets), n * DICT_ENTRY + this.sdsSum, n);
  }

  /** Buckets of a loaded hashtable set of `n` members (and what the instance pays for its entries). */
  private setBuckets(n: number): number {
    const d = dictScratch;
    d.reset();
    if (n > SET_MAX_INTSET || this.release >= 702 || this.rdbType !== 2) d.expand(n);
    else {
      // 7.0 and earlier: an intset converted on the first non-integer member (sized to the
      // members so far), then expanded to the full size, which may leave a rehash running.
      d.expand(this.firstNonInt);
      d.insert(this.firstNonInt);
      d.expand(n);
      d.insert(n - this.firstNonInt);
    }
    if (this.release >= 800) this.overhead.dictExcess = this.noValueExcess(n, d.size0);
    else this.overhead.htElements = n;
    return d.buckets();
  }

  /**
   * What MEMORY USAGE over-counts for a table without values (8.0 sets; 8.6 sets, zsets and
   * hashes): 24 bytes per element, while an element alone in its bucket takes no entry and
   * the others a 16-byte one (expected bucket occupancy of `b` buckets).
   */
  private noValueExcess(n: number, b: number): number {
    const taken = b * (1 - Math.pow(1 - 1 / b, n));
    return Math.round(n * DICT_ENTRY - this.sc(16) * (n - taken));
  }

  private zsetSize(n: number): number {
    const t = this.rdbType;
    const packed = t === 12 || t === 17;
    const inListpack = this.release >= 700;
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
    let buckets = nextPow2(n);
    if (this.release < 500) {
      // 4.0 does not pre-size a loaded skiplist's dict: it grows insert by insert.
      dictScratch.reset();
      dictScratch.insert(n);
      buckets = dictScratch.buckets();
    }
    this.overhead.htElements = n;
    const elements = this.sdsSum + n * DICT_ENTRY + n * this.skipNode;
    if (this.release < 500) {
      // Not counted by 4.0: the zskiplist (32), the dict (96), the header node with all of
      // 4.0's 32 levels (ZSKIPLIST_MAXLEVEL; 5.x has 64).
      this.overhead.uncounted += this.sdsRound + 32 + 96 + this.sc(24 + 16 * 32);
      return avg(ROBJ + 16 + 8 * buckets, elements, n);
    }
    // The header node has every level: 64 of them before 6.0, 32 since.
    const header = this.sc(24 + 16 * (this.release >= 600 ? 32 : 64));
    return avg(ROBJ + 16 + 32 + (this.release >= 700 ? 56 : 96) + 8 * buckets + header, elements, n);
  }

  private hashSize(n: number): number {
    const t = this.rdbType;
    const packed = t === 9 || t === 13 || t === 16 || t === 23 || t === 25;
    const inListpack = this.release >= 700;
    const withTtl = t === 23 || t === 25;
    if (packed && n <= HASH_MAX_ENTRIES && t !== 9) {
      if (withTtl && this.release >= 704) return ROBJ + this.sc(32) + this.sc(this.blobBytes);
      const storedMatches = !withTtl && (t === 16) === inListpack;
      const bytes = storedMatches ? this.blobBytes : inListpack ? 7 + this.lpSum : 11 + this.zlSum;
      return ROBJ + this.blobSize(bytes);
    }
    const fitsPacked = n <= HASH_MAX_ENTRIES && this.maxLen <= HASH_MAX_VALUE;
    if (fitsPacked && (t === 9 || !packed)) {
      // 8.0 loads a hash saved with field-TTL metadata as listpackex even when no TTL is left.
      const ex = this.ttlFields > 0 || (this.release >= 800 && (t === 22 || t === 24));
      if (ex && this.release >= 704) return ROBJ + this.sc(32) + this.sc(7 + this.lpSum + this.ttlLpSum);
      return ROBJ + this.blobSize(inListpack ? 7 + this.lpSum : 11 + this.zlSum);
    }
    const base = this.dictBase(this.hashBuckets(n, packed));
    this.overhead.htElements = n;
    this.overhead.uncounted += this.sdsRound;
    return avg(base, this.fieldSum + this.sdsSum + n * DICT_ENTRY, n);
  }

  /** Buckets of a loaded hashtable hash of `n` fields (`packed`: stored as a ziplist/listpack). */
  private hashBuckets(n: number, packed: boolean): number {
    const t = this.rdbType;
    const d = dictScratch;
    d.reset();
    if (this.release >= 806 && !packed && n <= HASH_MAX_ENTRIES && this.firstLong >= 0) {
      // 8.6 converts at the first long pair to a table sized for the pairs so far, adds that
      // pair (a type-4 hash before expanding), then, above 4 fields, expands for all of them.
      const k = this.firstLong;
      const before = t === 4 ? 1 : 0;
      d.expand(k);
      d.insert(k + before);
      if (n > 4) d.expand(n);
      d.insert(n - k - before);
      return d.buckets();
    }
    if (t === 22 || t === 24 || this.release < 500) {
      // Hashes with field TTLs are not pre-sized on load, nor is any hash dict in 4.0 (loaded
      // or converted from a ziplist): the dict grows insert by insert.
      d.insert(n);
    } else if (n > HASH_MAX_ENTRIES || packed) d.expand(n);
    else {
      // Loaded as a listpack until the first long field or value, then converted (docs/memory-model.md, section 3.4).
      const soFar = this.firstLong;
      d.expand(soFar);
      d.insert(soFar);
      d.expand(n - soFar);
      d.insert(n - soFar);
    }
    return d.buckets();
  }

  // ---- Redis 8.6 (docs/memory-model-redis8.md) --------------------------------------------------

  /** Sizes 8.6 tracks for the elements of a hashtable or skiplist: members, entries, nodes. */
  private r86Sum = 0;
  private r86Nodes: SkipNodes86 | null = null;

  /** Element `i` of a set, zset or hash as 8.6 holds it in a hashtable or skiplist. */
  private r86Element(i: number, len: number): void {
    if (this.type === 'hash') {
      if ((i & 1) === 0) this.pendingField = len;
      // A field TTL follows the value in hashes that carry them (fieldTtl completes the entry).
      else if (this.hashHasTtls()) this.pendingValue = len;
      else {
        this.r86Sum += hashEntry(this.sc, this.pendingField, len, false);
        this.r86Round += hashEntryRounding(this.sc, this.pendingField, len, false);
        this.pendingField = -1;
      }
      return;
    }
    if (this.type === 'zset') this.r86Sum += (this.r86Nodes ??= new SkipNodes86(this.sc)).expected(len);
    else {
      const bytes = sdsAlloc(this.sc, len);
      this.r86Sum += bytes;
      this.r86Round += this.sc(bytes) - bytes;
    }
  }

  /** Allocator rounding of the elements sized so far, which 8.6 counts as requested. */
  private r86Round = 0;

  /** Bytes 8.6 counts as requested (a packed value, a short sds): their rounding noted for the instance. */
  private r86Packed(bytes: number): number {
    this.overhead.uncounted += this.sc(bytes) - bytes;
    return bytes;
  }

  /**
   * kvobjComputeSize: the allocation holding object, expire slot and key (and an embedded
   * string), plus what the value tracks of itself. No dict entry is counted.
   */
  private redis86Size(rec: KeyRecord): number {
    const k = rec.keyLength;
    const exp = rec.expireAtMs >= 0;
    if (this.type === 'string' && !this.strInt && stringEncoding(this.release, 0, this.strLen, k, exp) === 'embstr') {
      return this.sc(kvBytes(k, exp, 4 + this.strLen));
    }
    const head = this.sc(kvBytes(k, exp, 0));
    switch (this.type) {
      case 'string':
        // An integer lives in the object's pointer: no shared integer objects any more.
        if (this.strInt) return head;
        return head + this.r86Packed(sdsAlloc(this.sc, this.strLen));
      case 'list':
        // One listpack (requested bytes), or the quicklist (48) and per node 40 + its bytes.
        return head + (this.finishList() ? this.lastNodeBytes : 48 + this.nodeSum);
      case 'set':
        return head + this.r86Set(rec.length);
      case 'zset':
        return head + this.r86Zset(rec.length);
      case 'hash':
        return head + this.r86Hash(rec.length);
      case 'stream':
        return head + this.streamSize() - ROBJ;
      default:
        // Module values: the object's allocation plus what the module reports.
        return head + (rec.module === 'vectorset' && rec.vectorset ? this.valueSize(rec) : rec.valueFileBytes);
    }
  }

  /** Packed encodings count their requested bytes; a hashtable its dict (56), entries (24 each), buckets and members. */
  private r86Set(n: number): number {
    const t = this.rdbType;
    if (t === 11 && n <= SET_MAX_INTSET) return this.r86Packed(this.blobBytes);
    if (t === 20 && n <= SET_MAX_LISTPACK) return this.r86Packed(this.blobBytes);
    if (t === 2 || t === 11 || t === 20) {
      if (this.allInt && n <= SET_MAX_INTSET) return this.r86Packed(8 + this.intWidth * n);
      if (n <= SET_MAX_LISTPACK && this.maxLen <= SET_MAX_VALUE) return this.r86Packed(7 + this.lpSum);
    }
    this.overhead.uncounted += this.r86Round;
    return 56 + DICT_ENTRY * n + 8 * this.setBuckets(n) + this.r86Sum;
  }

  /** A skiplist: zset (16), zskiplist (40), the 32-level header node, the dict, a node per member. */
  private r86Zset(n: number): number {
    const t = this.rdbType;
    const packed = t === 12 || t === 17;
    if (packed && n <= ZSET_MAX_ENTRIES) {
      if (t === 17) return this.r86Packed(this.blobBytes);
      this.scoreSizes();
      return this.r86Packed(7 + this.lpSum);
    }
    if (!packed && n <= ZSET_MAX_ENTRIES && this.maxLen <= ZSET_MAX_VALUE) {
      this.scoreSizes();
      return this.r86Packed(7 + this.lpSum);
    }
    this.overhead.dictExcess = this.noValueExcess(n, nextPow2(n));
    return Math.round(16 + 40 + this.sc(16 + 16 * 32) + 56 + DICT_ENTRY * n + 8 * nextPow2(n) + this.r86Sum);
  }

  /** Listpacks count their requested bytes (listpackEx adds 24); a hashtable as a set does, with entries. */
  private r86Hash(n: number): number {
    const t = this.rdbType;
    const packed = t === 9 || t === 13 || t === 16 || t === 23 || t === 25;
    if (packed && n <= HASH_MAX_ENTRIES && t !== 9) {
      if (t === 23 || t === 25) return 24 + this.r86Packed(this.blobBytes);
      return this.r86Packed(t === 16 ? this.blobBytes : 7 + this.lpSum);
    }
    if (n <= HASH_MAX_ENTRIES && this.maxLen <= HASH_MAX_VALUE && (t === 9 || !packed)) {
      // Hashes saved with field-TTL metadata load as listpackex even when no TTL is left.
      const ex = this.ttlFields > 0 || t === 22 || t === 24;
      return ex ? 24 + this.r86Packed(7 + this.lpSum + this.ttlLpSum) : this.r86Packed(7 + this.lpSum);
    }
    this.overhead.uncounted += this.r86Round;
    const buckets = this.hashBuckets(n, packed);
    this.overhead.dictExcess = this.noValueExcess(n, dictScratch.size0);
    return 56 + DICT_ENTRY * n + 8 * buckets + this.r86Sum;
  }

  // ---- Valkey 8.1+ (docs/memory-model-valkey.md) ----------------------------------------------

  /** Valkey 8.1+: open-addressing tables and values that hold their key (8.0 keeps 7.2's dicts). */
  private vk = false;
  /** Allocations of the elements a Valkey hashtable or skiplist holds (members, entries, nodes). */
  private vkSum = 0;
  /** 9.x skiplist nodes all at one level (see vkZsetSize). */
  private vkSingle = 0;
  private pendingValue = -1;
  /** Earliest and latest field TTL of a 9.x hash (they shape its volatile set). */
  private ttlMin = 0;
  private ttlMax = 0;
  private readonly vkTable = new HashtableSim();
  private vkNodes: SkipNode9 | null = null;

  /** Element `i` of a set, zset or hash as Valkey holds it in a hashtable or skiplist. */
  private vkElement(i: number, len: number): void {
    if (this.type === 'hash') {
      if ((i & 1) === 0) this.pendingField = len;
      // A field TTL follows the value in hashes that carry them (fieldTtl completes the entry).
      else if (this.hashHasTtls()) this.pendingValue = len;
      else this.vkSum += vkHashEntry(this.sc, this.pendingField, len, false);
      return;
    }
    // 9.x skiplist nodes embed their member; 8.1 ones point to its sds.
    if (this.type === 'zset' && this.valkey >= 900) {
      const nodes = (this.vkNodes ??= new SkipNode9(this.sc));
      this.vkSum += nodes.expected(len);
      this.vkSingle += nodes.single(len);
    } else this.vkSum += vkSds(this.sc, len);
  }

  /**
   * objectComputeSize on Valkey: 8.1 counts 16 bytes for the value object (its embedded key
   * and expire time are not counted, except inside an embedded string); 9.x the object's whole
   * allocation. No key sds and no dict entry are added: the key lives in the object.
   */
  private valkeySize(rec: KeyRecord): number {
    const obj = this.sc(vkObjectBytes(rec.keyLength, rec.expireAtMs >= 0));
    const head = this.valkey >= 900 ? obj : ROBJ;
    if (this.type === 'string' && !this.strInt) {
      const embedded = valkeyEmbstrBytes(this.valkey, this.strLen, rec.keyLength, rec.expireAtMs >= 0, this.sc);
      if (embedded > 0) return this.sc(embedded);
    }
    this.overhead.objectExtra = obj - head;
    switch (this.type) {
      case 'string':
        return this.strInt ? head : head + vkSds(this.sc, this.strLen);
      case 'list':
        return this.listSize() - ROBJ + head;
      case 'stream':
        return this.streamSize() - ROBJ + head;
      case 'set':
        return this.vkSetSize(rec.length, head);
      case 'zset':
        return this.vkZsetSize(rec.length, head);
      case 'hash':
        return this.vkHashSize(rec.length, head);
      default:
        return this.valueSize(rec);
    }
  }

  /**
   * sizeof(hashtable) (8.1: 72; 9.x adds a safe-iterator list: 80) plus the type's metadata,
   * as MEMORY USAGE counts it; the instance pays its size class.
   */
  private vkTableHeader(metadata: number): number {
    const bytes = (this.valkey >= 900 ? 80 : 72) + metadata;
    this.overhead.objectExtra += this.sc(bytes) - bytes;
    return bytes;
  }

  /** Top-level and (expected) child buckets of a table pre-sized for its `n` entries. */
  private vkPresized(n: number): number {
    const t = this.vkTable;
    t.reset();
    t.expand(n);
    t.insert(n);
    return t.buckets();
  }

  private vkSetSize(n: number, head: number): number {
    const t = this.rdbType;
    // The packed encodings follow Redis 7.2's rules.
    if (t === 11 && n <= SET_MAX_INTSET) return head + this.sc(this.blobBytes);
    if (t === 20 && n <= SET_MAX_LISTPACK) return head + this.sc(this.blobBytes);
    if (t === 2 || t === 11 || t === 20) {
      if (this.allInt && n <= SET_MAX_INTSET) return head + this.sc(8 + this.intWidth * n);
      if (n <= SET_MAX_LISTPACK && this.maxLen <= SET_MAX_VALUE) return head + this.sc(7 + this.lpSum);
    }
    // Every conversion to a hashtable, and a large set's load, sizes it for all members.
    return Math.trunc(head + this.vkTableHeader(0) + BUCKET * this.vkPresized(n) + this.vkSum);
  }

  private vkZsetSize(n: number, head: number): number {
    const t = this.rdbType;
    const packed = t === 12 || t === 17;
    if (packed && n <= ZSET_MAX_ENTRIES) {
      if (t === 17) return head + this.sc(this.blobBytes);
      this.scoreSizes();
      return head + this.sc(7 + this.lpSum);
    }
    if (!packed && n <= ZSET_MAX_ENTRIES && this.maxLen <= ZSET_MAX_VALUE) {
      this.scoreSizes();
      return head + this.sc(7 + this.lpSum);
    }
    const table = this.vkTableHeader(0) + BUCKET * this.vkPresized(n);
    // Node levels are random: a few nodes most likely all have one level (P >= 0.42 for
    // three), more are best sized by the expected level.
    const few = n <= 3;
    // 9.x: zset struct (16) and the skiplist with its 32-level header node inline (528),
    // counted at its size; the instance pays its size class.
    if (this.valkey >= 900) {
      this.overhead.objectExtra += this.sc(528) - 528;
      return Math.trunc(head + 16 + 528 + table + (few ? this.vkSingle : this.vkSum));
    }
    // 8.1: zset (16), zskiplist (32), the header node's allocation, a node per member.
    const nodes = few ? n * this.sc(40) : n * this.skipNode;
    return Math.trunc(head + 16 + 32 + this.sc(24 + 16 * 32) + table + this.vkSum + nodes);
  }

  private vkHashSize(n: number, head: number): number {
    const t = this.rdbType;
    const fieldTtls = this.valkey >= 900 && t === 22;
    if (!fieldTtls) {
      const packed = t === 9 || t === 13 || t === 16;
      if (packed && n <= HASH_MAX_ENTRIES && t !== 9) return head + this.sc(t === 16 ? this.blobBytes : 7 + this.lpSum);
      if (n <= HASH_MAX_ENTRIES && this.maxLen <= HASH_MAX_VALUE && (t === 9 || !packed)) return head + this.sc(7 + this.lpSum);
    }
    const sim = this.vkTable;
    sim.reset();
    if (t === 4 && n <= HASH_MAX_ENTRIES && this.firstLong >= 0) {
      // Loaded as a listpack until the first long field or value: converted to a table sized
      // for the pairs so far, that pair added, then expanded for the pairs still to come.
      const k = this.firstLong;
      sim.expand(k);
      sim.insert(k + 1);
      sim.expand(n - k - 1);
      sim.insert(n - k - 1);
    } else {
      sim.expand(n);
      sim.insert(n);
    }
    // 9.x hash tables carry 8 bytes of metadata: the volatile set of fields with TTLs.
    const table = this.vkTableHeader(this.valkey >= 900 ? 8 : 0) + BUCKET * sim.buckets();
    const volatile = fieldTtls ? vkVolatileSet(this.sc, this.ttlFields, this.ttlMin, this.ttlMax, sim) : 0;
    return Math.trunc(head + table + this.vkSum) + volatile;
  }

  private streamSize(): number {
    this.closeGroup();
    this.groupOpen = false;
    if (this.release >= 806) {
      // 8.6: the stream struct (160) and everything it tracks: the raxes of listpacks, groups,
      // pending ids to groups, and the idempotent producers' entries.
      const groups = this.groupSum > 0 ? this.groupNames.allocSize() : 0;
      if (this.refGroups > 1 && this.refN <= REF_IDS) this.pelUnion();
      this.overhead.uncounted += this.sc(48) * this.refCount;
      return ROBJ + 160 + this.raxBytes(this.mainRax) + this.streamSum + this.groupSum + groups + this.refBytes + this.idmpSum;
    }
    const header = this.release >= 700 ? 80 : this.release >= 602 ? 40 : 0;
    // The groups rax, which MEMORY USAGE leaves out too.
    if (this.groupSum > 0) this.overhead.uncounted += this.groupNames.allocSize(this.raxStruct());
    return ROBJ + header + this.raxBytes(this.mainRax) + this.streamSum + this.groupSum;
  }

  // 8.6 stream state.
  private groupNames!: NameRax;
  private consumerNames!: NameRax;
  private refCount = 0;
  private refBytes = 0;
  private idmpSum = 0;
  /** Pending ids of all groups (the first REF_IDS), and how many groups have any. */
  private refIds: Uint8Array | null = null;
  private refOrder: Int32Array | null = null;
  private refN = 0;
  private refGroups = 0;
  private readonly refRax = new RaxCounter();

  /** The index of pending ids as the union of the kept groups' PELs: sorted, distinct. */
  private pelUnion(): void {
    const ids = this.refIds!;
    const order = (this.refOrder ??= new Int32Array(REF_IDS)).subarray(0, this.refN);
    for (let i = 0; i < order.length; i++) order[i] = 16 * i;
    order.sort((a, b) => compareIds(ids, a, b));
    const r = this.refRax;
    r.reset();
    for (let i = 0; i < order.length; i++) {
      if (i > 0 && compareIds(ids, order[i - 1], order[i]) === 0) continue;
      r.add(ids, order[i]);
    }
    this.refCount = r.count;
    this.refBytes = r.allocSize(this.sc);
  }

  /** An idempotent producer (24 bytes) of an 8.6 stream (its rax and dict are not tracked). */
  streamIdmpProducer(): void {
    this.idmpSum += this.sc(24);
  }

  /** One remembered id: next pointer, entry id, length and the id's bytes in one allocation. */
  streamIdmpEntry(_b: Uint8Array, start: number, end: number): void {
    this.idmpSum += this.sc(32 + end - start);
  }

  /** sizeof(rax): Valkey adds the allocation size it tracks. */
  private raxStruct(): number {
    return this.vk ? 32 : 24;
  }

  /** A radix tree as MEMORY USAGE counts it: Redis' per-node formula, Valkey's real allocation. */
  private raxBytes(r: RaxCounter): number {
    if (this.vk || this.release >= 806) return r.allocSize(this.sc);
    // What the instance pays is the real tree: a 24-byte rax struct and its nodes.
    this.overhead.raxExcess += r.memory() - (r.allocSize(this.sc) - this.sc(32) + this.sc(24));
    return r.memory();
  }
}

const dictScratch = new DictSim();

/** Pending ids kept per 8.6 stream to build its index of them exactly (beyond: an estimate). */
const REF_IDS = 4096;

function compareIds(b: Uint8Array, x: number, y: number): number {
  for (let i = 0; i < 16; i++) {
    const d = b[x + i] - b[y + i];
    if (d !== 0) return d;
  }
  return 0;
}

/** 2.x/3.2 have no MEMORY USAGE: they are estimated with the 4.0 model (the nearest one). */
export function modelledVersion(num: number): number {
  return Math.max(num, 400);
}

/** MEMORY USAGE's averaging step: `asize += (double)elesize / samples * count`, truncated. */
function avg(base: number, sum: number, n: number): number {
  if (n === 0) return base;
  return Math.trunc(base + (sum / n) * n);
}
