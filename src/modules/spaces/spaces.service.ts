import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Caller } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../http/common-schemas.ts';
import type { ServiceDeps } from '../../services.ts';
import { ChangeAwareCache } from '../../stores/platform-changes.ts';
import { appendHistoryEntries } from '../history/history-writer.ts';
import type { GrantRole } from '../staff/staff-policy.ts';
import { insertMembership } from './member.repository.ts';
import { regionForCountry } from './residency.ts';
import {
  findSpaceById,
  insertSpace,
  listSpacesOfUser,
  type SpaceWithRoleRow,
} from './space.repository.ts';
import { isUuid, SpaceAccess } from './space-access.ts';
import { insertSpaceHome } from './space-home.repository.ts';
import type { SpaceRole } from './space-policy.ts';
import { type SpaceView, toSpaceView } from './space-presenter.ts';

export type { SpaceView } from './space-presenter.ts';

export type SpaceOfMember = SpaceView & { role: SpaceRole | GrantRole };

const spaceCursor = z.tuple([z.iso.datetime(), z.uuid()]);

/**
 * Every Space of a user with their role, kept in memory by user id until a
 * membership of theirs or a Space changes (in any instance: see
 * `PlatformChanges`). A user with more Spaces than this is read page by page.
 */
const maxCachedSpacesPerUser = 500;
const spacesCacheTtlMs = 30_000;
const maxCachedUsers = 20_000;

/** Creating Spaces where their residency says, and listing the caller's Spaces. */
export class SpacesService {
  private readonly access: SpaceAccess;
  private readonly spacesOfUser: ChangeAwareCache<SpaceWithRoleRow[]> | undefined;

  constructor(private readonly deps: ServiceDeps) {
    this.access = new SpaceAccess(deps);
    this.spacesOfUser =
      deps.platformChanges &&
      new ChangeAwareCache(deps.platformChanges, {
        ttlMs: spacesCacheTtlMs,
        maxEntries: maxCachedUsers,
      });
  }

  /**
   * Creates a Space in the region its country maps to. A user creating it becomes
   * its superadmin; the CLI (a system caller) names the owner instead.
   */
  async create(
    caller: Caller,
    input: { name: string; country: string },
    owner?: { userId: string },
  ): Promise<SpaceView> {
    const ownerId = ownerOf(caller, owner);
    const name = input.name.trim();
    if (name.length < 1 || name.length > 200) {
      throw new AppError('invalid_input', 'a Space name is 1 to 200 characters', {
        path: ['body', 'name'],
      });
    }
    if (!/^[A-Za-z]{2}$/.test(input.country)) {
      throw new AppError('invalid_input', 'country must be a two-letter ISO 3166-1 code, e.g. FR', {
        path: ['body', 'country'],
      });
    }
    const country = input.country.toUpperCase();
    const region = regionForCountry(this.deps.config.residency, country);
    // Opened first, so an unreachable region fails before anything is registered.
    const home = await this.deps.stores.region(region);
    const platform = await this.deps.stores.platform();
    const id = randomUUID();
    const createdAt = this.deps.clock();
    // No transaction spans two stores. The home row and the Space's first history
    // entry (`space.create`) are committed in the region store inside the platform
    // transaction, before it commits: a region failure rolls the registry back. If
    // the platform commit itself fails after that, an orphan home stays in the
    // region store; it is harmless (an opaque id, unreachable by any API).
    try {
      const created = await platform.transaction(async (tx) => {
        const row = await insertSpace(tx, {
          id,
          name,
          country,
          region,
          createdBy: ownerId,
          createdAt,
        });
        await insertMembership(tx, {
          spaceId: id,
          userId: ownerId,
          role: 'superadmin',
          at: createdAt,
        });
        await home.transaction(async (regionTx) => {
          await insertSpaceHome(regionTx, { spaceId: id, region, country, createdAt });
          await appendHistoryEntries(regionTx, id, [
            {
              actor: { ...caller.actor, role: caller.actor.type === 'user' ? 'superadmin' : null },
              action: 'space.create',
              target: { type: 'space', id },
              changes: [
                { field: 'name', from: null, to: name },
                { field: 'country', from: null, to: country },
                { field: 'region', from: null, to: region },
                { field: 'owner', from: null, to: ownerId },
              ],
              source: caller.source,
              device: caller.device ?? null,
              ip: caller.ip ?? null,
              at: createdAt,
            },
          ]);
        });
        return toSpaceView(row);
      });
      this.deps.platformChanges?.changed({ userId: ownerId });
      return created;
    } catch (error) {
      if (isForeignKeyViolation(error)) {
        throw new AppError(
          'not_found',
          'the owner account does not exist: create it first (kith users create)',
        );
      }
      throw error;
    }
  }

