import type { DbTarget } from '../config/db-url.js';

interface KnexTransaction {
  begin(connection: unknown): Promise<unknown>;
  /** The client bound to the transaction's connection, set before `begin` is called. */
  trxClient: { query(connection: unknown, sql: string): Promise<unknown> };
  /** As knex validated them from the transaction's options. */
  isolationLevel?: string;
  readOnly?: boolean;
}

interface KnexClient {
  transaction(...args: unknown[]): KnexTransaction;
}

/**
 * SQLite: `BEGIN IMMEDIATE` takes the write lock at once, waiting out another connection's write
 * (busy_timeout) before reading. A plain `BEGIN` reads first; when it then writes after another
 * connection committed (the service's engine thread, or `npm run sync`), SQLite refuses at once with
 * SQLITE_BUSY_SNAPSHOT, no wait helping. SQLite has no isolation levels nor read-only transactions.
 * PostgreSQL: the statement knex's own PostgreSQL transaction begins with.
 */
function beginStatement(engine: DbTarget['kind'], transaction: KnexTransaction): string {
  if (engine === 'sqlite') return 'BEGIN IMMEDIATE;';
  const mode = [transaction.isolationLevel ? `ISOLATION LEVEL ${transaction.isolationLevel}` : '', transaction.readOnly ? 'READ ONLY' : ''].join(' ').trim();
  return mode ? `BEGIN TRANSACTION ${mode};` : 'BEGIN;';
}

/**
 * Makes every transaction on this connection begin with `beginStatement`, sent straight to the
 * connection: knex's own `begin` goes through its `query`, which takes a failed BEGIN (SQLite's lock
 * held past the busy timeout; PostgreSQL's connection cut by a restart) for the end of the
 * transaction and still hands it to the caller, whose first statement then fails with "Transaction
 * query already complete", the driver's error lost, and with it the outage a write would wait out
 * (database-outage.ts). A rejected `begin` rejects the transaction with the driver's error instead,
 * nothing run in it. knex has no option for either; its transaction object calls `begin` only after
 * its constructor returns, so each one is patched as it is made.
 */
export function beginTransactionsDirectly(connection: { getKnex(): { client: unknown } }, engine: DbTarget['kind']): void {
  const client = connection.getKnex().client as KnexClient;
  const transaction = client.transaction.bind(client);
  client.transaction = (...args: unknown[]) => {
    const made = transaction(...args);
    made.begin = (connection: unknown) => made.trxClient.query(connection, beginStatement(engine, made));
    return made;
  };
}
