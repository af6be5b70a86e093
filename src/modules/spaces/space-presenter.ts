import type { MemberRow } from './member.repository.ts';
import type { SpaceRow } from './space.repository.ts';
import type { SpaceRole } from './space-policy.ts';

/** What leaves the server about a Space: the registry's fields, never its customers' data. */
export interface SpaceView {
  id: string;
  name: string;
  country: string;
  region: string;
  createdAt: string;
}

/** What leaves the server about a member: the account's name and email, and the role. */
export interface MemberView {
  userId: string;
  email: string;
  name: string;
  role: SpaceRole;
  addedAt: string;
}

export function toSpaceView(row: SpaceRow): SpaceView {
  return {
    id: row.id,
    name: row.name,
    country: row.country,
    region: row.region,
    createdAt: row.created_at.toISOString(),
  };
}

export function toMemberView(row: MemberRow): MemberView {
  return {
    userId: row.user_id,
    email: row.email,
    name: row.name,
    role: row.role,
    addedAt: row.created_at.toISOString(),
  };
}
