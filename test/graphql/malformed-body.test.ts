import { describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { startTestApp } from '../helpers/test-app.js';

const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

/**
 * A /graphql body that is not JSON came back quoted in `extensions.originalError.message`
 * (JSON.parse's message), a secret in a mistyped mutation included. It is now yoga's plain
 * parse error, with its status and code.
 */
describe('a /graphql body that is not JSON', () => {
  it('is a 400 BAD_REQUEST that does not quote the body', async () => {
    await using app = await startTestApp();
    const body = `{"query": "mutation { updateJob }", "variables": {"secretAccessKey": "${SECRET}"} oops}`;
    const res = await http(app, 'POST', '/graphql', body, { accept: 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'POST body sent invalid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
    expect(res.text).not.toContain(SECRET);
    expect(res.text).not.toContain('oops');
  });

  it('answers 400 to a GraphQL-over-HTTP client too', async () => {
    await using app = await startTestApp();
    const res = await http(app, 'POST', '/graphql', `{"query": "${SECRET}" x}`, { accept: 'application/graphql-response+json' });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain(SECRET);
  });
});
