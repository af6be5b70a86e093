import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.ts';
import type { Caller, Source } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import type { ServiceDeps } from '../../services.ts';
import type { Queryable } from '../../stores/database.ts';
import { ChangeAwareCache } from '../../stores/platform-changes.ts';
import {
  type AccountRow,
  anyAccountExists,
  findAccountByEmail,
  findAccountById,
  insertAccount,
  replacePasswordHash,
  updateAccountDisabled,
} from './account.repository.ts';
import { clientText } from './client-text.ts';
import { accountId, emailAddress, newAccountInput } from './identity.schemas.ts';
import { assertNotThrottled, recordLoginFailure, recordLoginSuccess } from './login-throttle.ts';
import { sendNewDeviceNotice } from './new-device-notice.ts';
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from './password-hash.ts';
import { assertAcceptablePassword } from './password-policy.ts';
import {
  deviceHistory,
  endSession,
  endSessionsOfUser,
  findLiveSession,
  findSessionOfUser,
  insertSession,
  type LiveSessionRow,
  listLiveSessions,
  type SessionEndReason,
  touchSession,
} from './session.repository.ts';
import type { StaffCredentials, StaffLogin } from './staff-login.ts';
import { readSupportCard, type SupportCardRow } from './support-card.repository.ts';
import {
  looksLikeSessionToken,
  looksLikeStaffToken,
  newSessionToken,
  newStaffSessionToken,
  sessionTokenDigest,
} from './tokens.ts';
import { type SessionView, toSessionView, toUserView, type UserView } from './user-presenter.ts';

export type { SessionView, UserView } from './user-presenter.ts';

export interface ClientInfo {
  /** User agent. */
  readonly device?: string | undefined;
  readonly ip?: string | undefined;
}

export interface LoginResult {
  readonly token: string;
  readonly sessionId: string;
  readonly expiresAt: Date;
  readonly user: UserView;
  /** Who logged in: a platform user, or operator staff (accounts in the hr store). */
  readonly actorType: 'user' | 'staff';
}

/** `last_seen_at` is written at most this often: authenticated reads stay one query. */
const touchIntervalMs = 60_000;
const maxDeviceLength = 512;
const maxIpLength = 64;
/** A user has rarely more open sessions; the list is capped rather than paged. */
const maxListedSessions = 200;
/**
 * Sessions kept in memory, by token digest. The change feed drops an entry as
 * soon as its session ends or its account changes, in any instance; the TTL
 * only bounds how long a missed notification could matter.
 */
const sessionCacheTtlMs = 30_000;
const maxCachedSessions = 20_000;

/**
 * Accounts, passwords and sessions (SPEC 4.1, ASVS 5.0 L2 V6–V7). Sessions are
 * opaque random tokens stored as SHA-256 digests; they end server-side on logout,
 * idle and absolute expiry, and when the account is disabled.
 */
export class IdentityService {
  /** Open sessions of platform accounts with their account's state, when `deps` has the change feed. */
  private readonly sessions: ChangeAwareCache<LiveSessionRow> | undefined;

  constructor(
    private readonly deps: ServiceDeps,
    /** Staff accounts (hr store); staff log in here too, after platform accounts. */
    private readonly staff?: StaffLogin,
  ) {
    this.sessions =
      deps.platformChanges &&
      new ChangeAwareCache(deps.platformChanges, {
        ttlMs: sessionCacheTtlMs,
        maxEntries: maxCachedSessions,
      });
  }

