import { z } from 'zod';
import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../http/common-schemas.ts';
import type { ServiceDeps } from '../../services.ts';
import type { Transaction } from '../../stores/database.ts';
import { entryFor } from '../history/entry-for.ts';
import type { HistoryAction } from '../history/history-format.ts';
import { deliverHistoryOutbox, enqueueHistoryEntry } from '../history/history-outbox.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import {
  countSuperadmins,
  deleteMembership,
  findMember,
  insertMembership,
  listMembers,
  updateMemberRole,
} from './member.repository.ts';
import { lockSpace } from './space.repository.ts';
import { isUuid, SpaceAccess, type SpaceGrant } from './space-access.ts';
import type { SpaceRole } from './space-policy.ts';
import { type MemberView, toMemberView } from './space-presenter.ts';

export type { MemberView } from './space-presenter.ts';

const memberCursor = z.tuple([z.iso.datetime(), z.uuid()]);

/**
 * Members of a Space and their roles. Every change runs with the Space's registry
 * row locked and re-reads the caller's role under that lock, so two concurrent
 * changes can neither leave a Space without a superadmin nor act on a role the
 * caller has just lost.
 */
export class MembersService {
  private readonly access: SpaceAccess;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly identity: IdentityService,
  ) {
    this.access = new SpaceAccess(deps);
  }

  /** The Space's members, oldest first, one page. */
  async list(
    caller: Caller,
    spaceId: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: MemberView[]; nextCursor: string | null }> {
    await this.access.require(caller, spaceId, 'members.read');
    const after = decodeCursor(page.cursor, memberCursor);
    const rows = await listMembers(await this.deps.stores.platform(), spaceId, {
      limit: page.limit + 1,
      after: after && { addedAt: new Date(after[0]), userId: after[1] },
    });
    const items = rows.slice(0, page.limit).map(toMemberView);
    const last = items.at(-1);
    const nextCursor =
      rows.length > page.limit && last ? encodeCursor([last.addedAt, last.userId]) : null;
    return { items, nextCursor };
  }

  /** Adds the account with this email to the Space; the new member is told by mail. */
  async add(
    caller: Caller,
    spaceId: string,
    input: { email: string; role: SpaceRole },
  ): Promise<MemberView> {
    const { space } = await this.access.require(caller, spaceId, 'members.manage');
    const user = await this.identity.findUserByEmail(input.email);
    const member = await this.underLock(caller, spaceId, async (tx, grant) => {
      if (grant.permission === 'notSuperadmins' && input.role === 'superadmin') {
        throw new AppError(
          'forbidden',
          'an admin cannot make anyone superadmin: ask a superadmin of this Space',
        );
      }
      if (!user) {
        throw new AppError(
          'not_found',
          'no account with this email: the person must have an account first',
        );
      }
      const added = await insertMembership(tx, {
        spaceId,
        userId: user.id,
        role: input.role,
        at: this.deps.clock(),
      });
      if (!added) {
        throw new AppError(
          'conflict',
          'this account is already a member of this Space: change its role instead',
        );
      }
      await this.record(tx, caller, grant, 'member.add', user.id, [
        { field: 'name', from: null, to: user.name },
        { field: 'email', from: null, to: user.email },
        { field: 'role', from: null, to: input.role },
      ]);
      return this.memberOrFail(tx, spaceId, user.id);
    });
    this.deps.platformChanges?.changed({ userId: member.userId });
    await this.deliverHistory(spaceId);
    await this.notify(member, `You were added to the Space "${space.name}"`, [
      `${caller.actor.name} added you to the Space "${space.name}" as ${member.role}.`,
    ]);
    return member;
  }

  /** Gives a member another role; the member is told by mail. */
  async changeRole(
    caller: Caller,
    spaceId: string,
    userId: string,
    role: SpaceRole,
  ): Promise<MemberView> {
    const { space } = await this.access.require(caller, spaceId, 'members.manage');
    let previous: SpaceRole | undefined;
    const member = await this.underLock(caller, spaceId, async (tx, grant) => {
      const target = await this.memberOrFail(tx, spaceId, userId);
      if (
        grant.permission === 'notSuperadmins' &&
        (target.role === 'superadmin' || role === 'superadmin')
      ) {
        throw new AppError(
          'forbidden',
          'an admin cannot change a superadmin’s role or make anyone superadmin',
        );
      }
      previous = target.role;
      if (target.role === role) {
        return target;
      }
      if (target.role === 'superadmin') {
        await this.keepOneSuperadmin(tx, spaceId);
      }
      await updateMemberRole(tx, { spaceId, userId, role, at: this.deps.clock() });
      await this.record(tx, caller, grant, 'member.role', target.userId, [
        { field: 'role', from: target.role, to: role },
      ]);
      return this.memberOrFail(tx, spaceId, userId);
    });
    this.deps.platformChanges?.changed({ userId });
    await this.deliverHistory(spaceId);
    if (previous !== member.role) {
      await this.notify(member, `Your role in the Space "${space.name}" changed`, [
        `${caller.actor.name} changed your role in the Space "${space.name}" from ${previous} to ${member.role}.`,
      ]);
    }
    return member;
  }

  /** Removes a member from the Space; the former member is told by mail. */
  async remove(caller: Caller, spaceId: string, userId: string): Promise<void> {
    const { space } = await this.access.require(caller, spaceId, 'members.manage');
    const removed = await this.underLock(caller, spaceId, async (tx, grant) => {
      const target = await this.memberOrFail(tx, spaceId, userId);
      if (target.role === 'superadmin') {
        if (grant.permission === 'notSuperadmins') {
          throw new AppError(
            'forbidden',
            'an admin cannot remove a superadmin: ask a superadmin of this Space',
          );
        }
        await this.keepOneSuperadmin(tx, spaceId);
      }
      await deleteMembership(tx, spaceId, userId);
      await this.record(tx, caller, grant, 'member.remove', target.userId, [
        { field: 'role', from: target.role, to: null },
      ]);
      return target;
    });
    this.deps.platformChanges?.changed({ userId });
    await this.deliverHistory(spaceId);
    await this.notify(removed, `You were removed from the Space "${space.name}"`, [
      `${caller.actor.name} removed you from the Space "${space.name}".`,
    ]);
  }

  /** Queues the change's history entry in the change's own platform transaction (see history-outbox.ts). */
  private async record(
    tx: Transaction,
    caller: Caller,
    grant: SpaceGrant,
    action: HistoryAction,
    userId: string,
    changes: { field: string; from: unknown; to: unknown }[],
  ): Promise<void> {
    await enqueueHistoryEntry(
      tx,
      grant.space.id,
      entryFor(caller, grant, {
        action,
        target: { type: 'member', id: userId },
        changes,
        at: this.deps.clock(),
      }),
    );
  }

  /**
   * Appends the queued entries to the Space's chain now. The change is committed
   * whatever happens here: should the region store not answer, the scheduler's
   * relay delivers them within a minute.
   */
  private async deliverHistory(spaceId: string): Promise<void> {
    await deliverHistoryOutbox(this.deps.stores, spaceId).catch(() => undefined);
  }

  /** Runs `fn` with the Space locked and the caller's `members.manage` grant as it is now. */
  private async underLock<T>(
    caller: Caller,
    spaceId: string,
    fn: (tx: Transaction, grant: SpaceGrant) => Promise<T>,
  ): Promise<T> {
    const platform = await this.deps.stores.platform();
    return platform.transaction(async (tx) => {
      if (!(await lockSpace(tx, spaceId))) {
        throw notFound('space');
      }
      return fn(tx, await this.access.require(caller, spaceId, 'members.manage', tx));
    });
  }

  /** A member of this Space; not_found for anyone else (a member of another Space included). */
  private async memberOrFail(
    tx: Transaction,
    spaceId: string,
    userId: string,
  ): Promise<MemberView> {
    const row = isUuid(userId) ? await findMember(tx, spaceId, userId) : undefined;
    if (!row) {
      throw notFound('member');
    }
    return toMemberView(row);
  }

  /** Refuses to take away the Space's last superadmin (the Space is locked: the count is stable). */
  private async keepOneSuperadmin(tx: Transaction, spaceId: string): Promise<void> {
    if ((await countSuperadmins(tx, spaceId)) <= 1) {
      throw new AppError(
        'conflict',
        'a Space keeps at least one superadmin: make another member superadmin first',
      );
    }
  }

  /** SPEC 4.1: users are told when their role changes. A mail failure never fails the change. */
  private async notify(member: MemberView, subject: string, lines: string[]): Promise<void> {
    try {
      await this.deps.mailer.send({
        to: member.email,
        subject,
        text: [`Hello ${member.name},`, '', ...lines].join('\n'),
      });
    } catch {
      // The change is committed: a notice that could not be sent must not undo it
      // nor answer an error for it.
    }
  }
}
