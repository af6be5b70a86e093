import type { Caller } from '../../context.ts';
import type { HistoryEntryInput } from '../history/history-writer.ts';
import type { GrantRow } from './staff-grant.repository.ts';

/**
 * A `staff.access` history entry (SPEC 4.7): who (staff id, name, role), the
 * grant and its reason, and what was done: the Space action, the route and the
 * ids it named. Values are labels and ids, never contact fields.
 */
export function staffAccessEntry(
  caller: Caller,
  grant: GrantRow,
  what: { event: string; action?: string; at: Date },
): HistoryEntryInput {
  const changes: HistoryEntryInput['changes'] = [
    { field: 'event', from: null, to: what.event },
    { field: 'grant', from: null, to: grant.id },
    { field: 'reason', from: null, to: grant.reason },
  ];
  if (what.action) {
    changes.push({ field: 'action', from: null, to: what.action });
  }
  if (caller.request) {
    changes.push({
      field: 'route',
      from: null,
      to: `${caller.request.method} ${caller.request.route}`,
    });
    changes.push({ field: 'ids', from: null, to: { ...caller.request.params } });
  }
  return {
    actor: {
      type: caller.actor.type,
      id: caller.actor.id,
      name: caller.actor.name,
      role: caller.actor.type === 'staff' ? grant.staff_role : null,
    },
    action: 'staff.access',
    target: { type: 'space', id: grant.space_id },
    changes,
    source: caller.source,
    device: caller.device ?? null,
    ip: caller.ip ?? null,
    subjectId: null,
    at: what.at,
  };
}
