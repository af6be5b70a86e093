import { after, before, describe, test } from 'node:test';
import { createTestEnv, type EngineName, type TestEnv, testDatabaseUrl } from './test-env.ts';

/**
 * Runs the same suite on every engine: PGlite always, PostgreSQL when the test
 * run has one (`npm test` starts a throwaway cluster). Without PostgreSQL, the
 * PostgreSQL half is reported as skipped with the reason, never silently dropped.
 */
export function forEachEngine(
  title: string,
  body: (env: () => TestEnv, engine: EngineName) => void,
  options: { env?: Record<string, string> } = {},
): void {
  for (const engine of ['pglite', 'postgres'] as const) {
    if (engine === 'postgres' && !testDatabaseUrl()) {
      test(
        `${title} [postgres]`,
        {
          skip: 'PostgreSQL not available: install postgresql or set KITH_TEST_DATABASE_URL',
        },
        () => undefined,
      );
      continue;
    }
    describe(`${title} [${engine}]`, () => {
      let current: TestEnv | undefined;
      before(async () => {
        current = await createTestEnv(engine, options.env);
      });
      after(async () => {
        await current?.close();
      });
      body(() => {
        if (!current) {
          throw new Error('test environment not ready');
        }
        return current;
      }, engine);
    });
  }
}
