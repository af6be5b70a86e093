/**
 * How each column's values are presented in an export (docs/export-format.md,
 * "Values"). The database renders every value as text in one fixed form, the same
 * on PGlite and PostgreSQL; each writer then places the text by its kind.
 */
export type ValueKind = 'string' | 'number' | 'boolean' | 'json';

export interface ExportColumn {
  readonly name: string;
  /** The SQL type as `format_type` writes it, e.g. `timestamp with time zone`. */
  readonly type: string;
  readonly kind: ValueKind;
}

/** A row as every writer receives it: one text (or null) per column, in column order. */
export type ExportRow = readonly (string | null)[];

const numberTypes = new Set(['smallint', 'integer', 'bigint', 'real', 'double precision']);

/** The kind of a column of SQL type `type`. */
export function kindOf(type: string): ValueKind {
  if (type === 'boolean') {
    return 'boolean';
  }
  if (numberTypes.has(type) || type.startsWith('numeric')) {
    return 'number';
  }
  if (type === 'json' || type === 'jsonb' || type.endsWith('[]')) {
    return 'json';
  }
  return 'string';
}

/** Quotes an SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The SQL expression that renders column `name` of SQL type `type` as its export
 * text: timestamps ISO 8601 in UTC with microseconds, bytea as lower-case hex,
 * json and arrays as JSON text, everything else as PostgreSQL's text form.
 */
export function presentationSql(name: string, type: string, alias?: string): string {
  const column = alias ? `${alias}.${quoteIdentifier(name)}` : quoteIdentifier(name);
  if (type === 'timestamp with time zone') {
    return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  }
  if (type === 'timestamp without time zone') {
    return `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
  }
  if (type === 'date') {
    return `to_char(${column}, 'YYYY-MM-DD')`;
  }
  if (type === 'bytea') {
    return `encode(${column}, 'hex')`;
  }
  if (type.endsWith('[]')) {
    return `to_json(${column})::text`;
  }
  return `${column}::text`;
}

const jsonNumber = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** Whether a `number` column's text is a JSON number (NaN and Infinity are not). */
export function isJsonNumber(text: string): boolean {
  return jsonNumber.test(text);
}

/** An ISO 8601 UTC timestamp with microseconds from a Date (millisecond precision). */
export function isoMicros(date: Date): string {
  return `${date.toISOString().slice(0, -1)}000Z`;
}
