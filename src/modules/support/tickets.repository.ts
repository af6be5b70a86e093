import type { Queryable } from '../../stores/database.ts';
import {
  findRecord,
  insertRecord,
  listRecords,
  type RecordTable,
  type RecordView,
  updateRecord,
} from '../../stores/records.ts';

/** The tables of the support store (SQL in `stores/records.ts`, from these specs). */
export const supportTables = {
  tickets: {
    table: 'tickets',
    columns: {
      id: { column: 'id' },
      subject: { column: 'subject' },
      requesterEmail: { column: 'requester_email' },
      requesterUserId: { column: 'requester_user_id' },
      status: { column: 'status' },
      priority: { column: 'priority' },
      assigneeId: { column: 'assignee_id' },
      createdBy: { column: 'created_by' },
      createdAt: { column: 'created_at', kind: 'timestamp' },
      updatedAt: { column: 'updated_at', kind: 'timestamp' },
    },
  },
  messages: {
    table: 'ticket_messages',
    columns: {
      id: { column: 'id' },
      ticketId: { column: 'ticket_id' },
      authorType: { column: 'author_type' },
      authorId: { column: 'author_id' },
      body: { column: 'body' },
      createdAt: { column: 'created_at', kind: 'timestamp' },
    },
  },
} as const satisfies Record<string, RecordTable>;

export type SupportTable = keyof typeof supportTables;

export const insertSupportRecord = (
  db: Queryable,
  table: SupportTable,
  values: Record<string, unknown>,
) => insertRecord(db, supportTables[table], values);

export const findSupportRecord = (
  db: Queryable,
  table: SupportTable,
  id: string,
  where?: Record<string, unknown>,
): Promise<RecordView | undefined> => findRecord(db, supportTables[table], id, where);

export const listSupportRecords = (
  db: Queryable,
  table: SupportTable,
  page: Parameters<typeof listRecords>[2],
): Promise<RecordView[]> => listRecords(db, supportTables[table], page);

export const updateSupportRecord = (
  db: Queryable,
  table: SupportTable,
  id: string,
  patch: Record<string, unknown>,
): Promise<boolean> => updateRecord(db, supportTables[table], id, patch);
