import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { JobDocument, JobsDocument } from '../generated/graphql.js';
import { gql } from '../helpers/clients.js';
import { captureLogs } from '../helpers/logs.js';
import { onlyError } from './graphql-env.js';
import { closeDatabaseUnderApi, startTestApp } from '../helpers/test-app.js';

describe('error masking', () => {
  it('an unexpected failure reaches the client as "Unexpected error." and the log keeps the cause; client errors are not logged as errors', async () => {
    const { logger, lines } = captureLogs();
    await using app = await startTestApp({ logger });

    const bad = onlyError((await gql(app, JobDocument, { id: 'nope' })).body);
    expect(bad.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);

    // The database goes away under the API. A close that waits on a connection never released
    // would otherwise show only as the test's timeout, without naming the step.
    const closing = closeDatabaseUnderApi(app).then(() => 'closed');
    expect(await Promise.race([closing, delay(20_000, 'still closing after 20 s', { ref: false })])).toBe('closed');
    const { body } = await gql(app, JobsDocument, {});
    const error = onlyError(body);
    expect(error).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' }, path: ['jobs'] });
    expect(JSON.stringify(body)).not.toMatch(/sqlite|database|connection|stack|\.ts:/i);
    const errorLines = lines.filter((l) => Number(l.level) >= 50);
    expect(errorLines).toHaveLength(1); // once, not again by yoga
    const logged = errorLines[0] as { msg?: string; err?: { message?: string } } | undefined;
    expect(logged?.msg).toBe('unexpected GraphQL error');
    expect(logged?.err?.message).toBeTruthy();
    expect(logged?.err?.message).not.toBe('Unexpected error.');
  });
});
