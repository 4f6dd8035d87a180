import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/test-app.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];

const createJobBody = JSON.stringify({
  job_name: 'from-a-web-page',
  connector_type: 'S3',
  schedule: 'hourly',
  paused: true,
  connector_config: { bucket_name: 'victim-bucket' },
});
const createJobMutation = JSON.stringify({
  query: 'mutation { createJob(input: {name: "from-a-web-page", connectorType: S3, schedule: "hourly", connectorConfig: {bucketName: "victim-bucket"}}) { job { id } } }',
});

/** A page on another loopback origin (another port): what any web site the user visits could serve. */
async function startForeignSite(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>another site</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** What the page's script saw of each attempt: a readable status, or an error (opaque, blocked). */
interface Attempts {
  jsonPost: string;
  formPost: string;
  textPlainPost: string;
  graphqlTextPlain: string;
  graphqlForm: string;
  readJobs: string;
  webSocket: string;
}

/** Runs in the foreign page: every way a page can reach the API without the user's help. */
async function attack(page: Page, api: string, bodies: { rest: string; graphql: string }): Promise<Attempts> {
  return page.evaluate(
    async ({ api, bodies }) => {
      const outcome = (p: Promise<Response>) =>
        p.then(
          (r) => (r.type === 'opaque' ? 'opaque' : `status ${r.status}: ${r.headers.get('content-type') ?? ''}`),
          (e: Error) => `error: ${e.name}`,
        );
      const create = `${api}/api/v1/scheduler/create_job`;
      const webSocket = new Promise<string>((resolve) => {
        const ws = new WebSocket(`${api.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
        ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init' }));
        ws.onmessage = (m) => resolve(`message: ${String(m.data)}`);
        ws.onclose = (e) => resolve(`closed ${e.code}`);
      });
      return {
        jsonPost: await outcome(fetch(create, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies.rest })),
        formPost: await outcome(fetch(create, { method: 'POST', mode: 'no-cors', body: new URLSearchParams({ job: bodies.rest }) })),
        textPlainPost: await outcome(fetch(create, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: bodies.rest })),
        graphqlTextPlain: await outcome(fetch(`${api}/graphql`, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: bodies.graphql })),
        graphqlForm: await outcome(fetch(`${api}/graphql`, { method: 'POST', mode: 'no-cors', body: new URLSearchParams({ query: JSON.parse(bodies.graphql).query }) })),
        readJobs: await outcome(fetch(`${api}/api/v1/scheduler/list_jobs`)),
        webSocket: await webSocket,
      };
    },
    { api, bodies },
  );
}

describe.skipIf(!existsSync(CHROMIUM))('a page of another origin in a browser', () => {
  let browser: Browser;
  let site: { origin: string; server: Server };
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    site = await startForeignSite();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => site?.server.close(resolve));
  });

  it('can neither change nor read anything by default: JSON, form and text/plain POSTs, reads and WebSockets all fail, no job is created', async () => {
    await using app = await startTestApp();
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    await page.goto(site.origin);

    const seen = await attack(page, app.url, { rest: createJobBody, graphql: createJobMutation });

    expect(seen).toEqual({
      jsonPost: 'error: TypeError', // the preflight is refused
      formPost: 'opaque', // sent without a preflight: refused by the server (checked below by the rows)
      textPlainPost: 'opaque',
      graphqlTextPlain: 'opaque',
      graphqlForm: 'opaque',
      readJobs: 'error: TypeError', // no Access-Control-Allow-Origin: unreadable
      webSocket: 'closed 1006', // the upgrade is refused (403)
    });
    // The simple requests did reach the service: they were refused, not lost.
    expect(requests.filter((r) => r.startsWith('POST')).length).toBeGreaterThanOrEqual(5);
    expect(await app.services.jobs.listAll()).toEqual([]);
    await page.close();
  });

  it('an origin listed in CORS_ORIGINS can create and read jobs and subscribe; other origins still cannot', async () => {
    await using app = await startTestApp({ env: { CORS_ORIGINS: `https://other.example, ${site.origin}/` } });
    const page = await browser.newPage();
    await page.goto(site.origin);

    const seen = await attack(page, app.url, { rest: createJobBody, graphql: createJobMutation });

    expect(seen.jsonPost).toBe('status 200: application/json');
    expect(seen.readJobs).toBe('status 200: application/json');
    expect(seen.webSocket).toBe('message: {"type":"connection_ack"}');
    // Still refused for an allowed origin: bodies that do not declare JSON.
    expect([seen.formPost, seen.textPlainPost, seen.graphqlTextPlain, seen.graphqlForm]).toEqual(['opaque', 'opaque', 'opaque', 'opaque']);
    expect((await app.services.jobs.listAll()).map((job) => job.name)).toEqual(['from-a-web-page']);
    await page.close();
  });
});
