/*
 * PERSISTED CONTRACT (docs/export-format.md): the SQL below writes export rows
 * exactly as the writers in csv-writer.ts, json-writers.ts and
 * spreadsheet-xml.ts do, so that the engine's COPY can produce them at its own
 * rate. copy-layouts.test.ts holds both to the same bytes on a corpus.
 */
import { dollarQuote } from './copy-text.ts';
import { type ExportColumn, presentationSql, quoteIdentifier } from './export-columns.ts';

/** What one COPY row of a page is: CSV fields, an NDJSON line, a JSON array element, an XLSX row's texts. */
export type CopyLayout = 'csv' | 'ndjson' | 'json' | 'xlsx';

/** A page's select: the columns of the table read (aliased `r`), then what wraps them (aliased `s`). */
export interface CopyPlan {
  /** The inner select list over `r`. */
  readonly columns: string;
  /** The outer select over the inner select (`FROM (inner) AS s`). */
  readonly outer: string;
  /** COPY's options. */
  readonly options: string;
}

/**
 * COPY options that write a one-column row as its text, then `\n`: CSV mode
 * with a quote and a delimiter (\x01, \x02) that JSON text never holds.
 */
export const verbatimOptions = `(FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')`;

// Regular expressions for the SQL side, as E'' literals (the same whatever
// standard_conforming_strings says). Each mirrors its JavaScript original.
const formulaPattern = `E'^([\\\\t\\\\r]|[ \\\\u00a0\\\\u3000]*[-=+@\\\\uff1d\\\\uff0b\\\\uff0d\\\\uff20])'`;
// First characters worth the regular expression: tab, CR, the spaces and the
// formula characters above. ascii() is the code point, and costs no copy.
const formulaFirst = '9, 13, 32, 43, 45, 61, 64, 160, 12288, 65291, 65293, 65309, 65312';

/** SQL of text `v` with a leading `'` where a spreadsheet could take it for a formula (formula-neutraliser.ts). */
export function neutraliseSql(v: string): string {
  return `CASE WHEN ascii(${v}) IN (${formulaFirst}) AND ${v} ~ ${formulaPattern} THEN '''' || ${v} ELSE ${v} END`;
}

/** The plan of `layout` for a table of `columns` named `table`; undefined when the SQL cannot match the writer. */
export function copyPlan(
  layout: CopyLayout,
  table: string,
  columns: readonly ExportColumn[],
): CopyPlan | undefined {
  const texts = columns
    .map((column, i) => `${presentationSql(column.name, column.type, 'r')} AS v${i}`)
    .join(', ');
  switch (layout) {
    case 'csv':
      return {
        columns: texts,
        outer: columns
          .map((column, i) =>
            textual(column) && !plainTypes.has(column.type) ? neutraliseSql(`s.v${i}`) : `s.v${i}`,
          )
          .join(', '),
        options: '(FORMAT csv)',
      };
    case 'xlsx':
      // The export texts in COPY's text format: xlsx-writer.ts makes the cells
      // (spreadsheet-xml.ts, copyTextRow), far faster than SQL could.
      return {
        columns: texts,
        outer: columns.map((_, i) => `s.v${i}`).join(', '),
        options: '',
      };
    default:
      return jsonPlan(layout, table, columns);
  }
}

function textual(column: ExportColumn): boolean {
  return column.kind === 'string' || column.kind === 'json';
}

/**
 * JSON rows by `row_to_json`, whose text is the writer's: keys in column order,
 * no spaces, strings escaped as JSON.stringify does, numbers as their digits
 * (NaN and Infinity as strings), booleans, and json values embedded. A `json`
 * column may hold line breaks the one-row-per-line layout cannot carry (the
 * writer re-serialises those): its table stays with the writer.
 */
function jsonPlan(
  layout: 'ndjson' | 'json',
  table: string,
  columns: readonly ExportColumn[],
): CopyPlan | undefined {
  if (columns.some((column) => column.type === 'json' || column.type === 'json[]')) {
    return undefined;
  }
  const values = columns.map((column) => {
    const name = quoteIdentifier(column.name);
    const value =
      column.kind === 'number' || column.kind === 'boolean' || column.type === 'jsonb'
        ? `r.${name}`
        : column.type.endsWith('[]')
          ? `to_json(r.${name})`
          : presentationSql(column.name, column.type, 'r');
    return `${value} AS ${name}`;
  });
  const row = 'row_to_json(s)::text';
  return {
    columns: values.join(', '),
    outer:
      layout === 'ndjson'
        ? `${dollarQuote(`{"table":${JSON.stringify(table)},"row":`)} || ${row} || '}'`
        : // Every row ends with a comma; the writer drops the table's last one.
          `${row} || ','`,
    options: verbatimOptions,
  };
}

/**
 * Types whose export text is always plain (export-columns.ts): hex digits and
 * dashes, or `to_char` digits and separators, never empty, never a formula.
 */
const plainTypes = new Set([
  'uuid',
  'timestamp with time zone',
  'timestamp without time zone',
  'date',
]);
