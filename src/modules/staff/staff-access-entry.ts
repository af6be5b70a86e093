/*
 * ============================================================================
 *  PERSISTED CONTRACT — staff access record, format 1 (docs/staff-access.md).
 *  The `access` value is hashed into the Space's history chain and read back by
 *  the access log and by customers' own tools: add keys, never rename or drop
 *  one; a change of meaning is a new `format`.
 * ============================================================================
 */
import type { Caller } from '../../context.ts';
import type { HistoryEntryInput } from '../history/history-writer.ts';
import type { GrantRow } from './staff-grant.repository.ts';

export const staffAccessFormatVersion = 1;

/**
 * A `staff.access` history entry (SPEC 4.7): who (staff id, name, role), the
 * grant and its reason, and what was done: the Space action, the route and the
 * ids it named, as one change `access` whose value is
 * `{event, grant, reason, action?, endReason?, route?, ids?}` (documented in
 * docs/staff-access.md). Values are labels and ids, never contact fields.
 */
export function staffAccessEntry(
  caller: Caller,
  grant: GrantRow,
  what: { event: string; action?: string; endReason?: string; at: Date },
): HistoryEntryInput {
  // One change holding the whole access: one value row per entry, not six.
  const access: Record<string, unknown> = {
    format: staffAccessFormatVersion,
    event: what.event,
    grant: grant.id,
    reason: grant.reason,
  };
  if (what.action) {
    access.action = what.action;
  }
  if (what.endReason) {
    access.endReason = what.endReason;
  }
  if (caller.request) {
    access.route = `${caller.request.method} ${caller.request.route}`;
    access.ids = { ...caller.request.params };
  }
  const changes: HistoryEntryInput['changes'] = [{ field: 'access', from: null, to: access }];
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
