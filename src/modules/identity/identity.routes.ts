import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf, sessionCookieName } from '../../http/authentication.ts';
import { errorResponses, listOf } from '../../http/common-schemas.ts';
import type { Services } from '../../services.ts';
import { loginBody, loginResponse, meResponse, sessionResponse } from './identity.schemas.ts';

/** A login body is two short strings: no reason to read more. */
const loginBodyLimit = 16 * 1024;

/** Answers that carry a token or session details are not cached anywhere. */
function noStore(reply: FastifyReply): void {
  void reply.header('cache-control', 'no-store');
}

/** `/auth/*`: log in and out, who am I, my sessions. */
export function registerIdentityRoutes(api: ApiInstance, services: Services): void {
  const session = services.identity.sessionSettings;

  api.post(
    '/auth/login',
    {
      bodyLimit: loginBodyLimit,
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in: answers a session token, also set as an HttpOnly cookie',
        security: [],
        body: loginBody,
        response: { 200: loginResponse.describe('the new session'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const result = await services.identity.login(request.body, {
        device: request.headers['user-agent'],
        ip: request.ip,
      });
      noStore(reply);
      void reply.setCookie(sessionCookieName, result.token, {
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure: session.secureCookie,
        maxAge: session.absoluteHours * 3600,
      });
      return {
        token: result.token,
        expiresAt: result.expiresAt.toISOString(),
        user: result.user,
        actorType: result.actorType,
      };
    },
  );

  api.post(
    '/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log out: ends the session server-side and clears the cookie',
        response: { 204: z.null().describe('the session is ended'), ...errorResponses },
      },
    },
    async (request, reply) => {
      await services.identity.logout(callerOf(request));
      void reply.clearCookie(sessionCookieName, {
        httpOnly: true,
        sameSite: 'lax',
        path: '/',
        secure: session.secureCookie,
      });
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The logged-in account and the session of the request',
        response: { 200: meResponse.describe('who is logged in, and how'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const [user, current] = await Promise.all([
        caller.actor.type === 'staff'
          ? services.staffAccounts.viewOf(caller.actor.id)
          : services.identity.getUser(caller.actor.id),
        services.identity.currentSession(caller),
      ]);
      if (!user || !current) {
        throw new AppError('unauthenticated', 'the session has ended: log in again');
      }
      noStore(reply);
      const { id, device, ip, createdAt, expiresAt } = current;
      return { user, session: { id, device, ip, createdAt, expiresAt } };
    },
  );

  api.get(
    '/auth/sessions',
    {
      schema: {
        tags: ['auth'],
        summary: 'The logged-in account’s open sessions, newest first, with their devices',
        response: {
          200: listOf(sessionResponse).describe('the open sessions (at most 200)'),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      noStore(reply);
      return { items: await services.identity.listSessions(callerOf(request)), nextCursor: null };
    },
  );
}
