import { randomUUID } from 'node:crypto';
import type { Caller } from '../../context.ts';
import { AppError } from '../../errors.ts';
import type { Database, Queryable } from '../../stores/database.ts';
import { readSpaceTables } from '../../stores/space-tables.ts';
import { listContacts } from '../contacts/contact.repository.ts';
import { diffContacts } from '../contacts/contact-diff.ts';
import { entryFor } from '../history/entry-for.ts';
import type { HistoryEntryInput } from '../history/history-writer.ts';
import { appendHistoryEntries } from '../history/history-writer.ts';
import type { SpaceGrant } from '../spaces/space-access.ts';
import { readJsonExport } from './json-export-reader.ts';
import { insertExportedRows, spaceHoldsCustomerData } from './space-load.repository.ts';

/**
 * The customer data a JSON export gives back to an empty Space, parents first.
 * History, exports and imports are records of what happened in the exported
 * Space: the new Space's history starts fresh, with the entries of this load.
 */
export const loadedTables = [
  'custom_field_definitions',
  'contacts',
  'contact_tags',
  'contact_consents',
] as const;

const batchRows = 1000;

export interface LoadResult {
  /** Names the load in the new history entries (`importId`) and its `import.commit`. */
  loadId: string;
  rowCounts: Record<string, number>;
}

/**
 * Loads the JSON export at `path` into the (empty) Space of `grant`, in one
 * transaction: all of it or nothing. Contacts keep their ids, times and search
 * columns; each gets a `contact.create` entry and each custom field a
 * `customField.create` entry, carrying the load's id, then one `import.commit`.
 */
export async function loadJsonExport(
  db: Database,
  grant: SpaceGrant,
  caller: Caller,
  path: string,
  at: Date,
  options: {
    /** The load's id (an import's, when the imports route runs it); new when absent. */
    loadId?: string;
    /** Runs in the load's transaction once every row is in: what records the load commits with it. */
    onLoaded?: (tx: Queryable, result: LoadResult) => Promise<void>;
  } = {},
): Promise<LoadResult> {
  const spaceId = grant.space.id;
  const loadId = options.loadId ?? randomUUID();
  const existing = new Map((await readSpaceTables(db)).map((t) => [t.name, t.columns]));
  return db.transaction(async (tx) => {
    if (await spaceHoldsCustomerData(tx, spaceId)) {
      throw new AppError(
        'conflict',
        'the Space already holds contacts or custom fields: load an export into an empty Space',
      );
    }
    const rowCounts: Record<string, number> = Object.fromEntries(loadedTables.map((t) => [t, 0]));
    const entries: HistoryEntryInput[] = [];
    let columns: string[] = [];
    let batch: Record<string, unknown>[] = [];
    let table: string | undefined;
    let exportId: unknown = null;
    const flush = async () => {
      if (table && batch.length > 0) {
        await insertExportedRows(tx, table, columns, batch);
        rowCounts[table] = (rowCounts[table] ?? 0) + batch.length;
      }
      batch = [];
    };
    for await (const event of readJsonExport(path)) {
      if (event.kind === 'header') {
        exportId = event.header.exportId ?? null;
      } else if (event.kind === 'table') {
        await flush();
        const own = existing.get(event.name);
        const loaded = (loadedTables as readonly string[]).includes(event.name) && own;
        table = loaded ? event.name : undefined;
        const present = new Set(event.columns.map((c) => c.name));
        columns = own ? own.map((c) => c.name).filter((name) => present.has(name)) : [];
      } else if (event.kind === 'row' && table) {
        batch.push({ ...event.row, space_id: spaceId });
        if (table === 'custom_field_definitions') {
          entries.push(definitionEntry(caller, grant, event.row, loadId, at));
        }
        if (batch.length >= batchRows) {
          await flush();
        }
      }
    }
    await flush();
    await recordLoad(tx, caller, grant, { loadId, at, entries, rowCounts, exportId });
    await options.onLoaded?.(tx, { loadId, rowCounts });
    return { loadId, rowCounts };
  });
}

function definitionEntry(
  caller: Caller,
  grant: SpaceGrant,
  row: Record<string, unknown>,
  loadId: string,
  at: Date,
): HistoryEntryInput {
  const changes = [
    { field: 'label', from: null, to: row.label ?? null },
    { field: 'type', from: null, to: row.type ?? null },
    ...(row.choices == null ? [] : [{ field: 'choices', from: null, to: row.choices }]),
  ];
  return {
    ...entryFor(caller, grant, {
      action: 'customField.create',
      target: { type: 'customField', id: String(row.key) },
      changes,
      at,
    }),
    source: 'import',
    importId: loadId,
  };
}

/** The load's history: each custom field, each contact as loaded (read back), then `import.commit`. */
async function recordLoad(
  tx: Queryable,
  caller: Caller,
  grant: SpaceGrant,
  load: {
    loadId: string;
    at: Date;
    entries: HistoryEntryInput[];
    rowCounts: Record<string, number>;
    exportId: unknown;
  },
): Promise<void> {
  const spaceId = grant.space.id;
  await appendHistoryEntries(tx, spaceId, load.entries);
  for (const deleted of [false, true]) {
    let after: readonly [string, string, string] | undefined;
    for (;;) {
      const page = await listContacts(tx, spaceId, { deleted, after, limit: batchRows });
      await appendHistoryEntries(
        tx,
        spaceId,
        page.map(({ contact }) => ({
          ...entryFor(caller, grant, {
            action: 'contact.create',
            target: { type: 'contact', id: contact.id },
            changes: diffContacts(null, contact),
            at: load.at,
            subjectId: contact.id,
          }),
          source: 'import' as const,
          importId: load.loadId,
        })),
      );
      const last = page.at(-1);
      if (page.length < batchRows || !last) {
        break;
      }
      after = last.key;
    }
  }
  await appendHistoryEntries(tx, spaceId, [
    {
      ...entryFor(caller, grant, {
        action: 'import.commit',
        target: { type: 'import', id: load.loadId },
        changes: [
          { field: 'source', from: null, to: 'kith-export' },
          { field: 'exportId', from: null, to: load.exportId },
          { field: 'rowCounts', from: null, to: load.rowCounts },
        ],
        at: load.at,
      }),
      source: 'import',
      importId: load.loadId,
    },
  ]);
}
