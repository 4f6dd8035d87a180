import { expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { captureLogs } from '../helpers/logs.js';
import { startTestApp } from '../helpers/test-app.js';

const TOKEN = 'parameters-token-0123456789abcdef';
const QUERY = encodeURIComponent('query ($first: Int) { jobs(first: $first) { totalCount } }');

/**
 * A GET /graphql whose `variables` (or `extensions`) query parameter is not JSON is the client's
 * mistake, like a POST body that is not JSON (400 BAD_REQUEST, use-plain-body-errors.ts). It was
 * answered 500 INTERNAL_SERVER_ERROR and logged at error level as an unexpected error, with a stack
 * and JSON.parse's message, which quotes the parameter's text.
 */
it.each([
  ['variables', 'notjson-QUOTEDSECRET'],
  ['variables', '{"first": 1'],
  ['extensions', 'notjson-QUOTEDSECRET'],
])('GET /graphql with a malformed %s parameter is a 400, not an unexpected error', async (param, text) => {
  const { logger, raw } = captureLogs();
  await using app = await startTestApp({ env: { API_TOKEN: TOKEN }, logger });
  const response = await http(app, 'GET', `/graphql?query=${QUERY}&${param}=${encodeURIComponent(text)}`, undefined, {
    authorization: `Bearer ${TOKEN}`,
    accept: 'application/graphql-response+json',
  });
  expect(response.status, response.text).toBe(400);
  expect(response.body.errors?.[0]?.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
  expect(raw.join('')).not.toContain('QUOTEDSECRET');
  expect(raw.filter((line) => line.includes('"level":50')), 'error-level log lines').toEqual([]);
});
