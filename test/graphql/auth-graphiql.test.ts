import { describe, expect, it } from 'vitest';
import { JobsDocument } from '../generated/graphql.js';
import { gql } from '../helpers/clients.js';
import { onlyError, startGraphqlApp, TOKEN } from './graphql-env.js';

const UNAUTHENTICATED = { message: 'Missing or invalid bearer token', extensions: { code: 'UNAUTHENTICATED' } };

describe('bearer token on GraphQL over HTTP', () => {
  it('with API_TOKEN set: no or wrong token → 401 UNAUTHENTICATED; the right one works', async () => {
    await using api = await startGraphqlApp({ API_TOKEN: TOKEN });
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }];
    for (const headers of attempts) {
      const { status, body } = await gql(api, JobsDocument, {}, headers);
      expect(status).toBe(401);
      expect(onlyError(body)).toMatchObject(UNAUTHENTICATED);
      expect(body).not.toHaveProperty('data');
    }
    // Refused before parsing: an invalid document gets the same 401, not a validation error.
    expect((await gql(api, '{ nope }')).status).toBe(401);
    const get = await fetch(`${api.graphqlUrl}?query=${encodeURIComponent('{ jobs { totalCount } }')}`, { headers: { accept: 'application/json' } });
    expect(get.status).toBe(401);

    const ok = await gql(api, JobsDocument, {}, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ data: { jobs: expect.objectContaining({ totalCount: 0 }) } });
  });

  it('without API_TOKEN: requests need no header', async () => {
    await using api = await startGraphqlApp();
    const { status, body } = await gql(api, JobsDocument, {});
    expect(status).toBe(200);
    expect(body.data?.jobs.totalCount).toBe(0);
  });
});

describe('GraphiQL', () => {
  it('is served for Accept: text/html, with every asset inline (no external script or stylesheet)', async () => {
    await using api = await startGraphqlApp({ API_TOKEN: TOKEN });
    const response = await fetch(api.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('<title>data-sync-scheduler</title>');
    expect(html).toMatch(/<script[^>]*>/);
    const external = [...html.matchAll(/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?((?:https?:)?\/\/[^"'\s>]+)/gi)].map((m) => m[1]);
    expect(external).toEqual([]);
    expect(html).not.toMatch(/@import\s+(?:url\()?["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/\bimport\(\s*["'](?:https?:)?\/\//);
    expect(html).not.toMatch(/unpkg\.com|cdn\.jsdelivr\.net|cdnjs/);
  });
});
