import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { seededBytes } from '../helpers/files.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { CHUNK_SIZE, createPausedJob, startLiveEnv } from '../live/live-env.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Every URL the page asked for that is neither loopback nor page-local (blob:, data:). */
function nonLoopback(urls: string[]): string[] {
  return urls.filter((url) => {
    const { protocol, hostname } = new URL(url);
    return !(protocol === 'blob:' || protocol === 'data:' || LOOPBACK.has(hostname));
  });
}

/** The result pane's text (Monaco renders spaces as U+00A0). */
const resultText = (page: Page) => page.locator('.graphiql-response').innerText().then((text) => text.replace(/\u00a0/g, ' '));

/** Opens GraphiQL with `query` in the editor (its `?query=` parameter), waits for `field` to show, and runs it. */
async function runInGraphiql(page: Page, url: string, query: string, field: string): Promise<void> {
  await page.goto(`${url}?query=${encodeURIComponent(query)}`);
  await page.locator('.graphiql-query-editor').getByText(field).first().waitFor({ timeout: 30_000 });
  await page.locator('.graphiql-execute-button').click();
}

/** Replaces the editor's query by typing `query` over it, waits for `field` to show, and runs it. */
async function typeAndRun(page: Page, query: string, field: string): Promise<void> {
  await page.locator('.graphiql-query-editor').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(query);
  await page.locator('.graphiql-query-editor').getByText(field).first().waitFor();
  await page.locator('.graphiql-execute-button').click();
}

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/browser/graphiql.test.ts SKIPPED: ${CHROMIUM} is not installed (CI installs it in .ci/run)`);
const title = hasChromium
  ? 'GraphiQL at /graphql runs a jobs query, a triggerJob mutation and a syncProgress subscription that shows the sync, with no request off the machine'
  : `GraphiQL in a browser: SKIPPED because ${CHROMIUM} is not installed (CI installs it in .ci/run)`;

describe('GraphiQL in headless Chromium', () => {
  it.skipIf(!hasChromium)(title, async () => {
    let proxy: FaultProxy | undefined;
    // Every ranged GET waits 200 ms: the sync takes seconds, long enough to watch in the page.
    await using env = await startLiveEnv({
      env: { SYNC_CONCURRENCY: '1' },
      s3Endpoint: async (s3) => {
        proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
        proxy.setRule((req) => (req.method === 'GET' && req.key !== '' ? { kind: 'latency', ms: 200 } : undefined));
        return proxy.endpoint;
      },
    });
    await using _proxy = { [Symbol.asyncDispose]: () => proxy!.stop() };
    await env.s3.putObjects([
      ['demo/large.bin', seededBytes(48 * CHUNK_SIZE, 7)],
      ['demo/readme.txt', 'hello from the browser test\n'],
    ]);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'demo/');

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    await using _browser = { [Symbol.asyncDispose]: () => browser.close() };
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('websocket', (socket) => requested.push(socket.url()));
    const refused: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) refused.push(message.text());
    });
    await mkdir(ARTIFACTS, { recursive: true });

    await runInGraphiql(page, env.app.graphqlUrl, '{ jobs(first: 5) { totalCount edges { node { id name status } } } }', 'jobs');
    await expect.poll(() => resultText(page), { timeout: 15_000 }).toContain(`"id": "${jobId}"`);
    expect(await resultText(page)).toContain('"name": "job demo/"');

    await page.screenshot({ path: join(ARTIFACTS, 'graphiql-query.png') });

    const subscription = `subscription { syncProgress(jobId: "${jobId}") { kind objectKey bytesTransferred objectSize status runStatus at } }`;
    // Typed over the query, as a user would: a page load of GraphiQL is seconds of CPU.
    await typeAndRun(page, subscription, 'syncProgress');
    // The run is started from GraphiQL in a second browser tab while the first one keeps its
    // subscription open. GraphiQL shows the latest event; the throttled sync lasts seconds, so
    // CHUNK events of the large object show up.
    const second = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    second.on('request', (request) => requested.push(request.url()));
    second.on('websocket', (socket) => requested.push(socket.url()));
    await runInGraphiql(second, env.app.graphqlUrl, `mutation { triggerJob(id: "${jobId}") { run { id status } } }`, 'triggerJob');
    await expect.poll(() => resultText(second), { timeout: 15_000 }).toContain('"status": "RUNNING"');
    await expect.poll(() => resultText(page), { timeout: 20_000 }).toMatch(/"kind": "CHUNK",\s*"objectKey": "demo\/large.bin"/);
    await page.screenshot({ path: join(ARTIFACTS, 'graphiql-subscription-chunk.png') });
    await expect.poll(() => resultText(page), { timeout: 30_000 }).toContain('"kind": "RUN_FINISHED"');
    expect(await resultText(page)).toContain('"runStatus": "SUCCEEDED"');
    await page.screenshot({ path: join(ARTIFACTS, 'graphiql-subscription-finished.png') });

    expect(requested.some((url) => url.startsWith('ws://127.0.0.1'))).toBe(true);
    expect(nonLoopback(requested)).toEqual([]);
    // The page's policy lets only its own inline scripts run, and GraphiQL needs nothing it forbids.
    const policy = (await page.request.get(env.app.graphqlUrl, { headers: { accept: 'text/html' } })).headers()['content-security-policy'];
    expect(policy).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')+;/);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(refused).toEqual([]);
  });
});
