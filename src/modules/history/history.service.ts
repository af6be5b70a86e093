import { z } from 'zod';
import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../http/common-schemas.ts';
import type { ServiceDeps } from '../../services.ts';
import { isUuid, SpaceAccess } from '../spaces/space-access.ts';
import { loadCheckpointPublicKey, loadCheckpointSigningKey } from './checkpoint-keys.ts';
import { listCheckpoints, signCheckpoint, verifyStoredHistory } from './checkpoints.ts';
import { readEntriesNewestFirst, readSpaceRegion } from './history.repository.ts';
import type { HistoryListQuery } from './history.schemas.ts';
import type { VerifyResult } from './history-chain.ts';
import {
  type CheckpointView,
  type HistoryEntryView,
  toCheckpointView,
  toHistoryEntryView,
} from './history-presenter.ts';

const historyCursor = z.tuple([z.number().int().positive()]);

export interface HistoryPage {
  items: HistoryEntryView[];
  nextCursor: string | null;
}

export interface CheckpointsView {
  spaceId: string;
  items: CheckpointView[];
  keyId: string;
  publicKey: string;
}

/**
 * A Space's complete history for its superadmins (SPEC 4.3): the filtered list,
 * verification, and the signed checkpoints to keep. Every use case checks access
 * through `SpaceAccess` first; another Space's history is a 404.
 */
export class HistoryService {
  private readonly access: SpaceAccess;

  constructor(
    private readonly deps: ServiceDeps,
    access?: SpaceAccess,
  ) {
    this.access = access ?? new SpaceAccess(deps);
  }

  /** Entries newest first, filtered by contact, actor, action and time; keyset pages by seq. */
  async list(caller: Caller, spaceId: string, query: HistoryListQuery): Promise<HistoryPage> {
    const { space } = await this.access.require(caller, spaceId, 'history.read');
    const before = decodeCursor(query.cursor, historyCursor);
    const db = await this.deps.stores.region(space.region);
    const rows = await readEntriesNewestFirst(
      db,
      space.id,
      {
        contactId: query.contactId?.toLowerCase(),
        actorId: query.actorId,
        action: query.action,
        since: query.since ? new Date(query.since) : undefined,
        until: query.until ? new Date(query.until) : undefined,
        beforeSeq: before?.[0],
      },
      query.limit + 1,
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(toHistoryEntryView),
      nextCursor: rows.length > query.limit && last ? encodeCursor([last.seq]) : null,
    };
  }

  /** Recomputes the Space's whole chain against its checkpoints; names the first bad seq. */
  async verify(caller: Caller, spaceId: string): Promise<VerifyResult> {
    const { space } = await this.access.require(caller, spaceId, 'history.verify');
    const db = await this.deps.stores.region(space.region);
    const { ok, count, firstBadSeq, reason } = await verifyStoredHistory(
      this.deps.config,
      db,
      space.region,
      space.id,
    );
    return { ok, count, firstBadSeq, reason };
  }

  /** Every checkpoint of the Space, with the region's public key to check them with. */
  async checkpoints(caller: Caller, spaceId: string): Promise<CheckpointsView> {
    const { space } = await this.access.require(caller, spaceId, 'history.checkpoints');
    const db = await this.deps.stores.region(space.region);
    const key = await loadCheckpointPublicKey(this.deps.config, space.region);
    const items = await listCheckpoints(db, space.id);
    return {
      spaceId: space.id,
      items: items.map(toCheckpointView),
      keyId: key.keyId,
      publicKey: key.publicKeyPem,
    };
  }

  /**
   * Signs the Space's head now (a superadmin who wants a checkpoint to keep today).
   * `created` is false when the head has not moved since the last checkpoint, which is returned.
   */
  async signNow(
    caller: Caller,
    spaceId: string,
  ): Promise<{ checkpoint: CheckpointView; created: boolean }> {
    const { space } = await this.access.require(caller, spaceId, 'history.checkpoints');
    const db = await this.deps.stores.region(space.region);
    const key = await loadCheckpointSigningKey(this.deps.config, space.region);
    const signed = await signCheckpoint(db, space.id, key, this.deps.clock());
    if (signed) {
      return { checkpoint: toCheckpointView(signed), created: true };
    }
    const last = (await listCheckpoints(db, space.id)).at(-1);
    if (!last) {
      throw new AppError('conflict', 'the Space has no history yet: there is nothing to sign');
    }
    return { checkpoint: toCheckpointView(last), created: false };
  }

  /** The operator's verification of any Space (see `verifySpaceHistoryAsOperator`). */
  verifyAsOperator(
    spaceId: string,
    onProgress?: (verified: number, total: number) => void,
  ): Promise<OperatorVerification> {
    return verifySpaceHistoryAsOperator(this.deps, spaceId, onProgress);
  }
}

export interface OperatorVerification extends VerifyResult {
  spaceId: string;
  region: string;
}

/**
 * The operator's verification (CLI `kith history verify`): any Space by id,
 * without membership, because the operator already holds the stores.
 */
export async function verifySpaceHistoryAsOperator(
  deps: Pick<ServiceDeps, 'config' | 'stores'>,
  spaceId: string,
  onProgress?: (verified: number, total: number) => void,
): Promise<OperatorVerification> {
  const id = spaceId.toLowerCase();
  const region = isUuid(id) ? await readSpaceRegion(await deps.stores.platform(), id) : null;
  if (!region) {
    throw notFound(`Space ${spaceId}`);
  }
  const db = await deps.stores.region(region);
  const { ok, count, firstBadSeq, reason } = await verifyStoredHistory(
    deps.config,
    db,
    region,
    id,
    onProgress,
  );
  return { spaceId: id, region, ok, count, firstBadSeq, reason };
}
