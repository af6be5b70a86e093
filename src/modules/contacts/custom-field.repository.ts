import type { Queryable } from '../../stores/database.ts';
import type { CustomFieldDefinition, CustomFieldType } from './custom-field-values.ts';

/** SQL of a Space's custom field definitions. */

interface DefinitionRow {
  key: string;
  label: string;
  type: CustomFieldType;
  choices: string[] | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

const columns = 'key, label, type, choices, created_at, updated_at, deleted_at';

function toDefinition(row: DefinitionRow): CustomFieldDefinition {
  return {
    key: row.key,
    label: row.label,
    type: row.type,
    choices: row.choices,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

/** Every definition of the Space, deleted ones included, by key. */
export async function definitionsOf(
  db: Queryable,
  spaceId: string,
): Promise<Map<string, CustomFieldDefinition>> {
  const { rows } = await db.query<DefinitionRow>(
    `SELECT ${columns} FROM custom_field_definitions WHERE space_id = $1 ORDER BY key`,
    [spaceId],
  );
  return new Map(rows.map((row) => [row.key, toDefinition(row)]));
}

/** One definition (deleted or not); `lock` holds its row until the transaction ends. */
export async function findDefinition(
  db: Queryable,
  spaceId: string,
  key: string,
  options: { lock?: boolean } = {},
): Promise<CustomFieldDefinition | undefined> {
  const { rows } = await db.query<DefinitionRow>(
    `SELECT ${columns} FROM custom_field_definitions WHERE space_id = $1 AND key = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [spaceId, key],
  );
  return rows[0] && toDefinition(rows[0]);
}

/** Inserts a definition; false when the key is taken (now or by a deleted field). */
export async function insertDefinition(
  db: Queryable,
  spaceId: string,
  definition: CustomFieldDefinition,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO custom_field_definitions (space_id, key, label, type, choices, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $6)
     ON CONFLICT (space_id, key) DO NOTHING`,
    [
      spaceId,
      definition.key,
      definition.label,
      definition.type,
      definition.choices === null ? null : JSON.stringify(definition.choices),
      definition.createdAt,
    ],
  );
  return rowCount === 1;
}

/** Writes a definition's label, choices and deletion time. */
export async function updateDefinition(
  db: Queryable,
  spaceId: string,
  definition: CustomFieldDefinition,
): Promise<void> {
  await db.query(
    `UPDATE custom_field_definitions SET label = $3, choices = $4::jsonb, updated_at = $5, deleted_at = $6
      WHERE space_id = $1 AND key = $2`,
    [
      spaceId,
      definition.key,
      definition.label,
      definition.choices === null ? null : JSON.stringify(definition.choices),
      definition.updatedAt,
      definition.deletedAt,
    ],
  );
}
