import { PGlite } from '@electric-sql/pglite';
import type { Database, QueryResult, Transaction } from './database.ts';
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

function wrap(target: PGliteQueryable): Transaction {
  // PGlite's COPY reads from and writes to its in-memory '/dev/blob' device.
  async function copyOutBlob(select: string, options: string): Promise<Buffer> {
    const result = await target.query(`COPY (${select}) TO '/dev/blob' ${options}`);
    return result.blob ? await blobBytes(result.blob) : Buffer.alloc(0);
  }
  return {
    async exec(sql: string): Promise<void> {
      await target.exec(sql);
    },
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
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
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
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
