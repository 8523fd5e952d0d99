/**
 * A caller's visitor may implement any subset of ValueVisitor; the parser's hot path calls
 * methods unconditionally, so the missing ones are filled in with no-ops here (as TeeVisitor
 * fans out, this fills in: one concrete object, no optional-call checks per element).
 */
import type { ValueVisitor } from '../core/types.ts';

/** The visitor callers write: every event optional. */
export type PartialVisitor = Partial<ValueVisitor>;

const noop = (): void => {};

/** The events the parser always calls. */
const REQUIRED = [
  'begin', 'str', 'int', 'bigStr', 'score', 'fieldTtl', 'blob', 'streamNode', 'streamEntry', 'streamMeta',
  'streamGroup', 'streamPel', 'streamConsumer', 'streamConsumerPel', 'end',
] as const satisfies readonly (keyof ValueVisitor)[];

/** Optional in ValueVisitor too: the parser checks for these, so absent stays absent. */
const OPTIONAL = ['streamIdmpProducer', 'streamIdmpEntry', 'streamIdmp'] as const satisfies readonly (keyof ValueVisitor)[];

/** Methods that take elements: a visitor with any of them wants packed blobs decoded. */
const ELEMENT_EVENTS = ['str', 'int', 'bigStr', 'score', 'fieldTtl', 'streamEntry'] as const;

/** `v` itself when it is complete, else `v`'s methods bound, with no-ops in its gaps. */
export function fillVisitor(v: PartialVisitor): ValueVisitor {
  if (REQUIRED.every((k) => typeof v[k] === 'function')) return v as ValueVisitor;
  // Without blob(), a visitor that takes elements wants every packed value decoded for it.
  const wants = ELEMENT_EVENTS.some((k) => typeof v[k] === 'function');
  const filled: Record<string, unknown> = {};
  for (const k of REQUIRED) {
    const f = v[k] as ((...a: unknown[]) => unknown) | undefined;
    filled[k] = f ? f.bind(v) : k === 'blob' ? () => wants : noop;
  }
  for (const k of OPTIONAL) {
    const f = v[k] as ((...a: unknown[]) => unknown) | undefined;
    if (f) filled[k] = f.bind(v);
  }
  return filled as unknown as ValueVisitor;
}
