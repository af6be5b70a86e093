import type { Database } from '../../stores/database.ts';
import { definitionsOf } from '../contacts/custom-field.repository.ts';
import { resolveMapping } from './column-mapping.ts';
import { type ImportRecord, insertRejections, stageRows } from './import.repository.ts';
import type { ImportLimits } from './import-limits.ts';
import { checkRow, rowInput } from './import-row.ts';
import { readSheet, type SheetFile } from './sheet-source.ts';

const stageBatch = 5000;

/**
 * Reads every data row, checks it by the contacts API's rules, records each
 * rejected row by line and reason, and (unless a dry run) stages the valid ones.
 * Updates `record.counts` as it goes and calls `onBatch` after each batch.
 */
export async function validateRows(
  db: Database,
  spaceId: string,
  record: ImportRecord,
  sheet: SheetFile,
  mapping: Record<string, string>,
  limits: ImportLimits,
  options: { stage: boolean; at: Date; onBatch: () => Promise<void> },
): Promise<void> {
  const definitions = await definitionsOf(db, spaceId);
  let columns: ReturnType<typeof resolveMapping> | undefined;
  let staged: { line: number; input: unknown }[] = [];
  let rejected: { line: number; reason: string }[] = [];
  const flush = async () => {
    if (options.stage) {
      await stageRows(db, spaceId, record.id, staged);
    }
    await insertRejections(db, spaceId, record.id, rejected);
    staged = [];
    rejected = [];
    await options.onBatch();
  };
  for await (const rows of readSheet(sheet, limits)) {
    for (const row of rows) {
      if (!columns) {
        columns = resolveMapping(row.cells, mapping, definitions);
        continue;
      }
      const check = checkRow(rowInput(row.cells, columns, definitions), definitions, options.at);
      record.counts.processedRows += 1;
      if (check.ok) {
        record.counts.validRows += 1;
        staged.push({ line: row.line, input: check.input });
      } else {
        record.counts.rejectedRows += 1;
        rejected.push({ line: row.line, reason: check.reason });
      }
      if (staged.length + rejected.length >= stageBatch) {
        await flush();
      }
    }
  }
  await flush();
}
