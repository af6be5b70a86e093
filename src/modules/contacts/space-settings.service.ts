import type { Caller } from '../../context.ts';
import { notFound } from '../../errors.ts';
import type { ServiceDeps } from '../../services.ts';
import type { Queryable } from '../../stores/database.ts';
import { entryFor } from '../history/entry-for.ts';
import { appendHistoryEntries } from '../history/history-writer.ts';
import { SpaceAccess, type SpaceGrant } from '../spaces/space-access.ts';
import type { FieldChange } from './contact-diff.ts';
import { parseInput } from './contact-input.ts';
import { readSpaceSettings, writeSpaceSettings } from './space-settings.repository.ts';
import {
  defaultSpaceSettings,
  type SpaceSettings,
  spaceSettingsPatch,
  spaceSettingsSchema,
} from './space-settings.schemas.ts';

/** A Space's settings: admins and superadmins read and change them; each change is a history entry. */
export class SpaceSettingsService {
  private readonly access: SpaceAccess;

  constructor(private readonly deps: ServiceDeps) {
    this.access = new SpaceAccess(deps);
  }

  /** The Space's settings, defaults filled in. */
  async get(caller: Caller, spaceId: string): Promise<SpaceSettings> {
    const grant = await this.access.require(caller, spaceId, 'members.read');
    return this.read(await this.deps.stores.region(grant.space.region), grant);
  }

  /** Changes any subset; writes one `settings.update` entry naming each changed setting, or nothing. */
  async update(caller: Caller, spaceId: string, input: unknown): Promise<SpaceSettings> {
    const grant = await this.access.require(caller, spaceId, 'members.manage');
    const patch = parseInput(spaceSettingsPatch, input);
    const db = await this.deps.stores.region(grant.space.region);
    return db.transaction(async (tx) => {
      const current = await this.read(tx, grant, { lock: true });
      const next: SpaceSettings = { ...current, ...patch };
      const changes: FieldChange[] = [];
      for (const key of Object.keys(spaceSettingsSchema.shape) as (keyof SpaceSettings)[]) {
        if (next[key] !== current[key]) {
          changes.push({ field: key, from: current[key], to: next[key] });
        }
      }
      if (changes.length === 0) {
        return current;
      }
      const now = this.deps.clock();
      await writeSpaceSettings(tx, grant.space.id, next, now);
      const target = { type: 'space', id: grant.space.id };
      await appendHistoryEntries(tx, grant.space.id, [
        entryFor(caller, grant, { action: 'settings.update', target, changes, at: now }),
      ]);
      return next;
    });
  }

  private async read(
    db: Queryable,
    grant: SpaceGrant,
    options: { lock?: boolean } = {},
  ): Promise<SpaceSettings> {
    const stored = await readSpaceSettings(db, grant.space.id, options);
    if (stored === undefined) {
      throw notFound('space');
    }
    // Known settings only, each one valid or its default: a stored document never breaks the answer.
    const settings: Record<string, unknown> = { ...defaultSpaceSettings };
    for (const [key, schema] of Object.entries(spaceSettingsSchema.shape)) {
      if (Object.hasOwn(stored, key) && schema.safeParse(stored[key]).success) {
        settings[key] = stored[key];
      }
    }
    return settings as SpaceSettings;
  }
}
