/**
 * Denied staff attempts, for the operator (SPEC 4.7, ASVS V16): one structured
 * line per denial with ids and a reason code only, never personal data (no
 * names, emails, reasons typed by staff, or contact fields). The caller gets a
 * 404 or 403 without this detail.
 */
export const denialReasons = [
  'wrong_role',
  'no_grant',
  'grant_expired',
  'grant_pending',
  'grant_ended',
  'not_assigned',
  'action_not_allowed',
] as const;
export type DenialReason = (typeof denialReasons)[number];

export interface StaffDenial {
  readonly staffId: string;
  /** What was attempted: a Space action (`contacts.read`) or a department route action (`sales.read`). */
  readonly action: string;
  readonly spaceId: string | null;
  readonly reason: DenialReason;
}

export interface DenialLog {
  record(denial: StaffDenial & { at: Date }): void;
}

/** The default: one JSON line on stderr, beside the server's own log. */
export class StderrDenialLog implements DenialLog {
  record(denial: StaffDenial & { at: Date }): void {
    process.stderr.write(
      `${JSON.stringify({
        level: 'warn',
        event: 'staff.denied',
        at: denial.at.toISOString(),
        staffId: denial.staffId,
        action: denial.action,
        spaceId: denial.spaceId,
        reason: denial.reason,
      })}\n`,
    );
  }
}

/** For tests: keeps the lines. */
export class MemoryDenialLog implements DenialLog {
  readonly lines: (StaffDenial & { at: Date })[] = [];
  record(denial: StaffDenial & { at: Date }): void {
    this.lines.push(denial);
  }
}

const stderrLog = new StderrDenialLog();

/** Logs a denial on the installation's denial log (stderr when none is configured). */
export function logDenial(
  deps: { readonly denials?: DenialLog | undefined; readonly clock: () => Date },
  denial: StaffDenial,
): void {
  (deps.denials ?? stderrLog).record({ ...denial, at: deps.clock() });
}
