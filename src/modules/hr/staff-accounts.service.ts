import { randomUUID } from 'node:crypto';
import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import { parseInput } from '../../input.ts';
import type { ServiceDeps } from '../../services.ts';
import type { Database } from '../../stores/database.ts';
import { ChangeAwareCache } from '../../stores/platform-changes.ts';
import { hashPassword } from '../identity/password-hash.ts';
import { assertAcceptablePassword } from '../identity/password-policy.ts';
import type { StaffCredentials, StaffLogin, StaffSessionState } from '../identity/staff-login.ts';
import { contractEnded } from './contract.ts';
import { type NewStaffInput, newStaffInput, type StaffView, staffEmail } from './hr.schemas.ts';
import {
  deleteAssignment,
  findStaffByEmail,
  findStaffById,
  insertAssignment,
  insertStaff,
  insertStaffAccount,
  isAssigned,
} from './staff.repository.ts';
import { toStaffView } from './staff-presenter.ts';
import {
  endStaffSession,
  findLiveStaffSession,
  findStaffSession,
  insertStaffSession,
  type LiveStaffSessionRow,
  touchStaffSession,
} from './staff-session.repository.ts';

const touchIntervalMs = 60_000;
/**
 * Staff sessions kept in memory, by token digest, with their account's and
 * contract's state. The hr change feed drops an entry as soon as its session
 * ends, its account is disabled or its contract changes, in any instance; the
 * limits (idle, absolute, contract end date) are checked on every request; the
 * TTL only bounds how long a missed notification could matter.
 */
const sessionCacheTtlMs = 30_000;
const maxCachedSessions = 5_000;

/**
 * Staff accounts (hr store): the operator creates them and assigns account
 * managers to Spaces; identity logs staff in through the `StaffLogin` port.
 * An ended contract (or a disabled account) refuses login and ends sessions.
 */
export class StaffAccountsService implements StaffLogin {
  /** Open staff sessions, when `deps` has the hr change feed. */
  private readonly sessions: ChangeAwareCache<LiveStaffSessionRow> | undefined;

  constructor(private readonly deps: ServiceDeps) {
    this.sessions =
      deps.hrChanges &&
      new ChangeAwareCache(deps.hrChanges, {
        ttlMs: sessionCacheTtlMs,
        maxEntries: maxCachedSessions,
      });
  }

  /** A directory entry with an account (operator only: `kith staff create`). */
  async create(caller: Caller, input: NewStaffInput & { password: string }): Promise<StaffView> {
    assertOperator(caller, 'kith staff create');
    const { password, ...entry } = input;
    const parsed = parseInput(newStaffInput, entry);
    await assertAcceptablePassword(password);
    const db = await this.hr();
    const now = this.deps.clock();
    const id = randomUUID();
    const passwordHash = await hashPassword(password);
    await db.transaction(async (tx) => {
      const inserted = await insertStaff(tx, {
        id,
        email: parsed.email,
        name: parsed.name,
        role: parsed.role,
        department: parsed.department ?? parsed.role,
        contractType: parsed.contractType,
        startDate: parsed.startDate ?? now.toISOString().slice(0, 10),
        endDate: parsed.endDate ?? null,
        at: now,
      });
      if (!inserted) {
        throw new AppError('conflict', 'a staff member with this email exists: use another email');
      }
      await insertStaffAccount(tx, { staffId: id, passwordHash, at: now });
    });
    const row = await findStaffByEmail(db, parsed.email);
    if (!row) {
      throw new Error('staff member vanished after insert');
    }
    return toStaffView(row, now);
  }

  /** Makes an account manager responsible for a Space (operator only: `kith staff assign`). */
  async assign(caller: Caller, email: string, spaceId: string): Promise<StaffView> {
    assertOperator(caller, 'kith staff assign');
    const db = await this.hr();
    const staff = await this.byEmail(db, email);
    if (staff.role !== 'account_manager') {
      throw new AppError(
        'invalid_input',
        `${email} is ${staff.role}: only an account_manager is assigned to Spaces`,
      );
    }
    await insertAssignment(db, { staffId: staff.id, spaceId, at: this.deps.clock() });
    return staff;
  }

  /**
   * Ends an account manager's responsibility for a Space (operator only: `kith
   * staff unassign`); `StaffGrantsService.unassign` ends their grants after it.
   */
  async unassign(
    caller: Caller,
    email: string,
    spaceId: string,
  ): Promise<{ staff: StaffView; wasAssigned: boolean }> {
    assertOperator(caller, 'kith staff unassign');
    const db = await this.hr();
    const staff = await this.byEmail(db, email);
    const wasAssigned = await deleteAssignment(db, staff.id, spaceId);
    return { staff, wasAssigned };
  }

  /** Whether an account manager is assigned to the Space (the grant check asks). */
  async isAssigned(staffId: string, spaceId: string): Promise<boolean> {
    return isAssigned(await this.hr(), staffId, spaceId);
  }

