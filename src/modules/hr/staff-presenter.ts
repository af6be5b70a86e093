import { contractEnded } from './contract.ts';
import type { StaffView } from './hr.schemas.ts';
import type { StaffRow } from './staff.repository.ts';

/** What leaves the server about a staff member: never a password hash or a session. */
export function toStaffView(row: StaffRow, now: Date): StaffView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    department: row.department,
    contractType: row.contract_type,
    startDate: row.start_date,
    endDate: row.end_date,
    hasAccount: row.has_account,
    active: row.has_account && row.disabled_at === null && !contractEnded(row.end_date, now),
  };
}
