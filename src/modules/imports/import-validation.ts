import { AppError } from '../../errors.ts';
import type { Database, Queryable } from '../../stores/database.ts';
import type { ContactFields } from '../contacts/contact-model.ts';
import type { ContactInput } from '../contacts/contacts.schemas.ts';
import { definitionsOf } from '../contacts/custom-field.repository.ts';
import { resolveMapping } from './column-mapping.ts';
import { type ImportRecord, insertRejections } from './import.repository.ts';
import type { ImportLimits } from './import-limits.ts';
import { checkRow, rowInput } from './import-row.ts';
import { readSheet, type SheetFile } from './sheet-source.ts';

const rejectionBatch = 5000;
/** Rows between two progress saves while validating. */
const progressRows = 5000;

/**
 * Reads every data row, checks it by the contacts API's rules and records each
 * rejected row by line and reason. Updates `record.counts` as it goes and calls
 * `onBatch` every few thousand rows. Resolves to the rejected lines: the commit
 * reads the file again and leaves them out (nothing is staged in between).
 */
export async function validateRows(
  db: Database,
  spaceId: string,
  record: ImportRecord,
  sheet: SheetFile,
  mapping: Record<string, string>,
  limits: ImportLimits,
  options: { at: Date; onBatch: () => Promise<void> },
): Promise<Set<number>> {
  const definitions = await definitionsOf(db, spaceId);
  const rejectedLines = new Set<number>();
  let columns: ReturnType<typeof resolveMapping> | undefined;
  let rejected: { line: number; reason: string }[] = [];
  let sinceSave = 0;
  const flush = async () => {
    await insertRejections(db, spaceId, record.id, rejected);
    rejected = [];
    sinceSave = 0;
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
      sinceSave += 1;
      if (check.ok) {
        record.counts.validRows += 1;
      } else {
        record.counts.rejectedRows += 1;
        rejected.push({ line: row.line, reason: check.reason });
        rejectedLines.add(row.line);
      }
      if (sinceSave >= progressRows || rejected.length >= rejectionBatch) {
        await flush();
      }
    }
  }
  await flush();
  return rejectedLines;
}

/** A valid row as the commit takes it: its line, its input and the contact it makes alone. */
export interface CheckedRow {
  readonly line: number;
  readonly input: ContactInput;
  readonly fields: ContactFields;
}

/**
 * The file's valid rows again, for the commit, in batches of `batchRows`: every
 * row checked by the same rules, now against the definitions `db` (the commit's
 * transaction) sees, with the commit's time as the consents' time. The lines
 * the validation rejected are left out; a row that passed then but no longer
 * passes (a custom field deleted since) throws, rolling the commit back.
 */
export async function* validRowsAgain(
  db: Queryable,
  spaceId: string,
  sheet: SheetFile,
  mapping: Record<string, string>,
  limits: ImportLimits,
  rejectedLines: ReadonlySet<number>,
  options: { at: Date; batchRows: number },
): AsyncGenerator<CheckedRow[]> {
  const definitions = await definitionsOf(db, spaceId);
  let columns: ReturnType<typeof resolveMapping> | undefined;
  let batch: CheckedRow[] = [];
  for await (const rows of readSheet(sheet, limits)) {
    for (const row of rows) {
      if (!columns) {
        columns = resolveMapping(row.cells, mapping, definitions);
        continue;
      }
      if (rejectedLines.has(row.line)) {
        continue;
      }
      const check = checkRow(rowInput(row.cells, columns, definitions), definitions, options.at);
      if (!check.ok) {
        throw new AppError(
          'invalid_input',
          `line ${row.line} no longer passes: ${check.reason}; nothing was imported`,
        );
      }
      batch.push({ line: row.line, input: check.input, fields: check.fields });
      if (batch.length >= options.batchRows) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) {
    yield batch;
  }
}
