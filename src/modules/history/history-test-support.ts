import { randomUUID } from 'node:crypto';
import type { Database } from '../../stores/database.ts';
import type { HistoryEntryInput } from './history-writer.ts';

/** Test support: Spaces in a region store and entries to append to them. */
export async function createRegionSpace(db: Database, region = 'eu'): Promise<string> {
  const spaceId = randomUUID();
  await db.query(`INSERT INTO spaces (space_id, region, country) VALUES ($1, $2, 'FR')`, [
    spaceId,
    region,
  ]);
  return spaceId;
}

export const testActor = {
  type: 'user',
  id: randomUUID(),
  name: 'Ada Admin',
  role: 'superadmin',
} as const;

/** A contact update of `field` from `from` to `to`. */
export function contactUpdate(
  contactId: string,
  field: string,
  from: unknown,
  to: unknown,
): HistoryEntryInput {
  return {
    actor: { ...testActor },
    action: 'contact.update',
    target: { type: 'contact', id: contactId },
    changes: [{ field, from, to }],
    source: 'api',
    device: 'kith-tests/1.0',
    ip: '127.0.0.1',
  };
}

/** `count` entries about `contacts` contacts, two changed fields each. */
export function sampleEntries(
  count: number,
  contacts: string[] = [randomUUID()],
): HistoryEntryInput[] {
  return Array.from({ length: count }, (_, i) => ({
    ...contactUpdate(
      contacts[i % contacts.length] as string,
      'email',
      `old${i}@example.org`,
      `new${i}@example.org`,
    ),
    changes: [
      { field: 'email', from: `old${i}@example.org`, to: `new${i}@example.org` },
      { field: 'tags', from: null, to: ['volunteer', `t${i}`] },
    ],
  }));
}
