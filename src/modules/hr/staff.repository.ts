import type { StaffRole } from '../../context.ts';
import type { Queryable } from '../../stores/database.ts';

/** SQL of the staff directory, staff accounts and Space assignments (hr store). */
export type ContractType = 'employee' | 'contractor';

export interface StaffRow {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  department: string;
  contract_type: ContractType;
  /** `YYYY-MM-DD`. */
  start_date: string;
  end_date: string | null;
  has_account: boolean;
  disabled_at: Date | null;
  created_at: Date;
}

/** A staff member with what login needs. */
export interface StaffCredentialsRow extends StaffRow {
  password_hash: string | null;
}

const staffColumns = `s.id, s.email, s.name, s.role, s.department, s.contract_type,
  to_char(s.start_date, 'YYYY-MM-DD') AS start_date, to_char(s.end_date, 'YYYY-MM-DD') AS end_date,
  a.staff_id IS NOT NULL AS has_account, a.disabled_at, s.created_at`;
const staffFrom = 'staff s LEFT JOIN staff_accounts a ON a.staff_id = s.id';

export interface NewStaff {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  department: string;
  contractType: ContractType;
  startDate: string;
  endDate: string | null;
  at: Date;
}

/** Adds a directory entry; false when the email is taken (in any case). */
export async function insertStaff(db: Queryable, staff: NewStaff): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO staff (id, email, name, role, department, contract_type, start_date, end_date, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
     ON CONFLICT DO NOTHING`,
    [
      staff.id,
      staff.email,
      staff.name,
      staff.role,
      staff.department,
      staff.contractType,
      staff.startDate,
      staff.endDate,
      staff.at,
    ],
  );
  return rowCount > 0;
}

export async function insertStaffAccount(
  db: Queryable,
  account: { staffId: string; passwordHash: string; at: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO staff_accounts (staff_id, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $3)`,
    [account.staffId, account.passwordHash, account.at],
  );
}

export async function findStaffByEmail(
  db: Queryable,
  email: string,
): Promise<StaffCredentialsRow | undefined> {
  const { rows } = await db.query<StaffCredentialsRow>(
    `SELECT ${staffColumns}, a.password_hash FROM ${staffFrom} WHERE lower(s.email) = lower($1)`,
    [email],
  );
  return rows[0];
}

export async function findStaffById(db: Queryable, id: string): Promise<StaffRow | undefined> {
  const { rows } = await db.query<StaffRow>(
    `SELECT ${staffColumns} FROM ${staffFrom} WHERE s.id = $1`,
    [id],
  );
  return rows[0];
}

/** One page of the directory in (name, id) order after the keyset `after`. */
export async function listStaff(
  db: Queryable,
  page: { limit: number; after?: [string, string] | undefined },
): Promise<StaffRow[]> {
  const { rows } = await db.query<StaffRow>(
    `SELECT ${staffColumns} FROM ${staffFrom}
      WHERE ($1::text IS NULL OR (s.name, s.id) > ($1::text, $2::uuid))
      ORDER BY s.name, s.id LIMIT $3`,
    [page.after?.[0] ?? null, page.after?.[1] ?? null, page.limit],
  );
  return rows;
}

/** Changes the directory fields given; undefined when there is no such entry. */
export async function updateStaff(
  db: Queryable,
  id: string,
  patch: { department?: string; contractType?: ContractType; endDate?: string | null },
  at: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE staff SET
       department = COALESCE($2, department),
       contract_type = COALESCE($3, contract_type),
       end_date = CASE WHEN $4::boolean THEN $5::date ELSE end_date END,
       updated_at = $6
     WHERE id = $1`,
    [
      id,
      patch.department ?? null,
      patch.contractType ?? null,
      patch.endDate !== undefined,
      patch.endDate ?? null,
      at,
    ],
  );
  return rowCount > 0;
}

/** Makes `staffId` responsible for the Space (an opaque id); idempotent. */
export async function insertAssignment(
  db: Queryable,
  assignment: { staffId: string; spaceId: string; at: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO space_assignments (staff_id, space_id, assigned_at) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING`,
    [assignment.staffId, assignment.spaceId, assignment.at],
  );
}

export async function isAssigned(
  db: Queryable,
  staffId: string,
  spaceId: string,
): Promise<boolean> {
  const { rows } = await db.query(
    'SELECT 1 FROM space_assignments WHERE staff_id = $1 AND space_id = $2',
    [staffId, spaceId],
  );
  return rows.length > 0;
}

/** Ends an account manager's responsibility for the Space; false when there was none. */
export async function deleteAssignment(
  db: Queryable,
  staffId: string,
  spaceId: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'DELETE FROM space_assignments WHERE staff_id = $1 AND space_id = $2',
    [staffId, spaceId],
  );
  return rowCount > 0;
}

/** Staff whose contract's last day is in [`from`, `before`) (`YYYY-MM-DD`): ended, recently. */
export async function staffWithContractEndedBetween(
  db: Queryable,
  from: string,
  before: string,
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM staff WHERE end_date >= $1::date AND end_date < $2::date ORDER BY id',
    [from, before],
  );
  return rows.map((row) => row.id);
}
