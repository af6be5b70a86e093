import { AppError } from '../../errors.ts';
import type { Queryable } from '../../stores/database.ts';
import { readEntryPage, readValuePage } from '../history/history.repository.ts';

interface RecordedChange {
  readonly field: string;
  readonly fromDigest: string | null;
  readonly toDigest: string | null;
}

/**
 * The value `field` of contact `contactId` had right after history entry `seq`
 * (null: no value). A 400 when the entry is not about this contact or does not
 * change this field; a 409 when the value was erased from the history.
 */
export async function valueAfterEntry(
  db: Queryable,
  spaceId: string,
  contactId: string,
  field: string,
  seq: number,
): Promise<unknown> {
  const [entry] = await readEntryPage(db, spaceId, seq - 1, seq, 1);
  if (entry?.target_type !== 'contact' || entry.target_id !== contactId) {
    throw new AppError('invalid_input', `seq: history entry ${seq} is not about this contact`, {
      path: ['body', 'seq'],
    });
  }
  const changes = Array.isArray(entry.changes) ? (entry.changes as RecordedChange[]) : [];
  const idx = changes.findIndex((change) => change.field === field);
  const change = changes[idx];
  if (!change) {
    throw new AppError('invalid_input', `field: history entry ${seq} does not change ${field}`, {
      path: ['body', 'field'],
    });
  }
  if (change.toDigest === null) {
    return null;
  }
  const values = await readValuePage(db, spaceId, seq - 1, seq);
  const recorded = values.find((value) => value.idx === idx && value.side === 'to');
  if (!recorded) {
    throw new AppError(
      'conflict',
      `the value ${field} had after history entry ${seq} was erased: it cannot be restored`,
    );
  }
  return recorded.value;
}
