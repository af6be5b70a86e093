/*
 * PERSISTED CONTRACT (docs/export-format.md): the SQL below writes export rows
 * exactly as the writers in csv-writer.ts, json-writers.ts and
 * spreadsheet-xml.ts do, so that the engine's COPY can produce them at its own
 * rate. copy-layouts.test.ts holds both to the same bytes on a corpus.
 */
import { dollarQuote } from './copy-text.ts';
import { type ExportColumn, presentationSql, quoteIdentifier } from './export-columns.ts';
import { maxCellLength } from './spreadsheet-xml.ts';

/** What one COPY row of a page is: CSV fields, an NDJSON line, a JSON array element, an XLSX `<row>`. */
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
 * with a quote and a delimiter (\x01, \x02) that JSON text never holds and XML
 * text holds only escaped. A value with a line feed (an XLSX cell keeps them) is
 * wrapped in \x01, which the writer drops.
 */
export const verbatimOptions = `(FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')`;

/** The byte that wraps a verbatim row holding a line feed. */
export const verbatimQuote = 0x01;

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
      return {
        columns: texts,
        // concat() builds the row in one allocation; `||` would copy it once per cell.
        outer: `concat('<row>', ${columns.map((column, i) => xlsxCellSql(column, `s.v${i}`)).join(', ')}, '</row>')`,
        options: verbatimOptions,
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

// XLSX cells (spreadsheet-xml.ts). Most text is "plain": no character to escape,
// no leading or trailing white space, no formula start, short enough; such a
// cell is one regular expression and a concatenation. Anything else takes the
// general path, which repeats the writer step by step.
const whiteSpace = `\\\\t\\\\n\\\\x0b\\\\f\\\\r \\\\u00a0\\\\u1680\\\\u2000-\\\\u200a\\\\u2028\\\\u2029\\\\u202f\\\\u205f\\\\u3000\\\\ufeff`;
const escaped = `&<>\\\\x01-\\\\x08\\\\x0b-\\\\x1f\\\\ufffe\\\\uffff`;
const formulaStart = `=+@\\\\uff1d\\\\uff0b\\\\uff0d\\\\uff20`;
const plainText = `E'^[^-${formulaStart}${whiteSpace}${escaped}_]([^${escaped}_]*[^${whiteSpace}${escaped}_])?$'`;
const plainTail = `E'^[^${escaped}_]*[^${whiteSpace}${escaped}_]$'`;
const controlCharacter = `E'[\\\\x01-\\\\x08\\\\x0b-\\\\x1f\\\\ufffe\\\\uffff]'`;
const edgeSpace = `E'^[${whiteSpace}]|[${whiteSpace}]$'`;
const jsonNumber = `E'^-?(0|[1-9][0-9]*)(\\\\.[0-9]+)?$'`;
const excelNumber = `E'^-?[0-9]{1,15}(\\\\.[0-9]+)?$'`;

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

/** SQL of the cell of `v` (the column's export text). */
function xlsxCellSql(column: ExportColumn, v: string): string {
  if (column.kind === 'boolean') {
    return `CASE WHEN ${v} IS NULL THEN '<c/>' WHEN ${v} = 'true' THEN '<c t="b"><v>1</v></c>' ELSE '<c t="b"><v>0</v></c>' END`;
  }
  const cell = `concat('<c t="inlineStr"><is><t>', ${v}, '</t></is></c>')`;
  if (plainTypes.has(column.type)) {
    return `CASE WHEN ${v} IS NULL THEN '<c/>' ELSE ${cell} END`;
  }
  // Second tier: a formula-like text that is plain once its `'` is in front
  // (phone numbers like "+33 …" are common).
  const neutralised = `concat('<c t="inlineStr"><is><t>''', ${v}, '</t></is></c>')`;
  const text = `CASE WHEN ${v} IS NULL THEN '<c/>' WHEN octet_length(${v}) <= ${maxCellLength} AND ${v} ~ ${plainText} THEN ${cell} WHEN octet_length(${v}) < ${maxCellLength} AND ascii(${v}) IN (${formulaFirst}) AND ${v} ~ ${formulaPattern} AND ${v} ~ ${plainTail} THEN ${neutralised} ELSE ${generalStringCellSql(v)} END`;
  if (column.kind !== 'number') {
    return text;
  }
  return `CASE WHEN ${v} ~ ${jsonNumber} AND ${v} ~ ${excelNumber} AND length(ltrim(translate(${v}, '-.', ''), '0')) <= 15 THEN '<c><v>' || ${v} || '</v></c>' ELSE ${text} END`;
}

/**
 * The general string cell of `v`: neutralised, cut to Excel's limit (in UTF-16
 * code units, as JavaScript counts), `xml:space="preserve"` when it starts or
 * ends with white space, `&<>` as entities, a `_` that starts `_xHHHH_` and the
 * characters XML cannot carry as `_xHHHH_`.
 */
function generalStringCellSql(v: string): string {
  const cut = `CASE WHEN octet_length(n.t) <= ${maxCellLength} THEN n.t ELSE (SELECT string_agg(ch, '' ORDER BY i) FROM (SELECT ch, i, sum(CASE WHEN ascii(ch) > 65535 THEN 2 ELSE 1 END) OVER (ORDER BY i) AS units FROM regexp_split_to_table(n.t, '') WITH ORDINALITY AS p(ch, i)) AS q WHERE units <= ${maxCellLength}) END`;
  const entities = `regexp_replace(replace(replace(replace(c.t, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), E'_(?=x[0-9A-Fa-f]{4}_)', '_x005F_', 'g')`;
  const controls = `CASE WHEN e.t ~ ${controlCharacter} THEN (SELECT string_agg(CASE WHEN ch ~ ${controlCharacter} THEN '_x' || upper(lpad(to_hex(ascii(ch)), 4, '0')) || '_' ELSE ch END, '' ORDER BY i) FROM regexp_split_to_table(e.t, '') WITH ORDINALITY AS p(ch, i)) ELSE e.t END`;
  return `(SELECT '<c t="inlineStr"><is><t' || CASE WHEN c.t ~ ${edgeSpace} THEN ' xml:space="preserve"' ELSE '' END || '>' || ${controls} || '</t></is></c>' FROM (SELECT ${neutraliseSql(v)} AS t) AS n, LATERAL (SELECT ${cut} AS t) AS c, LATERAL (SELECT ${entities} AS t) AS e)`;
}