  /** Creates an account (operator only). conflict when the email is taken in any case. */
  async createUser(
    caller: Caller,
    input: { email: string; name: string; password: string },
  ): Promise<UserView> {
    if (caller.actor.type !== 'system') {
      throw new AppError('forbidden', 'only the operator creates accounts: use kith users create');
    }
    const parsed = newAccountInput.safeParse(input);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        path: i.path.join('.'),
        message: i.message,
      }));
      const first = issues[0];
      throw new AppError(
        'invalid_input',
        first ? `${first.path}: ${first.message}` : 'invalid account',
        {
          issues,
        },
      );
    }
    const { email, name } = parsed.data;
    await assertAcceptablePassword(input.password);
    const db = await this.platform();
    const taken = () =>
      new AppError('conflict', 'an account with this email already exists: use another email');
    // Checked first to spare an argon2 hash; the unique index decides under concurrency.
    if (await findAccountByEmail(db, email)) {
      throw taken();
    }
    const account: AccountRow = {
      id: randomUUID(),
      email,
      name,
      password_hash: await hashPassword(input.password),
      disabled_at: null,
      created_at: this.deps.clock(),
    };
    const inserted = await insertAccount(db, {
      id: account.id,
      email,
      name,
      passwordHash: account.password_hash,
      at: account.created_at,
    });
    if (!inserted) {
      throw taken();
    }
    return toUserView(account);
  }

  /**
   * Opens a session. Unknown email, wrong password and disabled account all answer
   * the same `unauthenticated`, after the same argon2 work; failures are throttled
   * per account and per address.
   */
  async login(
    input: { email: string; password: string },
    client: ClientInfo,
  ): Promise<LoginResult> {
    const now = this.deps.clock();
    const db = await this.platform();
    const attempt = { email: input.email, ip: clientText(client.ip, maxIpLength) ?? undefined };
    await assertNotThrottled(db, attempt, now);
    const email = emailAddress.safeParse(input.email);
    const account = email.success ? await findAccountByEmail(db, email.data) : undefined;
    // Staff are looked up only when no platform account has the email; either way
    // exactly one argon2 verification runs, so timing does not tell them apart.
    const staff =
      !account && email.success ? await this.staff?.credentialsOf(email.data, now) : undefined;
    const matches = await verifyPassword(
      account?.password_hash ?? staff?.passwordHash ?? (await dummyPasswordHash()),
      input.password,
    );
    if (staff) {
      if (!matches || !staff.usable) {
        await recordLoginFailure(db, attempt, now);
        throw new AppError('unauthenticated', 'wrong email or password');
      }
      await recordLoginSuccess(db, attempt);
      return this.openStaffSession(staff, client, now);
    }
    if (!account || !matches || account.disabled_at !== null) {
      await recordLoginFailure(db, attempt, now);
      throw new AppError('unauthenticated', 'wrong email or password');
    }
    await recordLoginSuccess(db, attempt);
    await this.rehashIfNeeded(db, account, input.password, now);

    const device = clientText(client.device, maxDeviceLength);
    const ip = attempt.ip ?? null;
    const history = await deviceHistory(db, account.id, device);
    const token = newSessionToken();
    const sessionId = randomUUID();
    const expiresAt = new Date(now.getTime() + this.deps.config.session.absoluteHours * 3_600_000);
    await insertSession(db, {
      id: sessionId,
      tokenHash: sessionTokenDigest(token),
      userId: account.id,
      at: now,
      expiresAt,
      userAgent: device,
      ip,
    });
    // The first login of an account is not news; a device never seen before is.
    if (history.hasSessions && !history.seenDevice) {
      await sendNewDeviceNotice(this.deps.mailer, { account, device, ip, at: now });
    }
    return { token, sessionId, expiresAt, user: toUserView(account), actorType: 'user' };
  }

  private async openStaffSession(
    staff: StaffCredentials,
    client: ClientInfo,
    now: Date,
  ): Promise<LoginResult> {
    const token = newStaffSessionToken();
    const sessionId = randomUUID();
    const expiresAt = new Date(now.getTime() + this.deps.config.session.absoluteHours * 3_600_000);
    await this.staff?.openSession({
      id: sessionId,
      tokenHash: sessionTokenDigest(token),
      staffId: staff.id,
      at: now,
      expiresAt,
      userAgent: clientText(client.device, maxDeviceLength),
      ip: clientText(client.ip, maxIpLength),
    });
    const user: UserView = {
      id: staff.id,
      email: staff.email,
      name: staff.name,
      createdAt: staff.createdAt.toISOString(),
      disabled: false,
    };
    return { token, sessionId, expiresAt, user, actorType: 'staff' };
  }

  /**
   * The caller a token stands for, or undefined when it is unknown, ended, past
   * its idle or absolute limit (then it is ended here), or its account is disabled.
   */
  async authenticate(
    token: string,
    client: ClientInfo & { source: Source },
  ): Promise<Caller | undefined> {
    if (!looksLikeSessionToken(token)) {
      return undefined;
    }
    const digest = sessionTokenDigest(token);
    if (looksLikeStaffToken(token)) {
      const staff = await this.authenticateStaff(digest, client);
      if (staff) {
        return staff;
      }
    }
    const key = digest.toString('base64url');
    // The limits are checked on every request, on what this instance knows.
    const cached = this.sessions?.get(key);
    if (cached && !this.endOf(cached, this.deps.clock())) {
      await this.touchIfDue(cached, this.deps.clock());
      return this.userCaller(cached, client);
    }
    // Not in memory, or past a limit as this instance saw it (another instance
    // may have touched it since): the store decides.
    const db = await this.platform();
    const session = this.sessions
      ? await this.sessions.load(key, async () => {
          const row = await findLiveSession(db, digest);
          return row && { value: row, userId: row.user_id };
        })
      : await findLiveSession(db, digest);
    if (!session) {
      return looksLikeStaffToken(token) ? undefined : this.authenticateStaff(digest, client);
    }
    const now = this.deps.clock();
    const end = this.endOf(session, now);
    if (end) {
      this.sessions?.delete(key);
      await endSession(db, {
        id: session.id,
        userId: session.user_id,
        reason: end.reason,
        at: end.at,
      });
      return undefined;
    }
    await this.touchIfDue(session, now);
    return this.userCaller(session, client);
  }

  /**
   * Moves `last_seen_at` forward when the last write is older than the touch
   * interval: at most one UPDATE per interval per session, whatever the traffic.
   */
  private async touchIfDue(session: LiveSessionRow, now: Date): Promise<void> {
    // A short idle limit needs fresher touches, or an active session would idle out.
    const touchEvery = Math.min(touchIntervalMs, this.idleMs() / 4);
    if (now.getTime() - session.last_seen_at.getTime() < touchEvery) {
      return;
    }
    const previous = session.last_seen_at;
    // Set first: the concurrent requests of this session do not touch it again.
    session.last_seen_at = now;
    try {
      await touchSession(await this.platform(), session.id, now);
    } catch (error) {
      session.last_seen_at = previous;
      throw error;
    }
  }

  private userCaller(session: LiveSessionRow, client: ClientInfo & { source: Source }): Caller {
    return {
      actor: { type: 'user', id: session.user_id, name: session.user_name },
      source: client.source,
      sessionId: session.id,
      device: clientText(client.device, maxDeviceLength) ?? undefined,
      ip: clientText(client.ip, maxIpLength) ?? undefined,
    };
  }

  private async authenticateStaff(
    digest: Buffer,
    client: ClientInfo & { source: Source },
  ): Promise<Caller | undefined> {
    const state = await this.staff?.liveSession(digest, this.deps.clock(), this.idleMs());
    if (!state) {
      return undefined;
    }
    return {
      actor: { type: 'staff', id: state.staffId, name: state.name, staffRole: state.role },
      source: client.source,
      sessionId: state.id,
      device: clientText(client.device, maxDeviceLength) ?? undefined,
      ip: clientText(client.ip, maxIpLength) ?? undefined,
    };
  }

  /** Ends the caller's session server-side. */
  async logout(caller: Caller): Promise<void> {
    if (caller.actor.type === 'staff' && caller.sessionId) {
      await this.staff?.endSession(caller.sessionId, caller.actor.id, this.deps.clock());
      return;
    }
    if (caller.actor.type !== 'user' || !caller.sessionId) {
      return;
    }
    await endSession(await this.platform(), {
      id: caller.sessionId,
      userId: caller.actor.id,
      reason: 'logout',
      at: this.deps.clock(),
    });
    // This instance at once; the others when the store's notification reaches them.
    this.deps.platformChanges?.changed({ userId: caller.actor.id });
  }

  /** Disables (ending every session) or re-enables an account; operator only. */
  async setDisabled(caller: Caller, userId: string, disabled: boolean): Promise<UserView> {
    if (caller.actor.type !== 'system') {
      throw new AppError('forbidden', 'only the operator can disable or enable accounts');
    }
    if (!accountId.safeParse(userId).success) {
      throw notFound('account');
    }
    const at = this.deps.clock();
    const db = await this.platform();
    const row = await db.transaction(async (tx) => {
      const updated = await updateAccountDisabled(tx, { id: userId, disabled, at });
      if (updated && disabled) {
        await endSessionsOfUser(tx, { userId, reason: 'disabled', at });
      }
      return updated;
    });
    if (!row) {
      throw notFound('account');
    }
    this.deps.platformChanges?.changed({ userId });
    return toUserView(row);
  }

  /** The account with this email, in any case. */
  /** Whether any account exists yet (the server prints first-login help until one does). */
  async hasAnyUser(): Promise<boolean> {
    return anyAccountExists(await this.platform());
  }

  async findUserByEmail(email: string): Promise<UserView | undefined> {
    const parsed = emailAddress.safeParse(email);
    if (!parsed.success) {
      return undefined;
    }
    const row = await findAccountByEmail(await this.platform(), parsed.data);
    return row && toUserView(row);
  }

  async getUser(userId: string): Promise<UserView | undefined> {
    if (!accountId.safeParse(userId).success) {
      return undefined;
    }
    const row = await findAccountById(await this.platform(), userId);
    return row && toUserView(row);
  }

  /**
   * The support card of the account with this email: name, Space names, latest
   * device. No access check here: `SupportCardService` admits support staff only.
   */
  async supportCardOf(email: string): Promise<SupportCardRow | undefined> {
    const parsed = emailAddress.safeParse(email);
    if (!parsed.success) {
      return undefined;
    }
    return readSupportCard(await this.platform(), parsed.data);
  }

  /** The caller's live sessions, newest first, the current one marked. */
  async listSessions(caller: Caller): Promise<SessionView[]> {
    if (caller.actor.type !== 'user') {
      return [];
    }
    const now = this.deps.clock();
    const rows = await listLiveSessions(await this.platform(), {
      userId: caller.actor.id,
      now,
      idleSince: new Date(now.getTime() - this.idleMs()),
      limit: maxListedSessions,
    });
    return rows.map((row) => toSessionView(row, caller.sessionId));
  }

  /** The session the caller came with, as it was recorded at login. */
  async currentSession(caller: Caller): Promise<SessionView | undefined> {
    if (caller.actor.type === 'staff' && caller.sessionId) {
      const state = await this.staff?.session(caller.sessionId, caller.actor.id);
      return (
        state && {
          id: state.id,
          device: state.device,
          ip: state.ip,
          createdAt: state.createdAt.toISOString(),
          lastSeenAt: state.createdAt.toISOString(),
          expiresAt: state.expiresAt.toISOString(),
          current: true,
        }
      );
    }
    if (caller.actor.type !== 'user' || !caller.sessionId) {
      return undefined;
    }
    const row = await findSessionOfUser(await this.platform(), caller.sessionId, caller.actor.id);
    return row && toSessionView(row, caller.sessionId);
  }

  /** Session limits and cookie flags (the login route sets the cookie from them). */
  get sessionSettings(): Config['session'] {
    return this.deps.config.session;
  }

  private platform() {
    return this.deps.stores.platform();
  }

  private idleMs(): number {
    return this.deps.config.session.idleMinutes * 60_000;
  }

  /** Why and when a live session has ended by `now`, if it has. */
  private endOf(
    session: LiveSessionRow,
    now: Date,
  ): { reason: SessionEndReason; at: Date } | undefined {
    if (session.user_disabled) {
      return { reason: 'disabled', at: now };
    }
    const idleAt = session.last_seen_at.getTime() + this.idleMs();
    const expiredAt = session.expires_at.getTime();
    if (now.getTime() < Math.min(idleAt, expiredAt)) {
      return undefined;
    }
    // Whichever limit came first is the one that ended it, and then.
    return idleAt < expiredAt
      ? { reason: 'idle', at: new Date(idleAt) }
      : { reason: 'expired', at: new Date(expiredAt) };
  }

  /** Upgrades a hash made with older argon2 parameters, now that the password is known. */
  private async rehashIfNeeded(db: Queryable, account: AccountRow, password: string, at: Date) {
    if (!needsRehash(account.password_hash)) {
      return;
    }
    const to = await hashPassword(password);
    await replacePasswordHash(db, { id: account.id, from: account.password_hash, to, at });
  }
}
