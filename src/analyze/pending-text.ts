/**
 * What a stream's consumer groups hold pending, as one phrase for findings and reports:
 * "group `workers`: 20,000 pending, oldest delivered 3.2 d before the snapshot". The age is
 * measured from the file's save time (aux `ctime`); without one the delivery time is given.
 */
import type { QueueEntry } from './schema.ts';
import { formatCount, isoTime } from '../core/units.ts';

/** Groups named at most; the rest are counted. */
const GROUPS_SHOWN = 3;

/** `45 s`, `12 min`, `5.5 h`, `3.2 d`, `41 d`. */
export function formatAge(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  const unit = s < 86400 ? 3600 : 86400;
  const v = s / unit;
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${unit === 3600 ? 'h' : 'd'}`;
}

/** `oldest delivered 3.2 d before the snapshot`, or the delivery time when the age is unknown. */
export function oldestPhrase(deliveryMs: number, savedAtMs: number | null): string {
  if (savedAtMs !== null && savedAtMs >= deliveryMs) return `oldest delivered ${formatAge(savedAtMs - deliveryMs)} before the snapshot`;
  return `oldest delivered ${isoTime(deliveryMs, '?')}`;
}

/**
 * The groups of a stream queue entry with entries pending, most first (`quote` renders a
 * group name for the output at hand); '' when the entry has no group data.
 */
export function pendingPhrase(e: Pick<QueueEntry, 'pendingGroups' | 'groups'>, savedAtMs: number | null, quote: (name: string) => string): string {
  const groups = e.pendingGroups;
  if (!groups || groups.length === 0) return '';
  const busy = groups.filter((g) => g.pending > 0).sort((a, b) => b.pending - a.pending || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (busy.length === 0) return `nothing pending in ${groups.length === 1 ? 'its consumer group' : `its ${formatCount(groups.length)} consumer groups`}`;
  const parts = busy.slice(0, GROUPS_SHOWN).map((g) => `group ${quote(g.name)}: ${formatCount(g.pending)} pending${g.oldestDeliveryMs !== null ? `, ${oldestPhrase(g.oldestDeliveryMs, savedAtMs)}` : ''}`);
  if (busy.length > GROUPS_SHOWN) parts.push(`${formatCount(busy.length - GROUPS_SHOWN)} more groups with entries pending`);
  return parts.join('; ');
}
