import type { Database } from '../../src/stores/database.ts';
import type { TestEnv } from './test-env.ts';

/**
 * Counts the queries sent to the platform store while `run` runs: what tells a
 * request served from memory from one served by the database.
 */
export async function platformQueriesDuring(env: TestEnv, run: () => Promise<unknown>) {
  const db = (await env.stores.platform()) as { query: Database['query'] };
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