  /** The caller's Spaces with their role, oldest first, one page. */
  async listForCaller(
    caller: Caller,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: SpaceOfMember[]; nextCursor: string | null }> {
    if (caller.actor.type !== 'user') {
      return { items: [], nextCursor: null };
    }
    const decoded = decodeCursor(page.cursor, spaceCursor);
    const after = decoded && { createdAt: new Date(decoded[0]), id: decoded[1].toLowerCase() };
    const all = await this.allSpacesOf(caller.actor.id);
    const rows = all
      ? pageOf(all, after, page.limit + 1)
      : await listSpacesOfUser(await this.deps.stores.platform(), caller.actor.id, {
          limit: page.limit + 1,
          after,
        });
    const items = rows.slice(0, page.limit).map((row) => ({ ...toSpaceView(row), role: row.role }));
    const last = items.at(-1);
    const nextCursor =
      rows.length > page.limit && last ? encodeCursor([last.createdAt, last.id]) : null;
    return { items, nextCursor };
  }

  /** All of a user's Spaces in list order, from memory when it can; undefined when they are too many to hold. */
  private async allSpacesOf(userId: string): Promise<SpaceWithRoleRow[] | undefined> {
    const cache = this.spacesOfUser;
    if (!cache) {
      return undefined;
    }
    return (
      cache.get(userId) ??
      cache.load(userId, async () => {
        const rows = await listSpacesOfUser(await this.deps.stores.platform(), userId, {
          limit: maxCachedSpacesPerUser + 1,
        });
        return rows.length > maxCachedSpacesPerUser ? undefined : { value: rows, userId };
      })
    );
  }

  /** One of the caller's Spaces with their role; not_found when they are not a member. */
  async get(caller: Caller, spaceId: string): Promise<SpaceOfMember> {
    const { space, role } = await this.access.require(caller, spaceId, 'space.read');
    return { ...space, role };
  }

  /** The registry entry of a Space by id, for the operator and internal checks (no access check: never answer it to a request). */
  async registryEntry(spaceId: string): Promise<SpaceView | undefined> {
    if (!isUuid(spaceId)) {
      return undefined;
    }
    const row = await findSpaceById(await this.deps.stores.platform(), spaceId);
    return row && toSpaceView(row);
  }
}

/**
 * The page of `rows` (in `(created_at, id)` order) after the keyset `after`, as
 * `listSpacesOfUser` would read it: a uuid compares as its lower-case text.
 */
function pageOf(
  rows: readonly SpaceWithRoleRow[],
  after: { createdAt: Date; id: string } | undefined,
  limit: number,
): SpaceWithRoleRow[] {
  if (!after) {
    return rows.slice(0, limit);
  }
  const at = after.createdAt.getTime();
  const start = rows.findIndex((row) => {
    const time = row.created_at.getTime();
    return time > at || (time === at && row.id > after.id);
  });
  return start < 0 ? [] : rows.slice(start, start + limit);
}

function ownerOf(caller: Caller, owner: { userId: string } | undefined): string {
  if (caller.actor.type === 'user') {
    return caller.actor.id;
  }
  if (caller.actor.type === 'system' && owner) {
    if (!isUuid(owner.userId)) {
      throw new AppError(
        'not_found',
        'the owner account does not exist: create it first (kith users create)',
      );
    }
    return owner.userId;
  }
  if (caller.actor.type === 'system') {
    throw new AppError(
      'invalid_input',
      'a Space needs an owner: name the account that becomes its superadmin',
    );
  }
  throw new AppError('forbidden', 'staff cannot create Spaces: a Space is created by its owner');
}

/** PostgreSQL's foreign_key_violation, as both engines report it. */
function isForeignKeyViolation(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23503'
  );
}
