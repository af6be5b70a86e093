import type { ExportRecord } from './export.repository.ts';
import { formatFiles } from './export-formats.ts';

/** The name a browser saves an export as: `<Space name> export <YYYY-MM-DD>.<ext>`. */
export function downloadName(spaceName: string, record: ExportRecord): string {
  const date = record.createdAt.toISOString().slice(0, 10);
  return `${spaceName} export ${date}.${formatFiles[record.format].extension}`;
}

/**
 * A `Content-Disposition: attachment` header that no file name can break: an
 * ASCII-only `filename` (anything else, quotes, backslashes and separators become
 * `_`) for old clients, and the exact name as RFC 5987 `filename*` (UTF-8,
 * percent-encoded) for the rest. Control characters never reach the header.
 */
export function contentDisposition(fileName: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const cleaned = fileName.replace(/[\u0000-\u001f\u007f]/g, '').trim() || 'export';
  const ascii = cleaned.replace(/[^A-Za-z0-9 ._()-]/g, '_').replace(/^[.\s]+/, '_');
  const encoded = encodeURIComponent(cleaned).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
