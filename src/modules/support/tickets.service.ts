import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Caller } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../http/common-schemas.ts';
import { parseInput } from '../../input.ts';
import type { ServiceDeps } from '../../services.ts';
import type { Database } from '../../stores/database.ts';
import type { RecordView } from '../../stores/records.ts';
import { requireStaffRole } from '../staff/department-guard.ts';
import {
  findSupportRecord,
  insertSupportRecord,
  listSupportRecords,
  type SupportTable,
  updateSupportRecord,
} from './tickets.repository.ts';
import { messageBody, newTicketBody, ticketPatch } from './tickets.schemas.ts';

const cursor = z.tuple([z.iso.datetime(), z.uuid()]);
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type Page = { limit: number; cursor?: string | undefined };

/**
 * Support tickets and their messages (support store only, SPEC 4.7), for
 * `support` staff and nobody else. This module holds the support store's
 * handle and no other store's.
 */
export class TicketsService {
  constructor(private readonly deps: ServiceDeps) {}

  async list(caller: Caller, query: Page) {
    requireStaffRole(this.deps, caller, 'support', 'support.tickets.read');
    return this.page('tickets', query);
  }

  async get(caller: Caller, ticketId: string): Promise<RecordView> {
    requireStaffRole(this.deps, caller, 'support', 'support.tickets.read');
    return this.ticket(await this.support(), ticketId);
  }

  async create(caller: Caller, input: unknown): Promise<RecordView> {
    const { staffId } = requireStaffRole(this.deps, caller, 'support', 'support.tickets.write');
    const { message, ...ticket } = parseInput(newTicketBody, input);
    const db = await this.support();
    const now = this.deps.clock();
    const id = randomUUID();
    await db.transaction(async (tx) => {
      await insertSupportRecord(tx, 'tickets', {
        ...ticket,
        id,
        status: 'open',
        createdBy: staffId,
        createdAt: now,
        updatedAt: now,
      });
      if (message) {
        await insertSupportRecord(tx, 'messages', {
          id: randomUUID(),
          ticketId: id,
          authorType: 'requester',
          authorId: null,
          body: message,
          createdAt: now,
        });
      }
    });
    return this.ticket(db, id);
  }

  async update(caller: Caller, ticketId: string, input: unknown): Promise<RecordView> {
    requireStaffRole(this.deps, caller, 'support', 'support.tickets.write');
    const patch = parseInput(ticketPatch, input);
    const db = await this.support();
    await this.ticket(db, ticketId);
    await updateSupportRecord(db, 'tickets', ticketId, { ...patch, updatedAt: this.deps.clock() });
    return this.ticket(db, ticketId);
  }

  async listMessages(caller: Caller, ticketId: string, query: Page) {
    requireStaffRole(this.deps, caller, 'support', 'support.tickets.read');
    await this.ticket(await this.support(), ticketId);
    return this.page('messages', query, { ticketId });
  }

  async addMessage(caller: Caller, ticketId: string, input: unknown): Promise<RecordView> {
    const { staffId } = requireStaffRole(this.deps, caller, 'support', 'support.tickets.write');
    const { body, authorType } = parseInput(messageBody, input);
    const db = await this.support();
    await this.ticket(db, ticketId);
    const id = randomUUID();
    const now = this.deps.clock();
    await db.transaction(async (tx) => {
      await insertSupportRecord(tx, 'messages', {
        id,
        ticketId,
        authorType,
        authorId: authorType === 'staff' ? staffId : null,
        body,
        createdAt: now,
      });
      await updateSupportRecord(tx, 'tickets', ticketId, { updatedAt: now });
    });
    const message = await findSupportRecord(db, 'messages', id, { ticketId });
    if (!message) {
      throw notFound('message');
    }
    return message;
  }

  private async page(table: SupportTable, query: Page, where?: Record<string, unknown>) {
    const after = decodeCursor(query.cursor, cursor);
    const rows = await listSupportRecords(await this.support(), table, {
      limit: query.limit + 1,
      after,
      where,
    });
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor:
        rows.length > query.limit && last ? encodeCursor([last.createdAt, last.id]) : null,
    };
  }

  private async ticket(db: Database, ticketId: string): Promise<RecordView> {
    const row = uuidPattern.test(ticketId)
      ? await findSupportRecord(db, 'tickets', ticketId)
      : undefined;
    if (!row) {
      throw notFound('ticket');
    }
    return row;
  }

  private support(): Promise<Database> {
    return this.deps.stores.department('support');
  }
}
