import { type Command, InvalidArgumentError } from 'commander';
import { globalOptionsOf } from './global-options.ts';
import { configOf, withDataDirectory } from './installation.ts';
import { Output } from './output.ts';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new InvalidArgumentError('a port is a number from 0 to 65535 (0: any free port)');
  }
  return port;
}

/** `kith serve [--port N] [--host H]`: the HTTP API until SIGINT or SIGTERM. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API until SIGINT or SIGTERM')
    .option('--port <n>', 'port to listen on (default: $PORT or 3000)', parsePort)
    .option('--host <address>', 'address to listen on (default: $HOST or 127.0.0.1)')
    .action(async (options: { port?: number; host?: string }, command: Command) => {
      const { json } = globalOptionsOf(command);
      const output = new Output(json);
      const config = configOf(command, { port: options.port, host: options.host });
      await withDataDirectory(config, command, async () => {
        // Loaded here, not at start-up: other commands need no HTTP framework.
        const { startServer } = await import('../server.ts');
        const server = await startServer(config, {
          // With --json, stdout holds the one announcement document; logs go to stderr.
          ...(json ? { logDestination: process.stderr } : {}),
          announce: (running, lines) =>
            output.result(
              { url: running.url, docsUrl: running.docsUrl, firstRun: running.firstRun },
              lines,
            ),
        });
        await server.closed;
      });
    });
}
