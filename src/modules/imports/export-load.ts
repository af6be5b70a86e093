import type { Caller } from '../../context.ts';
import { isAppError } from '../../errors.ts';
import type { Database, Queryable } from '../../stores/database.ts';
import { loadJsonExport } from '../exports/json-export-loader.ts';
import { readJsonExport } from '../exports/json-export-reader.ts';
import type { SpaceGrant } from '../spaces/space-access.ts';
import { type ImportRecord, saveImportState } from './import.repository.ts';

/**
 * The job of an import whose file is a Kith JSON export (SPEC 4.5): the export's
 * contacts, tags, consents and custom fields go into the empty Space in one
 * transaction (json-export-loader.ts), under the import's id, and the import is
 * marked committed in that same transaction. A dry run reads the file through.
 * Never throws: the import's row says how it ended.
 */
export async function runExportLoad(
  db: Database,
  caller: Caller,
  grant: SpaceGrant,
  record: ImportRecord,
  path: string,
  hooks: { clock: () => Date; report: () => void; committed: (rows: number) => void },
): Promise<void> {
  const spaceId = grant.space.id;
  const save = (target: Queryable, finished = false) =>
    saveImportState(target, spaceId, record.id, {
      status: record.status,
      counts: record.counts,
      error: record.error,
      at: hooks.clock(),
      finished,
    });
  try {
    if (record.dryRun) {
      record.status = 'validating';
      await save(db);
      let contacts = 0;
      for await (const event of readJsonExport(path)) {
        contacts += event.kind === 'row' && event.table === 'contacts' ? 1 : 0;
      }
      Object.assign(record.counts, { processedRows: contacts, validRows: contacts });
      record.status = 'validated';
      await save(db, true);
      hooks.report();
      return;
    }
    record.status = 'committing';
    record.counts.validRows = record.counts.totalRows;
    await save(db);
    hooks.report();
    await loadJsonExport(db, grant, caller, path, hooks.clock(), {
      loadId: record.id,
      onLoaded: async (tx, result) => {
        const contacts = result.rowCounts.contacts ?? 0;
        Object.assign(record.counts, {
          totalRows: contacts,
          processedRows: contacts,
          validRows: contacts,
          created: contacts,
        });
        record.status = 'committed';
        await save(tx, true);
        hooks.committed(contacts);
      },
    });
    hooks.report();
  } catch (error) {
    Object.assign(record.counts, { created: 0, updated: 0, skipped: 0 });
    record.status = 'failed';
    record.error = isAppError(error)
      ? { code: error.code, message: error.message }
      : { code: 'internal', message: 'the import failed unexpectedly: nothing was imported' };
    await save(db, true).catch(() => undefined);
    hooks.report();
  }
}
