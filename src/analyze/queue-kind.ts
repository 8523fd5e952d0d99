/**
 * Which long collections are queues. Lists and streams are (work is pushed at one end and
 * taken from the other; a stream's consumer groups hold the delivered, unacknowledged
 * entries). A zset is a queue only when it is a job schedule: the job libraries keep due
 * times or job ids in zsets under fixed names (Sidekiq `schedule`, `retry`, `dead`; Bull /
 * BullMQ `delayed`, `wait`, `active`, `completed`, `failed`, `prioritized`, …; Resque
 * `delayed_queue_schedule`), the name's last segment; or its scores are all epoch times
 * (a due date per member, whatever the library). Any other long zset (a leaderboard, a
 * search index) is a big collection: growing, but nothing waits in it.
 */

/** 2001-01-01 and 2100-01-01 in epoch seconds: the span a job's due time plausibly lies in. */
const EPOCH_S_MIN = 978_307_200;
const EPOCH_S_MAX = 4_102_444_800;

/**
 * True when a zset's lowest and highest scores are both epoch times of 2001–2100, in seconds
 * or both in milliseconds; false when unknown (NaN: small packed zsets analysis skips).
 */
export function scoresAreTimestamps(min: number, max: number): boolean {
  if (!(min <= max)) return false;
  if (min >= EPOCH_S_MIN && max <= EPOCH_S_MAX) return true;
  return min >= EPOCH_S_MIN * 1000 && max <= EPOCH_S_MAX * 1000;
}

const SCHEDULE_NAMES = new Set([
  'schedule',
  'scheduled',
  'retry',
  'dead',
  'delayed',
  'wait',
  'waiting',
  'active',
  'completed',
  'failed',
  'prioritized',
  'priority',
  'paused',
  'stalled',
  'waiting-children',
  'jobs',
  'queue',
  'pending',
  'delayed_queue_schedule',
]);

/** The names as lowercase ASCII bytes, by length: a key is compared with the few of its length. */
const BY_LENGTH: Uint8Array[][] = [];
for (const n of SCHEDULE_NAMES) (BY_LENGTH[n.length] ??= []).push(new TextEncoder().encode(n));

/**
 * True when the last segment of `key[s, e)` (after the last separator byte, `isSep[b] === 1`)
 * is a job-schedule name, compared case-insensitively. No allocation: it runs for every zset.
 */
export function isScheduleName(key: Uint8Array, s: number, e: number, isSep: Uint8Array): boolean {
  let i = e;
  while (i > s && isSep[key[i - 1]] !== 1) i--;
  const names = BY_LENGTH[e - i];
  if (names === undefined) return false;
  next: for (const name of names) {
    for (let j = 0; j < name.length; j++) {
      const c = key[i + j];
      if ((c >= 65 && c <= 90 ? c + 32 : c) !== name[j]) continue next;
    }
    return true;
  }
  return false;
}

/** The separator table `isScheduleName` takes. */
export function separatorTable(separators: string): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < separators.length; i++) t[separators.charCodeAt(i)] = 1;
  return t;
}
