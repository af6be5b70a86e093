import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyContextConfig,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from './config.ts';
import { AppError } from './errors.ts';
import { installAuthentication } from './http/authentication.ts';
import { errorSchema } from './http/common-schemas.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { registerBackupRoutes } from './modules/backups/backups.routes.ts';
import { registerContactRoutes } from './modules/contacts/contacts.routes.ts';
import { registerCustomFieldRoutes } from './modules/contacts/custom-fields.routes.ts';
import { registerSpaceSettingsRoutes } from './modules/contacts/space-settings.routes.ts';
import { registerExportRoutes } from './modules/exports/exports.routes.ts';
import { registerHistoryRoutes } from './modules/history/history.routes.ts';
import { registerDirectoryRoutes } from './modules/hr/directory.routes.ts';
import { registerIdentityRoutes } from './modules/identity/identity.routes.ts';
import { registerImportRoutes } from './modules/imports/imports.routes.ts';
import { registerSalesRoutes } from './modules/sales/sales.routes.ts';
import { registerMemberRoutes } from './modules/spaces/members.routes.ts';
import { registerSpaceRoutes } from './modules/spaces/spaces.routes.ts';
import { registerStaffGrantRoutes } from './modules/staff/staff-grants.routes.ts';
import { registerSupportCardRoutes } from './modules/support/support-card.routes.ts';
import { registerTicketRoutes } from './modules/support/tickets.routes.ts';
import type { Services } from './services.ts';

export interface AppDeps {
  readonly config: Config;
  readonly services: Services;
  /** Checks the stores the API needs answer; `/api/health` reports it. */
  readonly healthCheck: () => Promise<void>;
  readonly logger?: FastifyServerOptions['logger'];
}

/** A route as registered: what the generated security tests enumerate. */
export interface RouteRecord {
  readonly method: string;
  readonly url: string;
  readonly config: FastifyContextConfig;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the app with its config (public, spaceAction). */
    routeCatalogue: RouteRecord[];
  }
}

/** The HTTP app, without `listen()`: tests inject requests into it directly. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: deps.config.http.bodyLimitBytes,
    trustProxy: deps.config.http.trustProxy,
    // Refuse `__proto__` and `constructor.prototype` keys in JSON (prototype pollution).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
  const routeCatalogue: RouteRecord[] = [];
  app.decorate('routeCatalogue', routeCatalogue);
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/docs')) {
      // The documentation is public, like the OpenAPI document it renders.
      route.config = { ...(route.config ?? {}), public: true };
    }
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') {
        routeCatalogue.push({
          method,
          url: route.url,
          config: (route.config ?? {}) as FastifyContextConfig,
        });
      }
    }
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kith API',
        version: '1',
        description: 'Kith: contacts, history, residency. Errors: {"error": {"code", "message"}}.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'kith_session' },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { deepLinking: false } });
  installAuthentication(app, deps.services.identity);

  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/api/health',
    {
      config: { public: true },
      schema: {
        tags: ['meta'],
        summary: 'Liveness and store reachability',
        security: [],
        response: {
          200: z.object({ ok: z.literal(true) }),
          503: errorSchema.describe('a store does not answer'),
        },
      },
    },
    async () => {
      await deps.healthCheck().catch(() => {
        throw new AppError('unavailable', 'a store does not answer: see the server log');
      });
      return { ok: true as const };
    },
  );
  typed.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  await app.register(
    async (v1) => {
      const api = v1.withTypeProvider<ZodTypeProvider>();
      registerIdentityRoutes(api, deps.services);
      registerSpaceRoutes(api, deps.services);
      registerMemberRoutes(api, deps.services);
      registerContactRoutes(api, deps.services);
      registerCustomFieldRoutes(api, deps.services);
      registerSpaceSettingsRoutes(api, deps.services);
      registerHistoryRoutes(api, deps.services);
      registerExportRoutes(api, deps.services);
      registerImportRoutes(api, deps.services, {
        dataDir: deps.config.dataDir,
        limits: deps.config.imports,
      });
      registerBackupRoutes(api, deps.services);
      registerStaffGrantRoutes(api, deps.services);
      registerSupportCardRoutes(api, deps.services);
      registerSalesRoutes(api, deps.services);
      registerTicketRoutes(api, deps.services);
      registerDirectoryRoutes(api, deps.services);
    },
    { prefix: '/api/v1' },
  );
  await app.ready();
  return app;
}
