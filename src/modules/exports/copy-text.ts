/**
 * PostgreSQL's COPY text format (what `copyOut` returns): one row per line,
 * columns separated by tabs, `\N` for null, and backslash escapes for the
 * backslash, tab, line breaks and the other control characters COPY escapes.
 */
const escapes: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** One field of COPY text (not `\\N`) with its backslash escapes undone. */
export function unescapeField(field: string): string {
  return field.replace(/\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)/g, (_, code: string) => {
    if (code.length > 1 || /[0-7]/.test(code)) {
      return code.startsWith('x')
        ? String.fromCharCode(Number.parseInt(code.slice(1), 16))
        : String.fromCharCode(Number.parseInt(code, 8));
    }
    return escapes[code] ?? code;
  });
}

/** The rows of a COPY text output, each an array of `width` texts or nulls. */
export function parseCopyText(text: string, width: number): (string | null)[][] {
  const rows: (string | null)[][] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) {
      end = text.length;
    }
    const fields = text.slice(start, end).split('\t');
    if (fields.length !== width) {
      throw new Error(`COPY output has a row of ${fields.length} columns, expected ${width}`);
    }
    const row: (string | null)[] = new Array(width);
    for (let i = 0; i < width; i += 1) {
      const field = fields[i] as string;
      row[i] = field === '\\N' ? null : field.includes('\\') ? unescapeField(field) : field;
    }
    rows.push(row);
    start = end + 1;
  }
  return rows;
}

/**
 * `value` as an SQL literal that no content can break out of, whatever the
 * server's settings: dollar-quoted, with a tag the value does not contain.
 */
export function dollarQuote(value: string): string {
  let tag = 'k';
  while (value.includes(`$${tag}$`)) {
    tag += 'k';
  }
  return `$${tag}$${value}$${tag}$`;
}
