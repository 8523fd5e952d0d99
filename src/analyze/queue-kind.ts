/**
 * Which long collections are queues. Lists and streams are (work is pushed at one end and
 * taken from the other; a stream's consumer groups hold the delivered, unacknowledged
 * entries). A zset is a queue only when it is a job schedule: the job libraries keep due
 * times or job ids in zsets under fixed names (Sidekiq `schedule`, `retry`, `dead`; Bull /
 * BullMQ `delayed`, `wait`, `active`, `completed`, `failed`, `prioritized`, …; Resque
 * `delayed_queue_schedule`), the name's last segment. Any other long zset (a leaderboard, a
 * search index) is a big collection: growing, but nothing waits in it.
 *
 * Scores that are epoch timestamps would be evidence too, but records do not carry scores
 * yet (a parser and record-layout change), so the names decide.
 */

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

const MAX_NAME = 24;

/**
 * True when the last segment of `key[s, e)` (after the last separator byte, `isSep[b] === 1`)
 * is a job-schedule name, compared case-insensitively. No allocation.
 */
export function isScheduleName(key: Uint8Array, s: number, e: number, isSep: Uint8Array): boolean {
  let i = e;
  while (i > s && isSep[key[i - 1]] !== 1) i--;
  const n = e - i;
  if (n === 0 || n > MAX_NAME) return false;
  let name = '';
  for (let j = i; j < e; j++) {
    const c = key[j];
    if (c >= 0x80) return false;
    name += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return SCHEDULE_NAMES.has(name);
}

/** The separator table `isScheduleName` takes. */
export function separatorTable(separators: string): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < separators.length; i++) t[separators.charCodeAt(i)] = 1;
  return t;
}
