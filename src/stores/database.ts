/**
 * The one shape every store has, whatever the engine: embedded PGlite or a
 * PostgreSQL server. Repositories receive a `Queryable` and write plain SQL for
 * PostgreSQL 15+, identical on both engines.
 */
export interface QueryResult<Row> {
  readonly rows: Row[];
  /** Rows inserted, updated or deleted by the statement. */
  readonly rowCount: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>>;
}

export interface QueryOptions {
  /**
   * A hot statement of constant text: the engine keeps it parsed (and its plan,
   * once generic) per connection instead of parsing and planning it at every
   * call. PGlite honours it inside transactions only (pglite-database.ts).
   */
  readonly prepared?: boolean;
}

/**
 * The engine's bulk output path: `COPY (select) TO STDOUT` in text format, all of
 * its output. Exports read pages through it: on PGlite it is an order of
 * magnitude faster than a query's rows. `select` takes no parameters: the caller
 * inlines its values safely.
 */
export interface CopyOut {
  copyOut(select: string): Promise<Buffer>;
  /**
   * `COPY (select) TO STDOUT <options>` (e.g. `(FORMAT csv)`) as chunks of bytes,
   * cut at arbitrary byte boundaries. PostgreSQL streams them from the server;
   * PGlite produces the whole output before the first chunk, so a caller that
   * must stay in constant memory pages its `select`.
   */
  copyOutChunks(select: string, options?: string): AsyncIterable<Buffer>;
  /**
   * PostgreSQL only (its protocol frames each row): the same chunks with each
   * row's closing `\n` written as `\r\n`, the row end of a CSV file. A line
   * feed inside a quoted field is not a row's last byte and stays as it is.
   */
  copyOutCrlfChunks?(select: string, options?: string): AsyncIterable<Buffer>;
}

/**
 * The engine's bulk input path: `COPY target FROM STDIN <options>` fed with
 * `data`; resolves to the number of rows copied. PGlite takes the input as one
 * blob, so a caller that must stay in constant memory feeds it in pages.
 * `target` is a table with its column list, built by the caller from trusted names.
 */
export interface CopyIn {
  copyIn(target: string, data: Buffer | AsyncIterable<Buffer>, options?: string): Promise<number>;
}

/** A connection inside a transaction. */
export interface Transaction extends Queryable, CopyOut, CopyIn {
  /** Runs a script of several statements. */
  exec(sql: string): Promise<void>;
}

export type Engine = 'pglite' | 'postgres';

export interface Database extends Queryable, CopyOut, CopyIn {
  /** The store this database is, e.g. `platform`, `region_eu`, `hr`. */
  readonly store: string;
  readonly engine: Engine;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * LISTENs on `channel`: `onNotification` gets each payload NOTIFYed after its
   * transaction commits, from this process or another. On PostgreSQL a dedicated
   * connection listens. `onLost` is called once when listening ends other than by
   * `stop()`: the connection dropped (notifications may have been missed from
   * then on) or the store was closed. Resolves to `stop`.
   */
  listen(
    channel: string,
    onNotification: (payload: string) => void,
    onLost: () => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
