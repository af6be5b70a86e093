import { unescapeField as unescapeCopyField } from './copy-text.ts';
import { type ExportColumn, isJsonNumber } from './export-columns.ts';
import { neutraliseFormula } from './formula-neutraliser.ts';

/**
 * SpreadsheetML cells for the XLSX export (ECMA-376), written as text: inline
 * strings (no shared-string table to hold in memory), numbers and booleans typed,
 * and never a formula (`<f>`) — text that looks like one is also neutralised.
 */

/** Excel's limit on the characters of one cell; longer text is cut (JSON keeps it whole). */
export const maxCellLength = 32_767;
/** Excel's rows per sheet, the header row included. */
export const maxSheetRows = 1_048_576;

// Tab and line feed stay; CR would be folded by XML parsers, so it is escaped too.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const needsEscape = /[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const escapable = /[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)/g;

function escapeCharacter(character: string): string {
  switch (character) {
    case '&':
      return '&amp;';
    case '<':
      return '&lt;';
    case '>':
      return '&gt;';
    default: {
      // Characters XML 1.0 cannot carry, and a literal `_xHHHH_`, use Excel's
      // ST_Xstring escape `_xHHHH_`, which spreadsheets decode back.
      const code = character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      return `_x${code}_`;
    }
  }
}

/** `text` escaped for an XML text node of a SpreadsheetML string. */
export function escapeCellText(text: string): string {
  return needsEscape.test(text) ? text.replace(escapable, escapeCharacter) : text;
}

/** An inline-string cell; `style` 1 is the bold header style. */
export function stringCell(text: string, style = 0): string {
  const cut = text.length > maxCellLength ? text.slice(0, maxCellLength) : text;
  const preserve = /^\s|\s$/.test(cut) ? ' xml:space="preserve"' : '';
  return `<c t="inlineStr"${style ? ` s="${style}"` : ''}><is><t${preserve}>${escapeCellText(cut)}</t></is></c>`;
}

// Excel keeps 15 significant digits: longer numbers are written as text, exactly.
const excelSafeNumber = /^-?\d{1,15}(\.\d+)?$/;

/** The cell of one value of `column`. */
export function valueCell(column: ExportColumn, text: string | null): string {
  if (text === null) {
    return '<c/>';
  }
  if (column.kind === 'boolean') {
    return `<c t="b"><v>${text === 'true' ? 1 : 0}</v></c>`;
  }
  if (
    column.kind === 'number' &&
    isJsonNumber(text) &&
    excelSafeNumber.test(text) &&
    text.replace(/[-.]/g, '').replace(/^0+/, '').length <= 15
  ) {
    return `<c><v>${text}</v></c>`;
  }
  return stringCell(neutraliseFormula(text));
}

export const xmlDeclaration = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
export const mainNamespace = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
export const relationshipNamespace =
  'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** Escapes an XML attribute value. */
export function escapeAttribute(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/**
 * Whether a text starting or ending with `code` takes the general cell path:
 * white space (`xml:space`), or a first character that may start a formula or
 * precede one (formula-neutraliser.ts).
 */
function unusualEdge(code: number): boolean {
  return (
    code <= 0x20 ||
    code === 0x2b ||
    code === 0x2d ||
    code === 0x3d ||
    code === 0x40 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff ||
    code === 0xff0b ||
    code === 0xff0d ||
    code === 0xff1d ||
    code === 0xff20
  );
}

/**
 * Whether any line of `text` may hold something to escape: when not, none of
 * its lines needs `copyTextRow`'s own test (one search per chunk, not per line).
 */
export function mayNeedEscape(text: string): boolean {
  return needsEscape.test(text);
}

/**
 * The `<row>` of one line of COPY text (tab-separated export texts, `\N` for
 * null, backslash escapes), exactly as `valueCell` writes each value. Most text
 * needs nothing: a line with nothing to escape and no backslash but `\N` takes a
 * path of character tests and concatenation; anything else goes through
 * `valueCell` itself. `mayNeedEscape` false says the line was tested already
 * (as part of its chunk: `mayNeedEscape()`).
 */
export function copyTextRow(
  columns: readonly ExportColumn[],
  line: string,
  mayNeedEscape = true,
): string {
  const fields = line.split('\t');
  if (fields.length !== columns.length) {
    throw new Error(
      `COPY output has a row of ${fields.length} columns, expected ${columns.length}`,
    );
  }
  let plainLine = !(mayNeedEscape && needsEscape.test(line));
  for (let at = line.indexOf('\\'); plainLine && at >= 0; at = line.indexOf('\\', at + 2)) {
    // COPY escapes every backslash of a text: one not followed by N starts an escape.
    plainLine = line.charCodeAt(at + 1) === 0x4e;
  }
  let row = '<row>';
  for (let i = 0; i < fields.length; i += 1) {
    const column = columns[i] as ExportColumn;
    const field = fields[i] as string;
    if (field === '\\N') {
      row += '<c/>';
    } else if (!plainLine) {
      row += valueCell(column, field.includes('\\') ? unescapeCopyField(field) : field);
    } else if (column.kind === 'boolean') {
      row += field === 'true' ? '<c t="b"><v>1</v></c>' : '<c t="b"><v>0</v></c>';
    } else if (
      column.kind === 'number' ||
      field.length === 0 ||
      field.length >= maxCellLength ||
      unusualEdge(field.charCodeAt(field.length - 1))
    ) {
      row += valueCell(column, field);
    } else {
      const first = field.charCodeAt(0);
      if (!unusualEdge(first)) {
        row += `<c t="inlineStr"><is><t>${field}</t></is></c>`;
      } else if (first === 0x2b || first === 0x2d || first === 0x3d || first === 0x40) {
        // `+`, `-`, `=` or `@` first: neutralised, and `'` is then a plain first character.
        row += `<c t="inlineStr"><is><t>'${field}</t></is></c>`;
      } else {
        row += valueCell(column, field);
      }
    }
  }
  return `${row}</row>`;
}
