import type { StaffRole } from '../../context.ts';

/**
 * What identity needs of staff accounts, which live in the hr store (SPEC 4.7):
 * staff log in through the same `POST /auth/login` as users, with the same
 * errors and throttling, but their accounts and sessions never enter the
 * platform store. The hr module implements it; identity never opens the hr store.
 */
export interface StaffCredentials {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly createdAt: Date;
  /** Null for a directory entry without an account: it can never log in. */
  readonly passwordHash: string | null;
  /** False when the account is disabled or the contract has ended. */
  readonly usable: boolean;
}

export interface StaffSessionState {
  readonly id: string;
  readonly staffId: string;
  readonly name: string;
  readonly role: StaffRole;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly device: string | null;
  readonly ip: string | null;
}

export interface StaffLogin {
  credentialsOf(email: string, now: Date): Promise<StaffCredentials | undefined>;
  openSession(session: {
    id: string;
    tokenHash: Buffer;
    staffId: string;
    at: Date;
    expiresAt: Date;
    userAgent: string | null;
    ip: string | null;
  }): Promise<void>;
  /** The live session of this token digest; ends it (and answers undefined) when it is past a limit or the contract has ended. */
  liveSession(tokenHash: Buffer, now: Date, idleMs: number): Promise<StaffSessionState | undefined>;
  session(id: string, staffId: string): Promise<StaffSessionState | undefined>;
  endSession(id: string, staffId: string, at: Date): Promise<void>;
}
