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
  /**
   * `columns` is the whole select list over `r` and `outer` is unused: one level
   * of select, where the nested one costs PostgreSQL a subquery scan per row.
   */
  readonly flat?: boolean;
}

/**
 * The select of `plan` over `source` (`FROM … AS r WHERE …`) and `tail` (key
 * range, ORDER BY). A nested plan's inner select is kept from being flattened
 * (an ORDER BY in `tail`, or `OFFSET 0` when `tail` is empty): the outer
 * expressions then see each value once.
 */
export function planSelect(plan: CopyPlan, source: string, tail: string): string {
  if (plan.flat) {
    return `SELECT ${plan.columns} ${source}${tail}`;
  }
  return `SELECT ${plan.outer} FROM (SELECT ${plan.columns} ${source}${tail || ' OFFSET 0'}) AS s`;
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
    case 'csv': {
      const flat = columns.map(flatCsvValue);
      if (flat.every((value) => value !== undefined)) {
        return { columns: flat.join(', '), outer: '', options: '(FORMAT csv)', flat: true };
      }
      return {
        columns: texts,
        outer: columns
          .map((column, i) =>
            textual(column) && !plainTypes.has(column.type) ? neutraliseSql(`s.v${i}`) : `s.v${i}`,
          )
          .join(', '),
        options: '(FORMAT csv)',
      };
    }
    case 'xlsx':
      // The export texts in COPY's text format: xlsx-writer.ts makes the cells
      // (spreadsheet-xml.ts, copyTextRow), far faster than SQL could.
      return {
        columns: columns.map((column) => presentationSql(column.name, column.type, 'r')).join(', '),
        outer: '',
        options: '',
        flat: true,
      };
    default:
      return jsonPlan(layout, table, columns);
  }
}

/**
 * The CSV field of `column` read straight from the table `r`, where repeating
 * its text in the neutralisation costs nothing (a text column's value), or where
 * its text is known never to start a formula; undefined otherwise (the nested
 * plan computes such a text once, then tests it).
 */
function flatCsvValue(column: ExportColumn): string | undefined {
  const value = presentationSql(column.name, column.type, 'r');
  if (!textual(column) || plainTypes.has(column.type)) {
    return value;
  }
  if (column.type.endsWith('[]') || column.type === 'bytea') {
    // JSON of an array is always `[…]`; bytea is hex digits: never a formula.
    return value;
  }
  if (column.type === 'jsonb') {
    // jsonb's text starts with { [ " t f n, a digit, or `-` for a negative number.
    const number = `jsonb_typeof(r.${quoteIdentifier(column.name)}) = 'number'`;
    return `CASE WHEN ${number} THEN ${neutraliseSql(value)} ELSE ${value} END`;
  }
  if (column.type === 'text' || column.type.startsWith('character varying')) {
    return neutraliseSql(value);
  }
  return undefined;
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
