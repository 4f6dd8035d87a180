interface KnexTransaction {
  begin(connection: unknown): Promise<unknown>;
  query(connection: unknown, sql: string): Promise<unknown>;
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
 */
export function beginImmediate(connection: { getKnex(): { client: unknown } }): void {
  const client = connection.getKnex().client as KnexClient;
  const transaction = client.transaction.bind(client);
  client.transaction = (...args: unknown[]) => {
    const made = transaction(...args);
    made.begin = (connection: unknown) => made.query(connection, 'BEGIN IMMEDIATE;');
    return made;
  };
}
