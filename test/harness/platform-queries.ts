import type { Database } from '../../src/stores/database.ts';
import type { TestEnv } from './test-env.ts';

/** Counts the queries sent to `store` while `run` runs. */
async function queriesDuring(
  store: Promise<{ query: Database['query'] }>,
  run: () => Promise<unknown>,
): Promise<number> {
  const db = (await store) as { query: Database['query'] };
  const original = db.query;
  let count = 0;
  db.query = ((sql: string, params?: readonly unknown[]) => {
    count += 1;
    return original(sql, params);
  }) as Database['query'];
  try {
    await run();
  } finally {
    db.query = original;
  }
  return count;
}

/**
 * Counts the queries sent to the platform store while `run` runs: what tells a
 * request served from memory from one served by the database.
 */
export function platformQueriesDuring(env: TestEnv, run: () => Promise<unknown>) {
  return queriesDuring(env.stores.platform(), run);
}

/** Counts the queries sent to the hr store while `run` runs. */
export function hrQueriesDuring(env: TestEnv, run: () => Promise<unknown>) {
  return queriesDuring(env.stores.department('hr'), run);
}

/**
 * Retries `check` until it passes, for at most `withinMs`: what a change made by
 * another instance may take to reach this one (the store's NOTIFY round trip).
 * Returns how long it took.
 */
export async function eventually(check: () => Promise<void>, withinMs = 3_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      await check();
      return performance.now() - started;
    } catch (error) {
      if (performance.now() - started > withinMs) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
