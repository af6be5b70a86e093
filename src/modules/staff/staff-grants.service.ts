import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../http/common-schemas.ts';
import { parseInput } from '../../input.ts';
import type { ServiceDeps } from '../../services.ts';
import { readSpaceSettings } from '../contacts/space-settings.repository.ts';
import { readEntriesNewestFirst, readRegionsInUse } from '../history/history.repository.ts';
import { appendHistoryEntries } from '../history/history-writer.ts';
import { listMembers } from '../spaces/member.repository.ts';
import { findSpaceById } from '../spaces/space.repository.ts';
import { isUuid, SpaceAccess } from '../spaces/space-access.ts';
import { toAccessLogEntry } from './access-log-presenter.ts';
import { staffAccessEntry } from './staff-access-entry.ts';
import { staffAccessRuntime } from './staff-access-relay.ts';
import { logDenial } from './staff-denials.ts';
import {
  decideGrant,
  endGrant,
  findGrant,
  type GrantEndReason,
  type GrantRow,
  insertGrant,
  listGrants,
  openGrantsOfStaff,
} from './staff-grant.repository.ts';
import type { AccessLogEntry } from './staff-grants.schemas.ts';
import { endGrantBody, openGrantBody } from './staff-grants.schemas.ts';
import { isGrantRole } from './staff-policy.ts';

/** What grants need of the hr store: the account manager's assignment, and ending it. */
export interface AssignmentCheck {
  isAssigned(staffId: string, spaceId: string): Promise<boolean>;
  unassign(
    caller: Caller,
    email: string,
    spaceId: string,
  ): Promise<{ staff: { id: string; email: string }; wasAssigned: boolean }>;
}

export interface GrantView {
  id: string;
  expiresAt: string | null;
  status: GrantRow['status'];
}

const page = z.tuple([z.iso.datetime(), z.uuid()]);
const logCursor = z.tuple([z.number().int().positive()]);
/** A Space has few superadmins; they are all told. */
const maxNotified = 200;

/**
 * Staff grants (SPEC 4.7): the assigned account manager or the cto opens a
 * time-boxed grant with a reason; a Space may require its superadmin's approval
 * first. Grants and every use of them are in the Space's region store and
 * history, which the superadmin reads as the access log.
 */
