import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../context.ts';
import { AppError } from '../errors.ts';
import type { IdentityService } from '../modules/identity/identity.service.ts';
import type { SpaceAction } from '../modules/spaces/space-policy.ts';

/** The session cookie: HttpOnly, SameSite=Lax, Secure when served over HTTPS. */
export const sessionCookieName = 'kith_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, when the request carried a live session. */
    caller: Caller | null;
    /** Whether the session came from the cookie (then CSRF checks apply). */
    viaCookie: boolean;
  }
  interface FastifyContextConfig {
    /** Reachable without a session (login, health, docs). */
    public?: boolean;
    /**
     * The Space action a `/spaces/:spaceId/...` route performs (its service checks
     * it through `SpaceAccess`); the generated isolation test reads it to know
     * which roles must be refused.
     */
    spaceAction?: SpaceAction;
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) {
    return undefined;
  }
  const match = /^Bearer ([A-Za-z0-9_-]{16,256})$/.exec(header);
  return match?.[1] ?? '';
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Resolves the caller from `Authorization: Bearer` or the session cookie on every
 * request, and refuses non-public routes without one (401). A cookie-authenticated
 * unsafe request from another site is refused (403): cookies ride along on
 * cross-site requests, bearer tokens do not.
 */
export function installAuthentication(app: FastifyInstance, identity: IdentityService): void {
  app.decorateRequest('caller', null);
  app.decorateRequest('viaCookie', false);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const bearer = bearerToken(request);
    const cookie = request.cookies?.[sessionCookieName];
    const token = bearer ?? cookie;
    if (!token) {
      return;
    }
    request.viaCookie = bearer === undefined;
    const caller =
      (await identity.authenticate(token, {
        device: request.headers['user-agent'],
        ip: request.ip,
        source: 'api',
      })) ?? null;
    // A staff access records the route and the ids it named (SPEC 4.7: "what was read").
    request.caller =
      caller?.actor.type === 'staff'
        ? {
            ...caller,
            request: {
              method: request.method,
              route: request.routeOptions.url ?? '',
              params: (request.params ?? {}) as Record<string, string>,
            },
          }
        : caller;
  });
  // Before the body is read: an anonymous caller never gets to upload anything.
  app.addHook('preParsing', async (request: FastifyRequest, _reply: FastifyReply, payload) => {
    if (request.routeOptions.config?.public) {
      return payload;
    }
    if (!request.caller) {
      throw new AppError(
        'unauthenticated',
        'log in first: POST /api/v1/auth/login, then send the token as a Bearer token',
      );
    }
    if (request.viaCookie && unsafeMethods.has(request.method) && isCrossSite(request)) {
      throw new AppError('forbidden', 'cross-site request refused');
    }
    return payload;
  });
}

function isCrossSite(request: FastifyRequest): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite === 'cross-site') {
    return true;
  }
  const origin = request.headers.origin;
  if (!origin) {
    return false;
  }
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

/** The caller of a non-public route (the preParsing hook guarantees it). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) {
    throw new AppError('unauthenticated', 'log in first');
  }
  return request.caller;
}
