import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../http/common-schemas.ts';
import { parseInput } from '../../input.ts';
import type { ServiceDeps } from '../../services.ts';
import type { Database } from '../../stores/database.ts';
import type { RecordView } from '../../stores/records.ts';
import { requireStaffRole } from '../staff/department-guard.ts';
import {
  findSalesRecord,
  insertSalesRecord,
  listSalesRecords,
  type SalesTable,
  updateSalesRecord,
} from './sales.repository.ts';
import { noteBody, salesSchemas } from './sales.schemas.ts';

export type SalesResource = keyof typeof salesSchemas;
export const salesResources = Object.keys(salesSchemas) as SalesResource[];

const cursor = z.tuple([z.iso.datetime(), z.uuid()]);
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RecordPage {
  items: RecordView[];
  nextCursor: string | null;
}

/**
 * The sales pipeline (sales store only, SPEC 4.7): organisations, leads, deals
 * and notes, for `sales` staff and nobody else. This module holds the sales
 * store's handle and no other store's.
 */
export class SalesService {
  constructor(private readonly deps: ServiceDeps) {}

  async list(
    caller: Caller,
    resource: SalesResource,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<RecordPage> {
    requireStaffRole(this.deps, caller, 'sales', `sales.${resource}.read`);
    return this.page(resource, query);
  }

  async get(caller: Caller, resource: SalesResource, id: string): Promise<RecordView> {
    requireStaffRole(this.deps, caller, 'sales', `sales.${resource}.read`);
    return this.found(await this.sales(), resource, id);
  }

  async create(caller: Caller, resource: SalesResource, input: unknown): Promise<RecordView> {
    const { staffId } = requireStaffRole(this.deps, caller, 'sales', `sales.${resource}.write`);
    const values: Record<string, unknown> = parseInput(salesSchemas[resource].create, input);
    const db = await this.sales();
    await this.assertOrganisation(db, values.organisationId);
    const now = this.deps.clock();
    const id = randomUUID();
    const owner = resource === 'organisations' ? { createdBy: staffId } : { ownerId: staffId };
    await insertSalesRecord(db, resource, {
      ...values,
      ...owner,
      id,
      createdAt: now,
      updatedAt: now,
    });
    return this.found(db, resource, id);
  }

  async update(
    caller: Caller,
    resource: SalesResource,
    id: string,
    input: unknown,
  ): Promise<RecordView> {
    requireStaffRole(this.deps, caller, 'sales', `sales.${resource}.write`);
    const patch: Record<string, unknown> = parseInput(salesSchemas[resource].patch, input);
    const db = await this.sales();
    await this.assertOrganisation(db, patch.organisationId);
    if (!uuidPattern.test(id)) {
      throw notFound(resource.slice(0, -1));
    }
    const updated = await updateSalesRecord(db, resource, id, {
      ...patch,
      updatedAt: this.deps.clock(),
    });
    if (!updated) {
      throw notFound(resource.slice(0, -1));
    }
    return this.found(db, resource, id);
  }

  async listNotes(
    caller: Caller,
    organisationId: string,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<RecordPage> {
    requireStaffRole(this.deps, caller, 'sales', 'sales.notes.read');
    await this.found(await this.sales(), 'organisations', organisationId);
    return this.page('notes', query, { organisationId });
  }

  async addNote(caller: Caller, organisationId: string, input: unknown): Promise<RecordView> {
    const { staffId } = requireStaffRole(this.deps, caller, 'sales', 'sales.notes.write');
    const { body } = parseInput(noteBody, input);
    const db = await this.sales();
    await this.found(db, 'organisations', organisationId);
    const id = randomUUID();
    await insertSalesRecord(db, 'notes', {
      id,
      organisationId,
      body,
      authorId: staffId,
      createdAt: this.deps.clock(),
    });
    return this.found(db, 'notes', id);
  }

  private async page(
    table: SalesTable,
    query: { limit: number; cursor?: string | undefined },
    where?: Record<string, unknown>,
  ): Promise<RecordPage> {
    const after = decodeCursor(query.cursor, cursor);
    const rows = await listSalesRecords(await this.sales(), table, {
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

  private async found(db: Database, table: SalesTable, id: string): Promise<RecordView> {
    const row = uuidPattern.test(id) ? await findSalesRecord(db, table, id) : undefined;
    if (!row) {
      throw notFound(table.slice(0, -1));
    }
    return row;
  }

  private async assertOrganisation(db: Database, organisationId: unknown): Promise<void> {
    if (typeof organisationId !== 'string') {
      return;
    }
    if (!(await findSalesRecord(db, 'organisations', organisationId))) {
      throw new AppError('invalid_input', 'organisationId: no such organisation: create it first');
    }
  }

  private sales(): Promise<Database> {
    return this.deps.stores.department('sales');
  }
}
