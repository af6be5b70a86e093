import type { AccountRow } from './account.repository.ts';
import type { SessionRow } from './session.repository.ts';

/** What leaves the server about an account: never its password hash. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  disabled: boolean;
}

/** What leaves the server about a session: never its token or the token's hash. */
export interface SessionView {
  id: string;
  device: string | null;
  ip: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  /** Whether this is the session the request came with. */
  current: boolean;
}

export function toUserView(row: AccountRow): UserView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    createdAt: row.created_at.toISOString(),
    disabled: row.disabled_at !== null,
  };
}

export function toSessionView(row: SessionRow, currentSessionId: string | undefined): SessionView {
  return {
    id: row.id,
    device: row.user_agent,
    ip: row.ip,
    createdAt: row.created_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    current: row.id === currentSessionId,
  };
}
