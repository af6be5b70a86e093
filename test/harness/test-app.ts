import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { StaffRole } from '../../src/context.ts';
import { operatorCaller } from '../../src/context.ts';
import { MemoryMailer } from '../../src/modules/mail/mailer.ts';
import type { SpaceRole } from '../../src/modules/spaces/space-policy.ts';
import { MemoryDenialLog } from '../../src/modules/staff/staff-denials.ts';
import { createServices, type Services } from '../../src/services.ts';
import type { TestEnv } from './test-env.ts';

/** A clock tests can move. */
export class TestClock {
  private offsetMs = 0;
  readonly now = () => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface TestUser {
  id: string;
  email: string;
  name: string;
  password: string;
  token: string;
}

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  mailer: MemoryMailer;
  denials: MemoryDenialLog;
  clock: TestClock;
  /** A new staff account (hr store) with `role`, logged in through POST /auth/login. */
  staff(
    role: StaffRole,
    options?: { name?: string; startDate?: string; endDate?: string },
  ): Promise<TestUser>;
  /** A new account, logged in. */
  user(name?: string): Promise<TestUser>;
  /** A new Space owned (superadmin) by `owner`; `members` join with their roles. */
  space(
    owner: TestUser,
    options?: { country?: string; members?: [TestUser, SpaceRole][] },
  ): Promise<string>;
  /** An API request as `user` (or anonymous). */
  request(
    user: TestUser | null,
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

let counter = 0;

/** The whole app on a test environment's stores, with a memory mailer and a movable clock. */
export async function createTestApp(env: TestEnv): Promise<TestApp> {
  const mailer = new MemoryMailer();
  const clock = new TestClock();
  const denials = new MemoryDenialLog();
  const services = createServices(env.config, env.stores, { clock: clock.now, mailer, denials });
  const app = await buildApp({
    config: env.config,
    services,
    healthCheck: async () => {
      await (await env.stores.platform()).query('SELECT 1');
    },
  });
  const request: TestApp['request'] = (user, method, url, body) =>
    app.inject({
      method,
      url,
      headers: {
        ...(user ? { authorization: `Bearer ${user.token}` } : {}),
        'user-agent': 'kith-tests/1.0',
      },
      ...(body === undefined ? {} : { payload: body as object }),
    });
  return {
    app,
    services,
    mailer,
    denials,
    clock,
    request,
    async staff(role, options = {}) {
      counter += 1;
      const email = `staff${counter}.${Date.now().toString(36)}@operator.example`;
      const password = `staff horse battery ${counter}`;
      const name = options.name ?? `Staff ${role} ${counter}`;
      const created = await services.staffAccounts.create(operatorCaller(), {
        email,
        name,
        role,
        startDate: options.startDate,
        endDate: options.endDate,
        password,
      });
      const session = await services.identity.login(
        { email, password },
        { device: 'kith-tests/1.0', ip: '127.0.0.2' },
      );
      return { id: created.id, email, name, password, token: session.token };
    },
    async user(name = 'Test User') {
      counter += 1;
      const email = `user${counter}.${Date.now().toString(36)}@example.org`;
      const password = `correct horse battery ${counter}`;
      const created = await services.identity.createUser(operatorCaller(), {
        email,
        name,
        password,
      });
      const session = await services.identity.login(
        { email, password },
        { device: 'kith-tests/1.0', ip: '127.0.0.1' },
      );
      return { id: created.id, email, name, password, token: session.token };
    },
    async space(owner, options = {}) {
      const response = await request(owner, 'POST', '/api/v1/spaces', {
        name: `Space ${++counter}`,
        country: options.country ?? 'FR',
      });
      if (response.statusCode !== 201) {
        throw new Error(`space creation failed: ${response.statusCode} ${response.body}`);
      }
      const spaceId = (response.json() as { id: string }).id;
      for (const [member, role] of options.members ?? []) {
        const added = await request(owner, 'POST', `/api/v1/spaces/${spaceId}/members`, {
          email: member.email,
          role,
        });
        if (added.statusCode !== 201) {
          throw new Error(`member add failed: ${added.statusCode} ${added.body}`);
        }
      }
      return spaceId;
    },
    close: () => app.close(),
  };
}
