/**
 * Who is acting, through what, from where. Every service takes a `Caller` first
 * and checks access itself, so the HTTP API, the CLI and scheduled jobs get the
 * same guarantees.
 */
export type ActorType = 'user' | 'staff' | 'system';
export type Source = 'api' | 'cli' | 'console' | 'import' | 'system';

export interface Actor {
  readonly type: ActorType;
  readonly id: string;
  readonly name: string;
}

export interface Caller {
  readonly actor: Actor;
  readonly source: Source;
  /** The session the request came with, when it came with one. */
  readonly sessionId?: string | undefined;
  /** User agent of the client. */
  readonly device?: string | undefined;
  readonly ip?: string | undefined;
}

/** The CLI acts as the operator of the installation. */
export function operatorCaller(): Caller {
  return { actor: { type: 'system', id: 'operator', name: 'operator (CLI)' }, source: 'cli' };
}

/** Injected wherever time decides something (expiry, throttling), so tests can move it. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
