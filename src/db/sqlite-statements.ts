import type { Knex } from '@mikro-orm/knex';

/** What is used here of a better-sqlite3 connection and its statements. */
interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  all(...params: unknown[]): unknown[];
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}

/** Prepared statements by connection, then by SQL text (a closed connection takes its own with it). */
const prepared = new WeakMap<SqliteConnection, Map<string, SqliteStatement>>();

function statementOf(connection: SqliteConnection, sql: string): SqliteStatement {
  let byText = prepared.get(connection);
  if (!byText) prepared.set(connection, (byText = new Map()));
  let statement = byText.get(sql);
  if (!statement) byText.set(sql, (statement = connection.prepare(sql)));
  return statement;
}

/**
 * SQLite only: runs `sql` once per parameter list of `rows` inside `transaction`, through one
 * statement prepared once per connection, and returns how many rows each run changed. knex prepares
 * every query anew and binds through its own layers: for the thousands of small rows of a sync that
 * cost several times the statements themselves (figures in the README's benchmark section).
 */
export async function runPerRow(transaction: Knex.Transaction, sql: string, rows: unknown[][]): Promise<number[]> {
  // A transaction's client hands out the one connection the transaction holds (nothing is taken from the pool).
  const client = transaction.client as unknown as { acquireConnection(): Promise<SqliteConnection> };
  const statement = statementOf(await client.acquireConnection(), sql);
  return rows.map((params) => statement.run(...params).changes);
}

/**
 * SQLite only: the rows `sql` selects, through one statement prepared once per connection, on a
 * connection taken from knex's pool (waiting, as knex's own queries do, while a transaction holds it).
 */
export function selectAll<T>(knex: Knex, sql: string, params: unknown[]): Promise<T[]> {
  return withPooledConnection(knex, (connection) => statementOf(connection, sql).all(...params) as T[]);
}

/** SQLite only: runs `sql` once, as `selectAll` does, and returns how many rows it changed. */
export function runOnce(knex: Knex, sql: string, params: unknown[]): Promise<number> {
  return withPooledConnection(knex, (connection) => statementOf(connection, sql).run(...params).changes);
}

async function withPooledConnection<T>(knex: Knex, use: (connection: SqliteConnection) => T): Promise<T> {
  const client = knex.client as unknown as { acquireConnection(): Promise<SqliteConnection>; releaseConnection(connection: SqliteConnection): Promise<unknown> };
  const connection = await client.acquireConnection();
  try {
    return use(connection);
  } finally {
    await client.releaseConnection(connection);
  }
}
