/**
 * Spreadsheet formula neutralisation (docs/export-format.md, "Formulas"): a text
 * cell that a spreadsheet would run as a formula is written with a leading `'`,
 * which spreadsheets show as text and never evaluate (OWASP "CSV injection").
 * A cell is neutralised when its first character is a tab, CR or NUL, or when its
 * first character after any leading spaces is `=`, `+`, `-` or `@` (or their
 * full-width forms, which some spreadsheets fold to ASCII).
 */
const formulaStart = /^(?:[\t\r\0]|[ \u00a0\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20])/;

/** Whether a spreadsheet could take `text` for a formula. */
export function looksLikeFormula(text: string): boolean {
  return formulaStart.test(text);
}

/** `text`, with a leading `'` when a spreadsheet could take it for a formula. */
export function neutraliseFormula(text: string): string {
  return formulaStart.test(text) ? `'${text}` : text;
}
