/**
 * PostgreSQL's COPY text format (the default of `COPY … FROM STDIN`), written
 * and read by bulk paths on both engines: columns separated by a tab, rows by a
 * newline, `\N` for null, and backslash, tab, newline and carriage return
 * escaped in values.
 */

const needsEscape = /[\\\t\n\r]/;
const escapable = /[\\\t\n\r]/g;
const escapes: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One column value as COPY text: `\N` for null or undefined, strings escaped. */
export function copyField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) {
    return '\\N';
  }
  if (typeof value !== 'string') {
    return typeof value === 'boolean' ? (value ? 't' : 'f') : String(value);
  }
  return needsEscape.test(value) ? value.replace(escapable, (c) => escapes[c] as string) : value;
}

/** A bytea column from lower-case hex: `\x…` with its backslash escaped. */
export function copyBytea(hex: string): string {
  return `\\\\x${hex}`;
}

/** One row of COPY text, newline included. */
export function copyRow(values: readonly (string | number | boolean | null | undefined)[]): string {
  let out = '';
  for (let i = 0; i < values.length; i += 1) {
    out += i === 0 ? copyField(values[i]) : `\t${copyField(values[i])}`;
  }
  return `${out}\n`;
}

const unescapes: Record<string, string> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** A column of COPY text output back to its value (null for `\N`). */
export function parseCopyField(text: string): string | null {
  if (text === '\\N') {
    return null;
  }
  if (!text.includes('\\')) {
    return text;
  }
  return text.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, code: string) => {
    if (code.length > 1 || /[0-7]/.test(code)) {
      return String.fromCharCode(
        code[0] === 'x' ? Number.parseInt(code.slice(1), 16) : Number.parseInt(code, 8),
      );
    }
    return unescapes[code] ?? code;
  });
}

/** COPY text output (whole rows) as rows of column values. */
export function parseCopyRows(output: string): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let start = 0;
  while (start < output.length) {
    let end = output.indexOf('\n', start);
    if (end === -1) {
      end = output.length;
    }
    rows.push(output.slice(start, end).split('\t').map(parseCopyField));
    start = end + 1;
  }
  return rows;
}
