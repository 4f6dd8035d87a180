interface KnexTransaction {
  begin(connection: unknown): Promise<unknown>;
  /** The client bound to the transaction's connection, set before `begin` is called. */
  trxClient: { query(connection: unknown, sql: string): Promise<unknown> };
}

interface KnexClient {
  transaction(...args: unknown[]): KnexTransaction;
}

/**
 * Makes every transaction on this SQLite connection start with `BEGIN IMMEDIATE`: it takes the
 * write lock at once, waiting out another connection's write (busy_timeout) before reading. A plain
 * `BEGIN` reads first; when it then writes after another connection committed (the service's
 * engine thread, or `npm run sync`), SQLite refuses at once with SQLITE_BUSY_SNAPSHOT, no wait
 * helping. knex starts transactions with a plain `BEGIN` and has no option for it; its transaction
 * object calls `begin` only after its constructor returns, so each one is patched as it is made.
 * The statement goes straight to the connection: knex's own `query` takes a failed BEGIN (the lock
 * held past the busy timeout) for the end of the transaction and still hands it to the caller, whose
 * first statement then fails with "Transaction query already complete", the SQLITE_BUSY lost. A
 * rejected `begin` rejects the transaction with the driver's error instead, nothing run in it.
 */
export function beginImmediate(connection: { getKnex(): { client: unknown } }): void {
  const client = connection.getKnex().client as KnexClient;
  const transaction = client.transaction.bind(client);
  client.transaction = (...args: unknown[]) => {
    const made = transaction(...args);
    made.begin = (connection: unknown) => made.trxClient.query(connection, 'BEGIN IMMEDIATE;');
    return made;
  };
}
