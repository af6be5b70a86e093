import type { Queryable } from '../../stores/database.ts';
import {
  findRecord,
  insertRecord,
  listRecords,
  type RecordTable,
  type RecordView,
  updateRecord,
} from '../../stores/records.ts';

/** The tables of the sales store (SQL in `stores/records.ts`, from these specs). */
export const salesTables = {
  organisations: {
    table: 'organisations',
    columns: {
      id: { column: 'id' },
      name: { column: 'name' },
      website: { column: 'website' },
      country: { column: 'country' },
      spaceId: { column: 'space_id' },
      createdBy: { column: 'created_by' },
      createdAt: { column: 'created_at', kind: 'timestamp' },
      updatedAt: { column: 'updated_at', kind: 'timestamp' },
    },
  },
  leads: {
    table: 'leads',
    columns: {
      id: { column: 'id' },
      organisationId: { column: 'organisation_id' },
      contactName: { column: 'contact_name' },
      contactEmail: { column: 'contact_email' },
      status: { column: 'status' },
      source: { column: 'source' },
      ownerId: { column: 'owner_id' },
      createdAt: { column: 'created_at', kind: 'timestamp' },
      updatedAt: { column: 'updated_at', kind: 'timestamp' },
    },
  },
  deals: {
    table: 'deals',
    columns: {
      id: { column: 'id' },
      organisationId: { column: 'organisation_id' },
      title: { column: 'title' },
      stage: { column: 'stage' },
      amountCents: { column: 'amount_cents', kind: 'integer' },
      currency: { column: 'currency' },
      closeDate: { column: 'close_date', kind: 'date' },
      ownerId: { column: 'owner_id' },
      createdAt: { column: 'created_at', kind: 'timestamp' },
      updatedAt: { column: 'updated_at', kind: 'timestamp' },
    },
  },
  notes: {
    table: 'notes',
    columns: {
      id: { column: 'id' },
      organisationId: { column: 'organisation_id' },
      body: { column: 'body' },
      authorId: { column: 'author_id' },
      createdAt: { column: 'created_at', kind: 'timestamp' },
    },
  },
} as const satisfies Record<string, RecordTable>;

export type SalesTable = keyof typeof salesTables;

export const insertSalesRecord = (
  db: Queryable,
  table: SalesTable,
  values: Record<string, unknown>,
) => insertRecord(db, salesTables[table], values);

export const findSalesRecord = (
  db: Queryable,
  table: SalesTable,
  id: string,
  where?: Record<string, unknown>,
): Promise<RecordView | undefined> => findRecord(db, salesTables[table], id, where);

export const listSalesRecords = (
  db: Queryable,
  table: SalesTable,
  page: Parameters<typeof listRecords>[2],
): Promise<RecordView[]> => listRecords(db, salesTables[table], page);

export const updateSalesRecord = (
  db: Queryable,
  table: SalesTable,
  id: string,
  patch: Record<string, unknown>,
): Promise<boolean> => updateRecord(db, salesTables[table], id, patch);
