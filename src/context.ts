/**
 * Who is acting, through what, from where. Every service takes a `Caller` first
 * and checks access itself, so the HTTP API, the CLI and scheduled jobs get the
 * same guarantees.
 */
export type ActorType = 'user' | 'staff' | 'system';
export type Source = 'api' | 'cli' | 'console' | 'import' | 'system';

/** The operator's staff roles (SPEC 1); staff accounts live in the hr store. */
export const staffRoles = ['cto', 'account_manager', 'support', 'sales', 'hr'] as const;
export type StaffRole = (typeof staffRoles)[number];

export function isStaffRole(value: string): value is StaffRole {
  return (staffRoles as readonly string[]).includes(value);
}

export interface Actor {
  readonly type: ActorType;
  readonly id: string;
  readonly name: string;
  /** The staff role, for `type: 'staff'` only. */
  readonly staffRole?: StaffRole | undefined;
}

/** The route a request came through: what a staff access records as "what was read". */
export interface RequestTarget {
  readonly method: string;
  /** The route pattern, e.g. `/api/v1/spaces/:spaceId/contacts/:contactId`. */
  readonly route: string;
  /** The path parameters (ids only). */
  readonly params: Readonly<Record<string, string>>;
}

export interface Caller {
  readonly actor: Actor;
  readonly source: Source;
  /** The session the request came with, when it came with one. */
  readonly sessionId?: string | undefined;
  /** User agent of the client. */
  readonly device?: string | undefined;
  readonly ip?: string | undefined;
  /** The route of the request, for staff callers (their accesses are recorded). */
  readonly request?: RequestTarget | undefined;
}

/** The CLI acts as the operator of the installation. */
export function operatorCaller(): Caller {
  return { actor: { type: 'system', id: 'operator', name: 'operator (CLI)' }, source: 'cli' };
}

/** Injected wherever time decides something (expiry, throttling), so tests can move it. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
