import { AppError } from '../../errors.ts';

/**
 * When a job is due. Times are UTC: an installation's instances may run in
 * different time zones, and they must agree on what "today" is.
 */
export type Schedule =
  /** Once a day, at or after `at` (`HH:MM`, UTC). */
  | { readonly kind: 'daily'; readonly at: string }
  /** Once in every slot of `minutes` minutes, counted from the Unix epoch. */
  | { readonly kind: 'every'; readonly minutes: number };

/**
 * The period whose run is due at `now`, or null when none is due yet (a daily
 * job before its first time). A period names one run: a daily job's is the date
 * of its latest due time, `2026-12-02`; a job every n minutes has the start of
 * its slot, `2026-12-02T10:15Z`. An instance that was down at the due time still
 * runs the period when it comes back the same day.
 */
export function duePeriod(schedule: Schedule, now: Date): string | null {
  if (schedule.kind === 'every') {
    const slotMs = schedule.minutes * 60_000;
    const start = new Date(Math.floor(now.getTime() / slotMs) * slotMs);
    return `${start.toISOString().slice(0, 16)}Z`;
  }
  const [hours, minutes] = parseTimeOfDay(schedule.at);
  const due = new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hours, minutes),
  );
  if (now < due) {
    return null;
  }
  return due.toISOString().slice(0, 10);
}

/** `HH:MM` (24 h) as [hours, minutes]; an invalid time is a configuration error. */
export function parseTimeOfDay(value: string): [number, number] {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!match) {
    throw new AppError(
      'invalid_input',
      `"${value}" is not a time of day: use HH:MM (UTC), e.g. 02:30`,
    );
  }
  return [Number(match[1]), Number(match[2])];
}