  async findByEmail(email: string): Promise<StaffView | undefined> {
    const parsed = staffEmail.safeParse(email);
    if (!parsed.success) {
      return undefined;
    }
    const row = await findStaffByEmail(await this.hr(), parsed.data);
    return row && toStaffView(row, this.deps.clock());
  }

  /** The logged-in staff member as `/auth/me` shows an account. */
  async viewOf(staffId: string) {
    const row = await findStaffById(await this.hr(), staffId);
    return (
      row && {
        id: row.id,
        email: row.email,
        name: row.name,
        createdAt: row.created_at.toISOString(),
        disabled: row.disabled_at !== null,
      }
    );
  }

  async credentialsOf(email: string, now: Date): Promise<StaffCredentials | undefined> {
    const row = await findStaffByEmail(await this.hr(), email);
    if (!row) {
      return undefined;
    }
    return {
      id: row.id,
      email: row.email,
      name: row.name,
      createdAt: row.created_at,
      passwordHash: row.password_hash,
      usable: row.has_account && row.disabled_at === null && !contractEnded(row.end_date, now),
    };
  }

  async openSession(session: Parameters<StaffLogin['openSession']>[0]): Promise<void> {
    await insertStaffSession(await this.hr(), session);
  }

  async liveSession(
    tokenHash: Buffer,
    now: Date,
    idleMs: number,
  ): Promise<StaffSessionState | undefined> {
    const key = tokenHash.toString('base64url');
    // The limits are checked on every request, on what this instance knows.
    const cached = this.sessions?.get(key);
    if (cached && !endReasonOf(cached, now, idleMs)) {
      await this.touchIfDue(cached, now, idleMs);
      return toState(cached);
    }
    // Not in memory, or past a limit as this instance saw it (another instance
    // may have touched it since): the store decides.
    const db = await this.hr();
    const row = this.sessions
      ? await this.sessions.load(key, async () => {
          const found = await findLiveStaffSession(db, tokenHash);
          return found && { value: found, userId: found.staff_id };
        })
      : await findLiveStaffSession(db, tokenHash);
    if (!row) {
      return undefined;
    }
    const reason = endReasonOf(row, now, idleMs);
    if (reason) {
      this.sessions?.delete(key);
      await endStaffSession(db, { id: row.id, staffId: row.staff_id, reason, at: now });
      return undefined;
    }
    await this.touchIfDue(row, now, idleMs);
    return toState(row);
  }

  /**
   * Moves `last_seen_at` forward when the last write is older than the touch
   * interval: at most one UPDATE per interval per session, whatever the traffic.
   */
  private async touchIfDue(row: LiveStaffSessionRow, now: Date, idleMs: number): Promise<void> {
    if (now.getTime() - row.last_seen_at.getTime() < Math.min(touchIntervalMs, idleMs / 4)) {
      return;
    }
    const previous = row.last_seen_at;
    // Set first: the concurrent requests of this session do not touch it again.
    row.last_seen_at = now;
    try {
      await touchStaffSession(await this.hr(), row.id, now);
    } catch (error) {
      row.last_seen_at = previous;
      throw error;
    }
  }

  async session(id: string, staffId: string): Promise<StaffSessionState | undefined> {
    const row = await findStaffSession(await this.hr(), id, staffId);
    return row && toState(row);
  }

  async endSession(id: string, staffId: string, at: Date): Promise<void> {
    await endStaffSession(await this.hr(), { id, staffId, reason: 'logout', at });
    // This instance at once; the others when the store's notification reaches them.
    this.deps.hrChanges?.changed({ userId: staffId });
  }

  private async byEmail(db: Database, email: string): Promise<StaffView> {
    const parsed = staffEmail.safeParse(email);
    const row = parsed.success ? await findStaffByEmail(db, parsed.data) : undefined;
    if (!row) {
      throw notFound('staff member');
    }
    return toStaffView(row, this.deps.clock());
  }

  private hr(): Promise<Database> {
    return this.deps.stores.department('hr');
  }
}

function assertOperator(caller: Caller, command: string): void {
  if (caller.actor.type !== 'system') {
    throw new AppError('forbidden', `only the operator manages staff accounts: use ${command}`);
  }
}

function endReasonOf(row: LiveStaffSessionRow, now: Date, idleMs: number) {
  if (row.disabled) {
    return 'disabled' as const;
  }
  if (contractEnded(row.end_date, now)) {
    return 'contract_ended' as const;
  }
  if (now.getTime() >= row.expires_at.getTime()) {
    return 'expired' as const;
  }
  if (now.getTime() >= row.last_seen_at.getTime() + idleMs) {
    return 'idle' as const;
  }
  return undefined;
}

function toState(row: LiveStaffSessionRow): StaffSessionState {
  return {
    id: row.id,
    staffId: row.staff_id,
    name: row.staff_name,
    role: row.staff_role,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    device: row.user_agent,
    ip: row.ip,
  };
}