export class StaffGrantsService {
  private readonly access: SpaceAccess;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly assignments: AssignmentCheck,
  ) {
    this.access = new SpaceAccess(deps);
  }

  /** Opens (or asks for) a grant; the Space's superadmins are told by mail. */
  async open(caller: Caller, input: unknown): Promise<GrantView> {
    if (caller.actor.type !== 'staff') {
      throw notFound('route');
    }
    const staffRole = caller.actor.staffRole;
    const body = parseInput(openGrantBody, input);
    const deny = (reason: 'wrong_role' | 'not_assigned') => {
      logDenial(this.deps, {
        staffId: caller.actor.id,
        action: 'staff.access.open',
        spaceId: body.spaceId,
        reason,
      });
    };
    if (!isGrantRole(staffRole)) {
      deny('wrong_role');
      throw new AppError('forbidden', 'not allowed');
    }
    const space = await findSpaceById(await this.deps.stores.platform(), body.spaceId);
    if (!space) {
      throw notFound('space');
    }
    if (
      staffRole === 'account_manager' &&
      !(await this.assignments.isAssigned(caller.actor.id, space.id))
    ) {
      deny('not_assigned');
      throw notFound('space');
    }
    const now = this.deps.clock();
    const minutes = this.deps.config.staff.grantMinutes;
    const db = await this.deps.stores.region(space.region);
    const grant = await db.transaction(async (tx) => {
      const settings = await readSpaceSettings(tx, space.id);
      if (settings === undefined) {
        throw notFound('space');
      }
      const needsApproval = settings.requireStaffApproval === true;
      const row: GrantRow = {
        id: randomUUID(),
        space_id: space.id,
        staff_id: caller.actor.id,
        staff_name: caller.actor.name,
        staff_role: staffRole,
        reason: body.reason,
        status: needsApproval ? 'pending' : 'active',
        minutes,
        requested_at: now,
        opened_at: needsApproval ? null : now,
        expires_at: needsApproval ? null : new Date(now.getTime() + minutes * 60_000),
        decided_by: null,
        decided_at: null,
      };
      await insertGrant(tx, row);
      await appendHistoryEntries(tx, space.id, [
        staffAccessEntry(caller, row, { event: needsApproval ? 'request' : 'open', at: now }),
      ]);
      return row;
    });
    await this.tellSuperadmins(space.id, space.name, grant);
    return viewOf(grant);
  }

  /** A superadmin approves or refuses a pending grant; approval starts its time box. */
  async decide(
    caller: Caller,
    spaceId: string,
    grantId: string,
    decision: 'approve' | 'deny',
  ): Promise<GrantView> {
    const access = await this.access.require(caller, spaceId, 'staffAccess.approve');
    if (!isUuid(grantId)) {
      throw notFound('grant');
    }
    const db = await this.deps.stores.region(access.space.region);
    const now = this.deps.clock();
    return db.transaction(async (tx) => {
      const grant = await findGrant(tx, access.space.id, grantId, { lock: true });
      if (!grant) {
        throw notFound('grant');
      }
      if (grant.status !== 'pending') {
        throw new AppError('conflict', `this grant is already ${grant.status}: nothing to decide`);
      }
      const status = decision === 'approve' ? 'active' : 'denied';
      const expiresAt =
        status === 'active' ? new Date(now.getTime() + grant.minutes * 60_000) : null;
      await decideGrant(tx, access.space.id, {
        id: grant.id,
        status,
        by: caller.actor.id,
        at: now,
        expiresAt,
      });
      const entry = staffAccessEntry(caller, grant, { event: decision, at: now });
      await appendHistoryEntries(tx, access.space.id, [
        { ...entry, actor: { ...entry.actor, role: access.role } },
      ]);
      return viewOf({ ...grant, status, expires_at: expiresAt });
    });
  }

  /** The Space's grants, newest first (superadmin). */
  async list(
    caller: Caller,
    spaceId: string,
    query: { limit: number; cursor?: string | undefined },
  ) {
    const access = await this.access.require(caller, spaceId, 'accessLog.read');
    const after = decodeCursor(query.cursor, page);
    const db = await this.deps.stores.region(access.space.region);
    const rows = await listGrants(db, access.space.id, { limit: query.limit + 1, after });
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return {
      items: items.map((row) => ({
        ...viewOf(row),
        staffId: row.staff_id,
        staffName: row.staff_name,
        staffRole: row.staff_role,
        reason: row.reason,
        requestedAt: row.requested_at.toISOString(),
        decidedAt: row.decided_at?.toISOString() ?? null,
        endedAt: row.ended_at?.toISOString() ?? null,
        endReason: row.end_reason ?? null,
      })),
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor([last.requested_at.toISOString(), last.id])
          : null,
    };
  }

  /** Every staff access to the Space, newest first: the `staff.access` history entries (superadmin). */
  async accessLog(
    caller: Caller,
    spaceId: string,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: AccessLogEntry[]; nextCursor: string | null }> {
    const access = await this.access.require(caller, spaceId, 'accessLog.read');
    const before = decodeCursor(query.cursor, logCursor);
    const db = await this.deps.stores.region(access.space.region);
    // Uses recorded a moment ago are in the log: deliver them before reading.
    await staffAccessRuntime(this.deps.stores).relay.deliver(db, access.space.id);
    const rows = await readEntriesNewestFirst(
      db,
      access.space.id,
      { action: 'staff.access', beforeSeq: before?.[0] },
      query.limit + 1,
    );
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return {
      items: items.map(toAccessLogEntry),
      nextCursor: rows.length > query.limit && last ? encodeCursor([last.seq]) : null,
    };
  }

  /** A staff member closes their own grant before its time box runs out. */
  async endOwn(caller: Caller, grantId: string, input: unknown): Promise<GrantView> {
    if (caller.actor.type !== 'staff') {
      throw notFound('route');
    }
    const { spaceId } = parseInput(endGrantBody, input);
    const space = await findSpaceById(await this.deps.stores.platform(), spaceId);
    if (!space || !isUuid(grantId)) {
      throw notFound('grant');
    }
    const db = await this.deps.stores.region(space.region);
    const grant = await findGrant(db, space.id, grantId);
    if (!grant || grant.staff_id !== caller.actor.id) {
      throw notFound('grant');
    }
    return this.endOne(caller, space.region, space.id, grant.id, 'staff', grant.staff_role);
  }

  /** A superadmin revokes a pending or live grant to their Space. */
  async revoke(caller: Caller, spaceId: string, grantId: string): Promise<GrantView> {
    const access = await this.access.require(caller, spaceId, 'staffAccess.approve');
    if (!isUuid(grantId)) {
      throw notFound('grant');
    }
    return this.endOne(
      caller,
      access.space.region,
      access.space.id,
      grantId,
      'superadmin',
      access.role,
    );
  }

  /**
   * Ends an account manager's responsibility for a Space (operator: `kith staff
   * unassign`), then every grant they hold on it; returns how many grants ended.
   */
  async unassign(
    caller: Caller,
    email: string,
    spaceId: string,
  ): Promise<{ staffId: string; wasAssigned: boolean; grantsEnded: number }> {
    const { staff, wasAssigned } = await this.assignments.unassign(caller, email, spaceId);
    const space = await findSpaceById(await this.deps.stores.platform(), spaceId);
    if (!space) {
      return { staffId: staff.id, wasAssigned, grantsEnded: 0 };
    }
    const ended = await endGrantsOf(this.deps, caller, [staff.id], 'unassigned', {
      region: space.region,
      spaceId: space.id,
    });
    return { staffId: staff.id, wasAssigned, grantsEnded: ended };
  }

  /** Delivers recorded uses still waiting (the server is closing). */
  settle(): Promise<void> {
    return staffAccessRuntime(this.deps.stores).relay.settle();
  }

  private async endOne(
    caller: Caller,
    region: string,
    spaceId: string,
    grantId: string,
    reason: GrantEndReason,
    role: string,
  ): Promise<GrantView> {
    const db = await this.deps.stores.region(region);
    const now = this.deps.clock();
    const ended = await db.transaction(async (tx) => {
      const grant = await endGrant(tx, spaceId, {
        id: grantId,
        by: caller.actor.id,
        reason,
        at: now,
      });
      if (!grant) {
        const found = await findGrant(tx, spaceId, grantId);
        if (!found) {
          throw notFound('grant');
        }
        throw new AppError('conflict', 'this grant is no longer open: nothing to end');
      }
      const entry = staffAccessEntry(caller, grant, { event: 'end', endReason: reason, at: now });
      await appendHistoryEntries(tx, spaceId, [{ ...entry, actor: { ...entry.actor, role } }]);
      return grant;
    });
    staffAccessRuntime(this.deps.stores).grants.forget(spaceId, ended.staff_id);
    return viewOf(ended);
  }

  private async tellSuperadmins(spaceId: string, spaceName: string, grant: GrantRow) {
    const members = await listMembers(await this.deps.stores.platform(), spaceId, {
      limit: maxNotified,
    });
    const until = grant.expires_at
      ? `until ${grant.expires_at.toISOString()}`
      : 'once a superadmin approves it (POST /api/v1/spaces/:spaceId/staff-grants/:grantId/approve)';
    for (const member of members.filter((m) => m.role === 'superadmin')) {
      await this.deps.mailer.send({
        to: member.email,
        subject: `Kith: staff ${grant.status === 'pending' ? 'ask for' : 'opened'} access to ${spaceName}`,
        text: [
          `${grant.staff_name} (${grant.staff_role}) ${grant.status === 'pending' ? 'asks for' : 'opened'} access to your Space "${spaceName}", ${until}.`,
          `Reason: ${grant.reason}`,
          `Grant: ${grant.id}`,
          'Every read and change under this grant is in the Space’s access log (GET /api/v1/spaces/:spaceId/access-log).',
        ].join('\n'),
      });
    }
  }
}

