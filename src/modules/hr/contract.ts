/**
 * Whether a contract whose last day is `endDate` (inclusive, `YYYY-MM-DD`) has
 * ended at `now`: from the next UTC day on, the account is refused.
 */
export function contractEnded(endDate: string | null, now: Date): boolean {
  return endDate !== null && endDate < now.toISOString().slice(0, 10);
}
