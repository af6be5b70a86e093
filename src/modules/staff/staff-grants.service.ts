import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../http/common-schemas.ts';
import { parseInput } from '../../input.ts';
import type { ServiceDeps } from '../../services.ts';
import { readSpaceSettings } from '../contacts/space-settings.repository.ts';
import { readEntriesNewestFirst } from '../history/history.repository.ts';
import { appendHistoryEntries } from '../history/history-writer.ts';
import { listMembers } from '../spaces/member.repository.ts';
import { findSpaceById } from '../spaces/space.repository.ts';
import { isUuid, SpaceAccess } from '../spaces/space-access.ts';
import { toAccessLogEntry } from './access-log-presenter.ts';
import { staffAccessEntry } from './staff-access-entry.ts';
import { logDenial } from './staff-denials.ts';
import {
  decideGrant,
  findGrant,
  type GrantRow,
  insertGrant,
  listGrants,
} from './staff-grant.repository.ts';
import type { AccessLogEntry } from './staff-grants.schemas.ts';
import { openGrantBody } from './staff-grants.schemas.ts';
import { isGrantRole } from './staff-policy.ts';

/** What the grant check needs of the hr store: the account manager's assignment. */
export interface AssignmentCheck {
  isAssigned(staffId: string, spaceId: string): Promise<boolean>;
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