function viewOf(row: Pick<GrantRow, 'id' | 'status' | 'expires_at'>): GrantView {
  return { id: row.id, expiresAt: row.expires_at?.toISOString() ?? null, status: row.status };
}

/**
 * Ends the pending and live grants of these staff members (in one Space, or in
 * every region in use), each with a `staff.access` entry `end`; returns how many.
 */
export async function endGrantsOf(
  deps: Pick<ServiceDeps, 'stores' | 'clock'>,
  caller: Caller,
  staffIds: readonly string[],
  reason: GrantEndReason,
  where?: { region: string; spaceId: string },
): Promise<number> {
  if (staffIds.length === 0) {
    return 0;
  }
  const regions = where ? [where.region] : await readRegionsInUse(await deps.stores.platform());
  const cache = staffAccessRuntime(deps.stores).grants;
  let ended = 0;
  for (const region of regions) {
    const db = await deps.stores.region(region);
    const now = deps.clock();
    for (const open of await openGrantsOfStaff(db, staffIds, now, where?.spaceId)) {
      const done = await db.transaction(async (tx) => {
        const grant = await endGrant(tx, open.space_id, {
          id: open.id,
          by: null,
          reason,
          at: now,
        });
        if (grant) {
          await appendHistoryEntries(tx, open.space_id, [
            staffAccessEntry(caller, grant, { event: 'end', endReason: reason, at: now }),
          ]);
        }
        return grant !== undefined;
      });
      cache.forget(open.space_id, open.staff_id);
      ended += done ? 1 : 0;
    }
  }
  return ended;
}

/** The scheduler's caller for what it ends on its own. */
export const sweepCaller: Caller = {
  actor: { type: 'system', id: 'scheduler', name: 'scheduled sweep' },
  source: 'system',
};
