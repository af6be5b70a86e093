import { PGlite, parse, protocol } from '@electric-sql/pglite';
import type { Database, QueryOptions, QueryResult, Transaction } from './database.ts';
import { vacuumWhereNeeded } from './vacuum.ts';

interface PGliteQueryable {
  query<Row>(
    sql: string,
    params?: unknown[],
    options?: { blob?: Blob },
  ): Promise<{ rows: Row[]; affectedRows?: number; blob?: Blob }>;
  exec(sql: string): Promise<unknown>;
}

/**
 * The bytes of COPY's Blob, which PGlite makes of the device's writes (a few KB
 * each, thousands a page). `arrayBuffer()` walks those parts at about the COPY's
 * own cost; the stream's reader hands each part over as it is, and one native
 * concatenation joins them.
 */
async function blobBytes(blob: Blob): Promise<Buffer> {
  const reader = blob.stream().getReader();
  const parts: Buffer[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, blob.size);
}

/**
 * `prepared` statements on PGlite: each text is parsed once per store into a
 * named statement (kept by the session until the store closes), and a call is
 * then ONE protocol exchange (Bind, Describe, Execute, Sync) instead of
 * PGlite's six, without the parse, analysis and planning every unnamed
 * statement pays. Only inside a transaction, which already holds the store.
 */
class PreparedStatements {
  private readonly statements = new Map<string, Promise<{ name: string; types: number[] }>>();
  /** Names are never reused, even of a text that failed to parse. */
  private named = 0;

  constructor(private readonly pg: PGlite) {}

  async query<Row>(sql: string, params: readonly unknown[]): Promise<QueryResult<Row>> {
    const { name, types } = await this.statement(sql);
    const values = params.map((value, i) => {
      if (value === null || value === undefined) {
        return null;
      }
      const serializer = this.pg.serializers[types[i] as number];
      return serializer ? serializer(value) : String(value);
    });
    const message = concat([
      protocol.serialize.bind({ statement: name, values }),
      protocol.serialize.describe({ type: 'P' }),
      protocol.serialize.execute({}),
      protocol.serialize.sync(),
    ]);
    const { messages } = await this.pg.runExclusive(() =>
      this.pg.execProtocol(message, { syncToFs: false }),
    );
    const result = parse.parseResults(messages, this.pg.parsers)[0];
    return {
      rows: (result?.rows ?? []) as Row[],
      rowCount: result?.affectedRows ?? result?.rows.length ?? 0,
    };
  }

  private statement(sql: string): Promise<{ name: string; types: number[] }> {
    let statement = this.statements.get(sql);
    if (!statement) {
      this.named += 1;
      const name = `kith_${this.named}`;
      statement = this.pg
        .runExclusive(() =>
          this.pg.execProtocol(
            concat([
              protocol.serialize.parse({ name, text: sql }),
              protocol.serialize.describe({ type: 'S', name }),
              protocol.serialize.sync(),
            ]),
            { syncToFs: false },
          ),
        )
        .then(({ messages }) => ({ name, types: parse.parseDescribeStatementResults(messages) }));
      // A text that does not parse is not kept: the next call reports it again.
      statement.catch(() => this.statements.delete(sql));
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

function wrap(target: PGliteQueryable, prepared?: PreparedStatements): Transaction {
  // PGlite's COPY reads from and writes to its in-memory '/dev/blob' device.
  async function copyOutBlob(select: string, options: string): Promise<Buffer> {
    const result = await target.query(`COPY (${select}) TO '/dev/blob' ${options}`);
    return result.blob ? await blobBytes(result.blob) : Buffer.alloc(0);
  }
  return {
    async exec(sql: string): Promise<void> {
      await target.exec(sql);
    },
    async query<Row>(
      sql: string,
      params: readonly unknown[] = [],
      options?: QueryOptions,
    ): Promise<QueryResult<Row>> {
      if (options?.prepared && prepared) {
        return prepared.query<Row>(sql, params);
      }
      const result = await target.query<Row>(sql, [...params]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    copyOut: (select) => copyOutBlob(select, ''),
    async *copyOutChunks(select, options = '') {
      const output = await copyOutBlob(select, options);
      if (output.length > 0) {
        yield output;
      }
    },
    async copyIn(copyTarget, data, options = ''): Promise<number> {
      const parts: Buffer[] = [];
      if (Buffer.isBuffer(data)) {
        parts.push(data);
      } else {
        for await (const chunk of data) {
          parts.push(chunk);
        }
      }
      const blob = new Blob(parts);
      const result = await target.query(`COPY ${copyTarget} FROM '/dev/blob' ${options}`, [], {
        blob,
      });
      return result.affectedRows ?? 0;
    },
  };
}

/** How often an open embedded store looks for tables to vacuum: PGlite has no autovacuum. */
const vacuumIntervalMs = 5 * 60 * 1000;

/** Opens (creating when missing) the PGlite store in `directory`. */
export async function openPGliteDatabase(store: string, directory: string): Promise<Database> {
  const pg = await PGlite.create(directory);
  const queryable = wrap(pg);
  const prepared = new PreparedStatements(pg);
  const timer = setInterval(() => {
    void vacuumWhereNeeded(database).catch(() => undefined);
  }, vacuumIntervalMs);
  timer.unref();
  const listeners = new Set<() => void>();
  const database: Database = {
    store,
    engine: 'pglite',
    query: queryable.query,
    copyOut: queryable.copyOut,
    copyOutChunks: queryable.copyOutChunks,
    copyIn: queryable.copyIn,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx, prepared))),
    exec: async (sql) => {
      await pg.exec(sql);
    },
    // One process holds the embedded store: notifications come from this process
    // only, delivered before the committing query resolves, and are never lost.
    listen: async (channel, onNotification, onLost) => {
      const unlisten = await pg.listen(channel, onNotification);
      listeners.add(onLost);
      return async () => {
        listeners.delete(onLost);
        if (!pg.closed) {
          await unlisten();
        }
      };
    },
    close: async () => {
      clearInterval(timer);
      const lost = [...listeners];
      listeners.clear();
      for (const onLost of lost) {
        onLost();
      }
      if (!pg.closed) {
        await vacuumWhereNeeded(database).catch(() => undefined);
        await pg.close();
      }
    },
  };
  return database;
}
