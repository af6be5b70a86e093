import type { Caller } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import type { ServiceDeps } from '../../services.ts';
import type { Queryable } from '../../stores/database.ts';
import { entryFor } from '../history/entry-for.ts';
import type { HistoryAction } from '../history/history-format.ts';
import { appendHistoryEntries } from '../history/history-writer.ts';
import { SpaceAccess, type SpaceGrant } from '../spaces/space-access.ts';
import type { FieldChange } from './contact-diff.ts';
import { parseInput } from './contact-input.ts';
import {
  definitionsOf,
  findDefinition,
  insertDefinition,
  updateDefinition,
} from './custom-field.repository.ts';
import type { CustomFieldDefinition } from './custom-field-values.ts';
import { customFieldCreateBody, customFieldUpdateBody } from './custom-fields.schemas.ts';

/** A custom field definition as the API answers it. */
export interface CustomFieldView {
  key: string;
  label: string;
  type: CustomFieldDefinition['type'];
  choices: string[] | null;
  createdAt: string;
  updatedAt: string;
}

function toView(definition: CustomFieldDefinition): CustomFieldView {
  return {
    key: definition.key,
    label: definition.label,
    type: definition.type,
    choices: definition.choices === null ? null : [...definition.choices],
    createdAt: definition.createdAt.toISOString(),
    updatedAt: definition.updatedAt.toISOString(),
  };
}

/**
 * A Space's custom fields: every member who reads contacts sees the definitions
 * (to fill them in); admins and superadmins change them. Each change is a history entry.
 */
export class CustomFieldsService {
  private readonly access: SpaceAccess;

  constructor(private readonly deps: ServiceDeps) {
    this.access = new SpaceAccess(deps);
  }

  /** The Space's live definitions, by key. */
  async list(caller: Caller, spaceId: string): Promise<CustomFieldView[]> {
    const grant = await this.access.require(caller, spaceId, 'contacts.read');
    const definitions = await definitionsOf(await this.regionOf(grant), grant.space.id);
    return [...definitions.values()].filter((d) => d.deletedAt === null).map(toView);
  }

  /** Defines a field; a key in use, or once used by a deleted field, is a 409. */
  async create(caller: Caller, spaceId: string, input: unknown): Promise<CustomFieldView> {
    const grant = await this.access.require(caller, spaceId, 'members.manage');
    const body = parseInput(customFieldCreateBody, input);
    if ((body.type === 'choice') !== (body.choices !== undefined)) {
      throw new AppError(
        'invalid_input',
        'choices: give choices for a choice field, and only for it',
        {
          path: ['body', 'choices'],
        },
      );
    }
    const now = this.deps.clock();
    const definition: CustomFieldDefinition = {
      key: body.key,
      label: body.label,
      type: body.type,
      choices: body.choices ?? null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    const db = await this.regionOf(grant);
    return db.transaction(async (tx) => {
      if (!(await insertDefinition(tx, grant.space.id, definition))) {
        throw new AppError(
          'conflict',
          `the key ${body.key} is already used by a custom field of this Space (or was, by a deleted one): choose another`,
        );
      }
      const changes: FieldChange[] = [
        { field: 'label', from: null, to: definition.label },
        { field: 'type', from: null, to: definition.type },
      ];
      if (definition.choices !== null) {
        changes.push({ field: 'choices', from: null, to: definition.choices });
      }
      await this.record(tx, caller, grant, 'customField.create', definition.key, changes, now);
      return toView(definition);
    });
  }

  /** Changes a field's label or choices (a value no longer among the choices stays until edited). */
  async update(
    caller: Caller,
    spaceId: string,
    key: string,
    input: unknown,
  ): Promise<CustomFieldView> {
    const grant = await this.access.require(caller, spaceId, 'members.manage');
    const body = parseInput(customFieldUpdateBody, input);
    const db = await this.regionOf(grant);
    return db.transaction(async (tx) => {
      const current = await this.live(tx, grant, key);
      if (body.choices !== undefined && current.type !== 'choice') {
        throw new AppError(
          'invalid_input',
          `choices: ${key} is a ${current.type} field, not a choice field`,
          {
            path: ['body', 'choices'],
          },
        );
      }
      const now = this.deps.clock();
      const next: CustomFieldDefinition = {
        ...current,
        label: body.label ?? current.label,
        choices: body.choices ?? current.choices,
        updatedAt: now,
      };
      const changes: FieldChange[] = [];
      if (next.label !== current.label) {
        changes.push({ field: 'label', from: current.label, to: next.label });
      }
      if (JSON.stringify(next.choices) !== JSON.stringify(current.choices)) {
        changes.push({ field: 'choices', from: current.choices, to: next.choices });
      }
      if (changes.length === 0) {
        return toView(current);
      }
      await updateDefinition(tx, grant.space.id, next);
      await this.record(tx, caller, grant, 'customField.update', key, changes, now);
      return toView(next);
    });
  }

  /** Deletes a field: contacts' values under it are no longer shown, and its key is never reused. */
  async delete(caller: Caller, spaceId: string, key: string): Promise<void> {
    const grant = await this.access.require(caller, spaceId, 'members.manage');
    const db = await this.regionOf(grant);
    await db.transaction(async (tx) => {
      const current = await this.live(tx, grant, key);
      const now = this.deps.clock();
      await updateDefinition(tx, grant.space.id, { ...current, updatedAt: now, deletedAt: now });
      await this.record(tx, caller, grant, 'customField.delete', key, [], now);
    });
  }

  private async live(
    tx: Queryable,
    grant: SpaceGrant,
    key: string,
  ): Promise<CustomFieldDefinition> {
    const definition = await findDefinition(tx, grant.space.id, key, { lock: true });
    if (!definition || definition.deletedAt !== null) {
      throw notFound('custom field');
    }
    return definition;
  }

  private async record(
    tx: Queryable,
    caller: Caller,
    grant: SpaceGrant,
    action: HistoryAction,
    key: string,
    changes: FieldChange[],
    at: Date,
  ): Promise<void> {
    const target = { type: 'customField', id: key };
    await appendHistoryEntries(tx, grant.space.id, [
      entryFor(caller, grant, { action, target, changes, at }),
    ]);
  }

  private regionOf(grant: SpaceGrant) {
    return this.deps.stores.region(grant.space.region);
  }
}
