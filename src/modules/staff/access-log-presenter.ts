import type { EntryWithValuesRow } from '../history/history.repository.ts';
import { toHistoryEntryView } from '../history/history-presenter.ts';
import type { AccessLogEntry } from './staff-grants.schemas.ts';

/** A `staff.access` history entry as the customer reads it in the access log. */
export function toAccessLogEntry(row: EntryWithValuesRow): AccessLogEntry {
  const entry = toHistoryEntryView(row);
  const access = entry.changes.find((c) => c.field === 'access')?.to;
  const record = access && typeof access === 'object' ? (access as Record<string, unknown>) : {};
  const value = (field: string): unknown => record[field];
  const text = (field: string): string | null => {
    const found = value(field);
    return typeof found === 'string' ? found : null;
  };
  const ids = value('ids');
  return {
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    event: text('event'),
    grantId: text('grant'),
    reason: text('reason'),
    action: text('action'),
    endReason: text('endReason'),
    route: text('route'),
    ids:
      ids && typeof ids === 'object' && !Array.isArray(ids)
        ? Object.fromEntries(Object.entries(ids).map(([k, v]) => [k, String(v)]))
        : null,
    device: entry.device,
    ip: entry.ip,
  };
}
