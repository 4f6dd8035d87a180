import type { Options } from '@mikro-orm/core';
import type { Logger } from '../config/logger.js';
import { withoutStatement } from '../config/statement-text.js';

/** knex's prefix for a connection it found lost: `Connection Error: Error: select … - write ECONNRESET`. */
const CONNECTION_ERROR = /^(Connection Error: (?:Error: )?)([\s\S]*)$/;

/** A query builder message without the statement (and its inlined values) knex may have put in it. */
export function driverMessage(message: unknown): string {
  const text = String(message);
  const match = CONNECTION_ERROR.exec(text);
  return match ? `${match[1]}${withoutStatement(match[2]!)}` : withoutStatement(text);
}

/**
 * initOrm options that send the query builder's own messages (a connection lost while the database
 * restarts) to `logger`. knex writes them with console.log otherwise: on stdout, between the JSON
 * lines of the service, into the one JSON line the CLI prints there, and with the failed statement's
 * values (a webhook URL's token, an object key) inlined.
 */
export function driverLogTo(logger: Logger): Partial<Options> {
  const to = (level: 'warn' | 'debug') => (message: unknown) => logger[level]({ detail: driverMessage(message) }, 'database driver');
  return { driverOptions: { log: { warn: to('warn'), error: to('warn'), deprecate: to('debug'), debug: to('debug') } } };
}
