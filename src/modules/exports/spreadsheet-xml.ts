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
