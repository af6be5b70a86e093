import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../http/common-schemas.ts';
import { parseInput } from '../../input.ts';
import type { ServiceDeps } from '../../services.ts';
import type { Database } from '../../stores/database.ts';
import { requireStaffRole } from '../staff/department-guard.ts';
import { contractEnded } from './contract.ts';
import { newStaffInput, type StaffView, staffPatch } from './hr.schemas.ts';
import { findStaffById, insertStaff, listStaff, updateStaff } from './staff.repository.ts';
import { toStaffView } from './staff-presenter.ts';
import { endSessionsOfStaff } from './staff-session.repository.ts';

const cursor = z.tuple([z.string().max(400), z.uuid()]);
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The staff directory for `hr` staff (hr store only): employees and
 * contractors, their departments and contracts. Accounts and passwords stay
 * with the operator (`kith staff create`); ending a contract here ends the
 * account's sessions at once.
 */
export class DirectoryService {
  constructor(private readonly deps: ServiceDeps) {}

  async list(
    caller: Caller,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: StaffView[]; nextCursor: string | null }> {
    requireStaffRole(this.deps, caller, 'hr', 'hr.directory.read');
    const after = decodeCursor(query.cursor, cursor);
    const rows = await listStaff(await this.hr(), { limit: query.limit + 1, after });
    const now = this.deps.clock();
    const items = rows.slice(0, query.limit).map((row) => toStaffView(row, now));
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > query.limit && last ? encodeCursor([last.name, last.id]) : null,
    };
  }

  async get(caller: Caller, staffId: string): Promise<StaffView> {
    requireStaffRole(this.deps, caller, 'hr', 'hr.directory.read');
    return this.found(await this.hr(), staffId);
  }

  /** A directory entry without an account (the operator gives accounts). */
  async create(caller: Caller, input: unknown): Promise<StaffView> {
    requireStaffRole(this.deps, caller, 'hr', 'hr.directory.write');
    const entry = parseInput(newStaffInput, input);
    const db = await this.hr();
    const now = this.deps.clock();
    const id = randomUUID();
    const inserted = await insertStaff(db, {
      id,
      email: entry.email,
      name: entry.name,
      role: entry.role,
      department: entry.department ?? entry.role,
      contractType: entry.contractType,
      startDate: entry.startDate ?? now.toISOString().slice(0, 10),
      endDate: entry.endDate ?? null,
      at: now,
    });
    if (!inserted) {
      throw new AppError('conflict', 'a staff member with this email exists: use another email');
    }
    return this.found(db, id);
  }

  /** Changes department, contract type or end date; an end date already past ends every session. */
  async update(caller: Caller, staffId: string, input: unknown): Promise<StaffView> {
    requireStaffRole(this.deps, caller, 'hr', 'hr.directory.write');
    const patch = parseInput(staffPatch, input);
    const db = await this.hr();
    const current = await this.found(db, staffId);
    if (patch.endDate && patch.endDate < current.startDate) {
      throw new AppError('invalid_input', 'endDate: must not be before the start date');
    }
    const now = this.deps.clock();
    await db.transaction(async (tx) => {
      await updateStaff(tx, staffId, patch, now);
      if (patch.endDate !== undefined && contractEnded(patch.endDate, now)) {
        await endSessionsOfStaff(tx, { staffId, reason: 'contract_ended', at: now });
      }
    });
    // Cached sessions carry the contract: this instance drops them at once.
    this.deps.hrChanges?.changed({ userId: staffId });
    return this.found(db, staffId);
  }

  private async found(db: Database, staffId: string): Promise<StaffView> {
    const row = uuidPattern.test(staffId) ? await findStaffById(db, staffId) : undefined;
    if (!row) {
      throw notFound('staff member');
    }
    return toStaffView(row, this.deps.clock());
  }

  private hr(): Promise<Database> {
    return this.deps.stores.department('hr');
  }
}
