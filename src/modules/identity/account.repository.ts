import type { Queryable } from '../../stores/database.ts';

/**
 * SQL of user accounts (platform store). Emails are kept as given and compared
 * with `lower(email)`, the expression of the unique index `users_email_key`.
 */
export interface AccountRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  disabled_at: Date | null;
  created_at: Date;
}

const accountColumns = 'id, email, name, password_hash, disabled_at, created_at';

/** Inserts an account; false when another account has the same email in any case. */
export async function insertAccount(
  db: Queryable,
  account: { id: string; email: string; name: string; passwordHash: string; at: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO users (id, email, name, password_hash, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $5)
     ON CONFLICT ((lower(email))) DO NOTHING`,
    [account.id, account.email, account.name, account.passwordHash, account.at],
  );
  return rowCount > 0;
}

export async function findAccountByEmail(
  db: Queryable,
  email: string,
): Promise<AccountRow | undefined> {
  const { rows } = await db.query<AccountRow>(
    `SELECT ${accountColumns} FROM users WHERE lower(email) = lower($1)`,
    [email],
  );
  return rows[0];
}

/** The account with this id; `id` must be a UUID (check with `isUuid` first). */
export async function findAccountById(db: Queryable, id: string): Promise<AccountRow | undefined> {
  const { rows } = await db.query<AccountRow>(`SELECT ${accountColumns} FROM users WHERE id = $1`, [
    id,
  ]);
  return rows[0];
}

/** Disables (keeping the first time) or re-enables an account; undefined when there is none. */
export async function updateAccountDisabled(
  db: Queryable,
  change: { id: string; disabled: boolean; at: Date },
): Promise<AccountRow | undefined> {
  const { rows } = await db.query<AccountRow>(
    `UPDATE users
        SET disabled_at = CASE WHEN $2::boolean THEN coalesce(disabled_at, $3) END,
            updated_at = $3
      WHERE id = $1
      RETURNING ${accountColumns}`,
    [change.id, change.disabled, change.at],
  );
  return rows[0];
}

/** Replaces the stored hash when the same hash is still there (a rehash at login). */
export async function replacePasswordHash(
  db: Queryable,
  change: { id: string; from: string; to: string; at: Date },
): Promise<void> {
  await db.query(
    'UPDATE users SET password_hash = $3, updated_at = $4 WHERE id = $1 AND password_hash = $2',
    [change.id, change.from, change.to, change.at],
  );
}

/** Whether any account exists: before the first, the operator has not set up yet. */
export async function anyAccountExists(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM users) AS present',
  );
  return rows[0]?.present === true;
}
