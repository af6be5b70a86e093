/**
 * Just enough SpreadsheetML (ECMA-376 part 1, §18.3 worksheets, §18.4 shared
 * strings) to read the cells of a sheet as text: values, shared and inline
 * strings, booleans. No formulas are evaluated (a cached value is read as
 * written), no entities beyond XML's five and character references are expanded
 * (a DOCTYPE is refused), and nothing nests deeper than row → cell → value.
 */

const namedEntities: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

/** XML text with its entity and character references expanded (unknown ones kept as written). */
export function unescapeXml(text: string): string {
  if (!text.includes('&')) {
    return text;
  }
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) {
      return safeCodePoint(Number.parseInt(ref.slice(2), 16)) ?? whole;
    }
    if (ref.startsWith('#')) {
      return safeCodePoint(Number.parseInt(ref.slice(1), 10)) ?? whole;
    }
    return namedEntities[ref] ?? whole;
  });
}

function safeCodePoint(code: number): string | undefined {
  return Number.isInteger(code) &&
    code >= 0 &&
    code <= 0x10ffff &&
    !(code >= 0xd800 && code <= 0xdfff)
    ? String.fromCodePoint(code)
    : undefined;
}

/** Every `<t>` text of `xml` joined, phonetic runs (`<rPh>`) left out: a string item's text. */
function textOf(xml: string): string {
  const plain = xml.replace(/<rPh\b[\s\S]*?<\/rPh>/g, '');
  let text = '';
  for (const match of plain.matchAll(/<t\b[^>]*?(?:\/>|>([\s\S]*?)<\/t>)/g)) {
    text += unescapeXml(match[1] ?? '');
  }
  return text;
}

/** The shared strings table: one entry per `<si>`, in order. */
export function parseSharedStrings(xml: string): string[] {
  const strings: string[] = [];
  for (const match of xml.matchAll(/<si\b[^>]*?(?:\/>|>([\s\S]*?)<\/si>)/g)) {
    strings.push(textOf(match[1] ?? ''));
  }
  return strings;
}

/** The zero-based column of a cell reference: `A1` → 0, `AB7` → 27. */
export function columnIndex(reference: string): number {
  let index = 0;
  for (const char of reference) {
    const code = char.charCodeAt(0);
    if (code < 65 || code > 90) {
      break;
    }
    index = index * 26 + (code - 64);
  }
  return index - 1;
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match?.[1];
}

/** One `<row>` element's cells by column, and its row number (`r`), or undefined when it has none. */
export function parseRow(
  xml: string,
  sharedStrings: readonly string[],
): { row: number | undefined; cells: string[] } {
  const open = /^<row\b[^>]*>/.exec(xml)?.[0] ?? '';
  const rowAttribute = attribute(open, 'r');
  const cells: string[] = [];
  let next = 0;
  for (const match of xml.matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
    const tag = ` ${match[1] ?? ''}`;
    const body = match[2] ?? '';
    const reference = attribute(tag, 'r');
    const index = reference ? columnIndex(reference) : next;
    next = index + 1;
    cells[index] = cellText(attribute(tag, 't'), body, sharedStrings);
  }
  for (let i = 0; i < cells.length; i++) {
    cells[i] ??= '';
  }
  return { row: rowAttribute === undefined ? undefined : Number(rowAttribute), cells };
}

function cellText(
  type: string | undefined,
  body: string,
  sharedStrings: readonly string[],
): string {
  if (type === 'inlineStr') {
    return textOf(body);
  }
  const value = unescapeXml(/<v\b[^>]*>([\s\S]*?)<\/v>/.exec(body)?.[1] ?? '');
  if (type === 's') {
    return sharedStrings[Number(value)] ?? '';
  }
  if (type === 'b') {
    return value === '1' ? 'true' : value === '0' ? 'false' : value;
  }
  return value;
}
