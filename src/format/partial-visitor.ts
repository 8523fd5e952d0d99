/**
 * A caller's visitor may implement any subset of ValueVisitor; the parser's hot path calls
 * methods unconditionally, so the missing ones are filled in with no-ops here (as TeeVisitor
 * fans out, this fills in: one concrete object, no optional-call checks per element).
 */
import type { ValueVisitor } from '../core/types.ts';

/** The visitor callers write: every event optional. */
export type PartialVisitor = Partial<ValueVisitor>;

const noop = (): void => {};

/** Methods that take elements: a visitor with any of them wants packed blobs decoded. */
const ELEMENT_EVENTS = ['str', 'int', 'bigStr', 'score', 'fieldTtl', 'streamEntry'] as const;

/** `v` itself when it is complete, else `v` with no-ops in its gaps. */
export function fillVisitor(v: PartialVisitor): ValueVisitor {
  return isComplete(v) ? v : new FilledVisitor(v);
}

function isComplete(v: PartialVisitor): v is ValueVisitor {
  return (
    typeof v.begin === 'function' && typeof v.str === 'function' && typeof v.int === 'function' && typeof v.bigStr === 'function' &&
    typeof v.score === 'function' && typeof v.fieldTtl === 'function' && typeof v.blob === 'function' &&
    typeof v.streamNode === 'function' && typeof v.streamEntry === 'function' && typeof v.streamMeta === 'function' &&
    typeof v.streamGroup === 'function' && typeof v.streamPel === 'function' && typeof v.streamConsumer === 'function' &&
    typeof v.streamConsumerPel === 'function' && typeof v.end === 'function'
  );
}

class FilledVisitor implements ValueVisitor {
  readonly begin: ValueVisitor['begin'];
  readonly str: ValueVisitor['str'];
  readonly int: ValueVisitor['int'];
  readonly bigStr: ValueVisitor['bigStr'];
  readonly score: ValueVisitor['score'];
  readonly fieldTtl: ValueVisitor['fieldTtl'];
  readonly blob: ValueVisitor['blob'];
  readonly streamNode: ValueVisitor['streamNode'];
  readonly streamEntry: ValueVisitor['streamEntry'];
  readonly streamMeta: ValueVisitor['streamMeta'];
  readonly streamGroup: ValueVisitor['streamGroup'];
  readonly streamPel: ValueVisitor['streamPel'];
  readonly streamConsumer: ValueVisitor['streamConsumer'];
  readonly streamConsumerPel: ValueVisitor['streamConsumerPel'];
  readonly streamIdmpProducer?: ValueVisitor['streamIdmpProducer'];
  readonly streamIdmpEntry?: ValueVisitor['streamIdmpEntry'];
  readonly streamIdmp?: ValueVisitor['streamIdmp'];
  readonly end: ValueVisitor['end'];

  constructor(v: PartialVisitor) {
    this.begin = v.begin?.bind(v) ?? noop;
    this.str = v.str?.bind(v) ?? noop;
    this.int = v.int?.bind(v) ?? noop;
    this.bigStr = v.bigStr?.bind(v) ?? noop;
    this.score = v.score?.bind(v) ?? noop;
    this.fieldTtl = v.fieldTtl?.bind(v) ?? noop;
    // Without blob(), a visitor that takes elements wants every packed value decoded for it.
    const wants = ELEMENT_EVENTS.some((k) => typeof v[k] === 'function');
    this.blob = v.blob?.bind(v) ?? (() => wants);
    this.streamNode = v.streamNode?.bind(v) ?? noop;
    this.streamEntry = v.streamEntry?.bind(v) ?? noop;
    this.streamMeta = v.streamMeta?.bind(v) ?? noop;
    this.streamGroup = v.streamGroup?.bind(v) ?? noop;
    this.streamPel = v.streamPel?.bind(v) ?? noop;
    this.streamConsumer = v.streamConsumer?.bind(v) ?? noop;
    this.streamConsumerPel = v.streamConsumerPel?.bind(v) ?? noop;
    // Optional in ValueVisitor too: the parser checks for these, so absent stays absent.
    if (v.streamIdmpProducer) this.streamIdmpProducer = v.streamIdmpProducer.bind(v);
    if (v.streamIdmpEntry) this.streamIdmpEntry = v.streamIdmpEntry.bind(v);
    if (v.streamIdmp) this.streamIdmp = v.streamIdmp.bind(v);
    this.end = v.end?.bind(v) ?? noop;
  }
}
