import type { Database } from '../../stores/database.ts';
import { staffWithContractEndedBetween } from './staff.repository.ts';
import { endSessionsOfEndedContracts } from './staff-session.repository.ts';

/**
 * How far back a sweep looks for contracts that ended: longer than any grant
 * lasts (24 hours at most), so a missed run or two still ends them.
 */
const lookBackDays = 3;

/**
 * The scheduled side of "an ended contract disables the account" (SPEC 4.7):
 * login already refuses an ended contract and each request checks it, and
 * this ends the sessions left open when the end date passed without an edit.
 * Returns the staff whose contract ended recently, for their grants to end too.
 */
export async function sweepEndedContracts(
  hr: Database,
  now: Date,
): Promise<{ sessionsEnded: number; recentlyEnded: string[] }> {
  const today = now.toISOString().slice(0, 10);
  const from = new Date(now.getTime() - lookBackDays * 86_400_000).toISOString().slice(0, 10);
  const sessionsEnded = await endSessionsOfEndedContracts(hr, today, now);
  const recentlyEnded = await staffWithContractEndedBetween(hr, from, today);
  return { sessionsEnded, recentlyEnded };
}
