import type { Knex } from '@mikro-orm/knex';

/** What is used here of a better-sqlite3 connection and its statements. */
interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
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
