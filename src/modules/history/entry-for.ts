import type { Caller } from '../../context.ts';
import type { FieldChange } from '../contacts/contact-diff.ts';
import type { SpaceGrant } from '../spaces/space-access.ts';
import type { HistoryAction } from './history-format.ts';
import type { HistoryEntryInput } from './history-writer.ts';

/** The history entry of a change made by `caller` with `grant`: the actor's name and role as they are now. */
export function entryFor(
  caller: Caller,
  grant: SpaceGrant,
  change: {
    action: HistoryAction;
    target: { type: string; id: string };
    changes: FieldChange[];
    at: Date;
    /** The contact whose personal data the values are (erasure removes them). */
    subjectId?: string;
  },
): HistoryEntryInput {
  return {
    actor: {
      type: caller.actor.type,
      id: caller.actor.id,
      name: caller.actor.name,
      role: grant.role,
    },
    action: change.action,
    target: change.target,
    changes: change.changes,
    source: caller.source,
    device: caller.device ?? null,
    ip: caller.ip ?? null,
    subjectId: change.subjectId ?? null,
    at: change.at,
  };
}
