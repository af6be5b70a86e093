import type { AddressInfo } from 'node:net';
import type { FastifyServerOptions } from 'fastify';
import { buildApp } from './app.ts';
import { usesEmbeddedStores } from './cli/embedded-lock.ts';
import { firstLoginInstructions } from './cli/first-login.ts';
import type { Config } from './config.ts';
import { systemClock } from './context.ts';
import { AppError } from './errors.ts';
import { ensureInstallationKeys } from './installation-keys.ts';
import { Scheduler } from './modules/scheduler/scheduler.ts';
import { scheduledJobs } from './scheduled-jobs.ts';
import { createServices } from './services.ts';
import { Stores } from './stores/stores.ts';

/** A listening server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** The browsable API documentation. */
  readonly docsUrl: string;
  /** Whether the platform store had no account yet when the server started. */
  readonly firstRun: boolean;
  /** Stops accepting requests, finishes those in flight, then closes the stores. Idempotent. */
  close(): Promise<void>;
  /** Settles once the server has closed (after `close()` or a SIGINT/SIGTERM). */
  readonly closed: Promise<void>;
}

export interface StartServerOptions {
  /** Where the start-up announcement goes (default: stdout, human lines). */
  readonly announce?: (server: RunningServer, lines: readonly string[]) => void;
  /** Close gracefully on SIGINT and SIGTERM (default true). */
  readonly handleSignals?: boolean;
  /** Where the JSON logs go (default: stdout). */
  readonly logDestination?: NodeJS.WritableStream;
}

/**
 * Logs are JSON at `config.logLevel` with no personal data (SPEC 5): no request
 * bodies or query strings (they carry emails and search terms), no client IPs,
 * no database error details (they quote the values that clashed), and the
 * credentials headers redacted wherever a header object is logged.
 */
export function loggerOptions(
  config: Config,
  destination: NodeJS.WritableStream = process.stdout,
): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    stream: destination,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        'headers.authorization',
        'headers.cookie',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (request: { method?: string; url?: string; id?: string }) => ({
        method: request.method,
        url: request.url?.split('?')[0],
        id: request.id,
      }),
      err: (error: Error & { code?: unknown }) => ({
        type: error.name,
        message: error.message,
        code: error.code,
        stack: error.stack ?? '',
      }),
    },
  };
}

/**
 * Runs the HTTP API: opens the platform store (creating and migrating it when
 * embedded and new), builds the app, listens, and announces where it is and,
 * on a platform with no account yet, how to log in the first time. Other stores
 * open on first use.
 */
export async function startServer(
  config: Config,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  await ensureInstallationKeys(config);
  const stores = new Stores(config);
  try {
    const services = createServices(config, stores);
    const firstRun = !(await services.identity.hasAnyUser());
    const app = await buildApp({
      config,
      services,
      logger: loggerOptions(config, options.logDestination),
      healthCheck: async () => {
        await (await stores.platform()).query('SELECT 1');
      },
    });
    try {
      await app.listen({ port: config.port, host: config.host });
    } catch (error) {
      await app.close();
      throw listenError(error, config);
    }
    const url = baseUrl(config.host, (app.server.address() as AddressInfo).port);
    const scheduler = config.scheduler.enabled
      ? new Scheduler(
          () => stores.platform(),
          scheduledJobs(config, stores, systemClock),
          systemClock,
          app.log,
        )
      : undefined;
    scheduler?.start();
    const closing = shutdown(async () => {
      await scheduler?.stop();
      await app.close();
      await stores.close();
    });
    const server: RunningServer = {
      url,
      docsUrl: `${url}/api/docs`,
      firstRun,
      close: closing.close,
      closed: closing.closed,
    };
    if (options.handleSignals ?? true) {
      closeOnSignals(server);
    }
    const lines = announcement(server, config);
    (options.announce ?? ((_, text) => process.stdout.write(`${text.join('\n')}\n`)))(
      server,
      lines,
    );
    return server;
  } catch (error) {
    await stores.close();
    throw error;
  }
}

function announcement(server: RunningServer, config: Config): string[] {
  const lines = [`Kith is listening on ${server.url}`, `API documentation: ${server.docsUrl}`];
  if (server.firstRun) {
    const country = config.residency.has('FR')
      ? 'FR'
      : (config.residency.keys().next().value ?? 'FR');
    const embedded = usesEmbeddedStores(config);
    lines.push(
      '',
      ...firstLoginInstructions({ url: server.url, dataDir: config.dataDir, embedded, country }),
    );
  }
  return lines;
}

/**
 * `close` runs `work` once, however often it is called; `closed` settles as that
 * one run does, so whoever waits on it learns whether the shutdown was clean.
 */
function shutdown(work: () => Promise<void>): {
  close: () => Promise<void>;
  closed: Promise<void>;
} {
  let running: Promise<void> | undefined;
  let adopt: (outcome: Promise<void>) => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    adopt = resolve;
  });
  const close = () => {
    if (!running) {
      running = work();
      adopt(running);
    }
    return running;
  };
  return { close, closed };
}

/** The first SIGINT/SIGTERM closes gracefully; a second one exits at once. */
function closeOnSignals(server: RunningServer): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      process.stderr.write(
        `kith: ${signal} again: exiting without waiting for requests in flight\n`,
      );
      process.exit(1);
    }
    signalled = true;
    void server.close().catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  void server.closed
    .catch(() => undefined)
    .finally(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
}

function baseUrl(host: string, port: number): string {
  // A wildcard address is reachable on loopback; a person needs an address to open.
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

function listenError(error: unknown, config: Config): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') {
    return new AppError(
      'unavailable',
      `${where} is already in use: stop what listens there, or pass --port (or PORT)`,
    );
  }
  if (code === 'EACCES') {
    return new AppError(
      'unavailable',
      `not allowed to listen on ${where}: use a port above 1023, or pass --port (or PORT)`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new AppError(
      'unavailable',
      `cannot listen on ${config.host}: no such local address; pass --host (or HOST)`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
