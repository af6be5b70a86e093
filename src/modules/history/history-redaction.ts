import type { Queryable } from '../../stores/database.ts';
import { deleteSubjectValues } from './history.repository.ts';

/**
 * Erasure's history primitive (SPEC 4.3, "erasable without breaking"): deletes
 * every value of one data subject from a Space's history, salts included, so the
 * digests left in the entries can no longer be matched to anything. The entries
 * keep who did what to which fields and when, and the chain still verifies.
 * Run it inside the erasure's transaction; returns how many values were deleted.
 */
export async function redactSubject(
  tx: Queryable,
  spaceId: string,
  subjectId: string,
): Promise<number> {
  return deleteSubjectValues(tx, spaceId.toLowerCase(), subjectId);
}
