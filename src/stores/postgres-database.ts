import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type CopyOutOptions, copyOut } from './copy-out-stream.ts';
import type { Database, QueryOptions, QueryResult, Transaction } from './database.ts';

// int8 (counts, sequences) as JavaScript numbers, as PGlite returns them; values
// stay far below 2^53 in Kith's tables.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

const preparedNames = new Map<string, string>();

/** A prepared statement's name: one per text (the driver refuses one name for two texts). */
function preparedName(sql: string): string {
  let name = preparedNames.get(sql);
  if (name === undefined) {
    name = `kith_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    preparedNames.set(sql, name);
  }
  return name;
}

/** Runs `use` on `client` itself, or on a connection of the pool released afterwards. */
async function* withConnection<T>(
  client: pg.Pool | pg.PoolClient,
  use: (connection: pg.PoolClient) => AsyncIterable<T>,
): AsyncIterable<T> {
  const connection = client instanceof pg.Pool ? await client.connect() : client;
  let finished = false;
  try {
    yield* use(connection);
    finished = true;
  } finally {
    if (connection !== client) {
      // A consumer that stopped early left a COPY running on the connection:
      // it is closed rather than handed to the next caller mid-protocol.
      connection.release(finished ? undefined : new Error('COPY abandoned by its consumer'));
    }
  }
}

function wrap(client: pg.Pool | pg.PoolClient): Transaction {
  function copyOutChunks(
    select: string,
    options = '',
    rows: CopyOutOptions = {},
  ): AsyncIterable<Buffer> {
    return withConnection(client, (connection) =>
      copyOut(connection, `COPY (${select}) TO STDOUT ${options}`, rows),
    );
  }
  return {
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
    async query<Row>(
      sql: string,
      params: readonly unknown[] = [],
      options?: QueryOptions,
    ): Promise<QueryResult<Row>> {
      const result = await (options?.prepared
        ? client.query({ name: preparedName(sql), text: sql, values: [...params] })
        : client.query(sql, [...params]));
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async copyOut(select: string): Promise<Buffer> {
      const chunks: Buffer[] = [];
      for await (const chunk of copyOutChunks(select)) {
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    },
    copyOutChunks: (select, options) => copyOutChunks(select, options),
    copyOutCrlfChunks: (select, options) => copyOutChunks(select, options, { lineEnd: '\r\n' }),
    async copyIn(target, data, options = ''): Promise<number> {
      const connection = client instanceof pg.Pool ? await client.connect() : client;
      try {
        const stream = connection.query(copyFrom(`COPY ${target} FROM STDIN ${options}`));
        await pipeline(Buffer.isBuffer(data) ? Readable.from([data]) : Readable.from(data), stream);
        return stream.rowCount;
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
  /** Open LISTEN connections: each one's `stop`, and what to tell when the store closes. */
  const listeners = new Map<() => Promise<void>, () => void>();
  let closed = false;
  return {
    store,
    engine: 'postgres',
    query: queryable.query,
    copyOut: queryable.copyOut,
    copyOutChunks: queryable.copyOutChunks,
    copyOutCrlfChunks: queryable.copyOutCrlfChunks,
    copyIn: queryable.copyIn,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        const commit = await client.query('COMMIT');
        if (commit.command === 'ROLLBACK') {
          // A statement failed and the caller went on: PostgreSQL answers the
          // COMMIT of an aborted transaction with ROLLBACK, and nothing was
          // written. Said as PGlite says it.
          throw new Error('Transaction was rolled back instead of committed');
        }
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
    async listen(channel, onNotification, onLost) {
      if (closed) {
        throw new Error(`store ${store} is closed`);
      }
      // Not from the pool: a LISTEN lasts as long as its connection.
      const client = new pg.Client({
        connectionString: url,
        application_name: `kith:${store}:listen`,
      });
      let stopped = false;
      const stop = async () => {
        stopped = true;
        listeners.delete(stop);
        await client.end().catch(() => undefined);
      };
      const lost = () => {
        if (!stopped) {
          void stop();
          onLost();
        }
      };
      client.on('error', lost);
      client.on('end', lost);
      client.on('notification', (message) => {
        if (message.channel === channel) {
          onNotification(message.payload ?? '');
        }
      });
      listeners.set(stop, onLost);
      try {
        await client.connect();
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      } catch (error) {
        await stop();
        throw error;
      }
      if (closed) {
        await stop();
        throw new Error(`store ${store} is closed`);
      }
      return stop;
    },
    async close() {
      closed = true;
      const open = [...listeners];
      await Promise.all(open.map(([stop]) => stop()));
      for (const [, onLost] of open) {
        onLost();
      }
      await pool.end();
    },
  };
}
