/** The start of an SQL statement, as knex puts it at the head of a driver error's message. */
const STATEMENT = /^\s*(?:insert|update|delete|select|with|create|alter|drop|pragma)\s/i;

/**
 * A database error's message without the statement knex puts before it (`insert into … values
 * (…) - SQLITE_CONSTRAINT: …`): its values may be a webhook URL's token, an object key, a prefix,
 * and the message is logged and may become a run's error. Any other message is returned as is.
 */
export function withoutStatement(message: string): string {
  if (!STATEMENT.test(message)) return message;
  const cut = message.lastIndexOf(' - ');
  return `${cut >= 0 ? message.slice(cut + 3) : 'database error'} (statement not shown)`;
}
