import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Database, QueryResult, Transaction } from './database.ts';

// int8 (counts, sequences) as JavaScript numbers, as PGlite returns them; values
// stay far below 2^53 in Kith's tables.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

function wrap(client: pg.Pool | pg.PoolClient): Transaction {
  return {
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await client.query(sql, [...params]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async copyOut(select: string): Promise<Buffer> {
      const connection = client instanceof pg.Pool ? await client.connect() : client;
      try {
        const chunks: Buffer[] = [];
        for await (const chunk of connection.query(copyTo(`COPY (${select}) TO STDOUT`))) {
          chunks.push(chunk as Buffer);
        }
        return Buffer.concat(chunks);
      } finally {
        if (connection !== client) {
          (connection as pg.PoolClient).release();
        }
      }
    },
  };
}

export interface PostgresOptions {
  /** Connections kept by this process for this store. */
  maxConnections?: number;
}

/** Connects to one store's PostgreSQL database; fails fast when it cannot. */
export async function openPostgresDatabase(
  store: string,
  url: string,
  options: PostgresOptions = {},
): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    idleTimeoutMillis: 30_000,
    application_name: `kith:${store}`,
  });
  pool.on('error', () => undefined);
  const probe = await pool.connect().catch(async (error: unknown) => {
    await pool.end();
    throw error;
  });
  probe.release();
  const queryable = wrap(pool);
  return {
    store,
    engine: 'postgres',
    query: queryable.query,
    copyOut: queryable.copyOut,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
