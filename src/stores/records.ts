import type { Queryable } from './database.ts';

/**
 * SQL for the plain records of the department stores (sales organisations,
 * leads, deals, notes; support tickets and messages): insert, find by id, keyset
 * pages newest first, and patches. Table and column names come from a
 * `RecordTable` written in code, never from input; values are always parameters.
 */
export type ColumnKind = 'value' | 'date' | 'timestamp' | 'integer';

export interface RecordTable {
  readonly table: string;
  /** JSON name → column, in the order a view lists them. `id` and `createdAt` are always there. */
  readonly columns: Readonly<
    Record<string, { readonly column: string; readonly kind?: ColumnKind }>
  >;
}

export type RecordView = Record<string, unknown> & { id: string; createdAt: string };

function selectList(spec: RecordTable): string {
  return Object.values(spec.columns)
    .map(({ column, kind }) =>
      kind === 'date' ? `to_char(${column}, 'YYYY-MM-DD') AS ${column}` : column,
    )
    .join(', ');
}

function toView(spec: RecordTable, row: Record<string, unknown>): RecordView {
  const view: Record<string, unknown> = {};
  for (const [key, { column, kind }] of Object.entries(spec.columns)) {
    const value = row[column];
    if (value === null || value === undefined) {
      view[key] = null;
    } else if (kind === 'timestamp') {
      view[key] = (value as Date).toISOString();
    } else if (kind === 'integer') {
      view[key] = Number(value);
    } else {
      view[key] = value;
    }
  }
  return view as RecordView;
}

/** Inserts one record; `values` are keyed by JSON name. */
export async function insertRecord(
  db: Queryable,
  spec: RecordTable,
  values: Readonly<Record<string, unknown>>,
): Promise<void> {
  const entries = Object.entries(values).filter(([key]) => spec.columns[key]);
  const columns = entries.map(([key]) => spec.columns[key]?.column).join(', ');
  const placeholders = entries.map((_, i) => `$${i + 1}`).join(', ');
  await db.query(
    `INSERT INTO ${spec.table} (${columns}) VALUES (${placeholders})`,
    entries.map(([, value]) => value),
  );
}

/** One record by id, optionally within a parent (`where`: JSON name → value). */
export async function findRecord(
  db: Queryable,
  spec: RecordTable,
  id: string,
  where: Readonly<Record<string, unknown>> = {},
): Promise<RecordView | undefined> {
  const params: unknown[] = [id];
  const filters = ['id = $1', ...whereClauses(spec, where, params)];
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${selectList(spec)} FROM ${spec.table} WHERE ${filters.join(' AND ')}`,
    params,
  );
  const row = rows[0];
  return row && toView(spec, row);
}

/** One page newest first, by (created_at, id), after the keyset `after`. */
export async function listRecords(
  db: Queryable,
  spec: RecordTable,
  page: {
    limit: number;
    after?: readonly [string, string] | undefined;
    where?: Readonly<Record<string, unknown>>;
  },
): Promise<RecordView[]> {
  const params: unknown[] = [];
  const filters = whereClauses(spec, page.where ?? {}, params);
  if (page.after) {
    params.push(page.after[0], page.after[1]);
    filters.push(
      `(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
    );
  }
  params.push(page.limit);
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${selectList(spec)} FROM ${spec.table}
      ${filters.length > 0 ? `WHERE ${filters.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map((row) => toView(spec, row));
}

/** Sets the fields given (JSON names); false when there is no such record. */
export async function updateRecord(
  db: Queryable,
  spec: RecordTable,
  id: string,
  patch: Readonly<Record<string, unknown>>,
): Promise<boolean> {
  const entries = Object.entries(patch).filter(([key]) => spec.columns[key] && key !== 'id');
  if (entries.length === 0) {
    return (await findRecord(db, spec, id)) !== undefined;
  }
  const sets = entries.map(([key], i) => `${spec.columns[key]?.column} = $${i + 2}`);
  const { rowCount } = await db.query(`UPDATE ${spec.table} SET ${sets.join(', ')} WHERE id = $1`, [
    id,
    ...entries.map(([, value]) => value),
  ]);
  return rowCount > 0;
}

function whereClauses(
  spec: RecordTable,
  where: Readonly<Record<string, unknown>>,
  params: unknown[],
): string[] {
  return Object.entries(where)
    .filter(([key, value]) => spec.columns[key] && value !== undefined)
    .map(([key, value]) => {
      params.push(value);
      return `${spec.columns[key]?.column} = $${params.length}`;
    });
}
