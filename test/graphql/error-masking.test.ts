import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/config/logger.js';
import { JobDocument, JobsDocument } from '../generated/graphql.js';
import { gql } from '../helpers/clients.js';
import { onlyError } from './graphql-env.js';
import { closeDatabaseUnderApi, startTestApp } from '../helpers/test-app.js';

/** A pino logger whose JSON lines are kept in memory. */
function capturingLogger() {
  const lines: Array<{ level: number; msg: string; err?: { message: string } }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger('debug', stream), lines };
}

describe('error masking', () => {
  it('an unexpected failure reaches the client as "Unexpected error." and the log keeps the cause; client errors are not logged as errors', async () => {
    const { logger, lines } = capturingLogger();
    await using app = await startTestApp({ logger });

    const bad = onlyError((await gql(app, JobDocument, { id: 'nope' })).body);
    expect(bad.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);

    // The database goes away under the API. A close that waits on a connection never released
    // would otherwise show only as the test's timeout, without naming the step.
    const closing = closeDatabaseUnderApi(app).then(() => 'closed');
    expect(await Promise.race([closing, delay(20_000, 'still closing after 20 s', { ref: false })])).toBe('closed');
    const { body } = await gql(app, JobsDocument, {});
    const error = onlyError(body);
    expect(error).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' }, path: ['jobs'] });
    expect(JSON.stringify(body)).not.toMatch(/sqlite|database|connection|stack|\.ts:/i);
    const errorLines = lines.filter((l) => l.level >= 50);
    expect(errorLines).toHaveLength(1); // once, not again by yoga
    const logged = errorLines[0];
    expect(logged?.msg).toBe('unexpected GraphQL error');
    expect(logged?.err?.message).toBeTruthy();
    expect(logged?.err?.message).not.toBe('Unexpected error.');
  });
});
