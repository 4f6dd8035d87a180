/** The dashboard and GraphiQL where users' data or actions are unusual: each test asserts what a user sees. */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { http } from '../helpers/clients.js';
import { startTestApp } from '../helpers/test-app.js';
import { createPausedJob, triggerJob } from '../live/live-env.js';
import { enterGraphiqlToken, hasChromium, useDashboardBrowser, watchedPage } from './browser-page.js';
import { useSharedLiveEnv } from './shared-live-env.js';

const TOKEN = 'test-token-0123456789abcdef';

/**
 * Whether the characters of each text node under `selector` are laid out left to right in their
 * logical order (comparing characters on the same line), i.e. the text reads as it is.
 * Bidi control characters themselves are skipped.
 */
async function readsInOrder(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).evaluateAll((elements) => {
    const reversed: string[] = [];
    for (const element of elements) {
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent ?? '';
        let previous: DOMRect | null = null;
        for (let i = 0; i < text.length; i++) {
          if (/[\s\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(text[i]!)) continue;
          const range = document.createRange();
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const rect = range.getBoundingClientRect();
          if (rect.width === 0) continue;
          if (previous && Math.abs(previous.top - rect.top) < 2 && rect.left < previous.left - 0.5) {
            reversed.push(text);
            break;
          }
          previous = rect;
        }
      }
    }
    return reversed;
  });
}

/** A page script: marks the window once GraphiQL stores its tabs while its response pane shows a result. */
function noteTabsStoredAfterResponse(): void {
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key: string, value: string) {
    if (key === 'graphiql:tabState' && document.querySelector('.graphiql-response')?.textContent?.includes('totalCount')) {
      Object.assign(window, { tabsStoredAfterResponse: true });
    }
    return setItem.call(this, key, value);
  };
}

const browser = useDashboardBrowser();

describe.skipIf(!hasChromium)('the dashboard and GraphiQL at their edges', () => {
  /** One app and s3rver for the tests that run syncs. */
  const shared = useSharedLiveEnv();

  it('a job deleted while its page is open: the page says it is gone (not a live job stuck on "reconnecting…")', async () => {
    await using app = await startTestApp();
    const jobId = await createPausedJob(app, 'bkt', 'gone/');
    const { page, consoleErrors } = await watchedPage(browser());
    await page.goto(`${app.url}/#/jobs/${jobId}`);
    await page.getByText('connected').waitFor();

    // Someone else (another tab, the REST API) deletes it.
    expect((await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: jobId })).status).toBe(200);

    await page.getByRole('heading', { name: 'Job not found' }).waitFor({ timeout: 10_000 });
    const shown = await page.locator('main').innerText();
    // Observed: the job's facts and its Trigger/Pause/Delete buttons stay, and the live label says "reconnecting…" for ever.
    expect(shown).not.toContain('reconnecting…');
    expect(shown).toContain('Job not found');
    expect(await page.getByRole('button', { name: 'Trigger' }).count()).toBe(0);
    // And the dedicated "Job not found" view is what a reload shows too (not "Could not load the job: …").
    await page.reload();
    await page.getByRole('heading', { name: 'Job not found' }).waitFor({ timeout: 5_000 });
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('a job deleted elsewhere leaves the jobs list when the user comes back to the tab', async () => {
    await using app = await startTestApp();
    await createPausedJob(app, 'bkt', 'kept/');
    const goneId = await createPausedJob(app, 'bkt', 'elsewhere/');
    const { page, consoleErrors } = await watchedPage(browser());
    await page.goto(`${app.url}/`);
    const gone = page.getByRole('link', { name: 'job elsewhere/' });
    await gone.waitFor();

    // Deleted in another tab or through the REST API: the all-jobs progress stream carries no event for it.
    expect((await http(app, 'DELETE', '/api/v1/scheduler/delete_job', { job_id: goneId })).status).toBe(200);
    // The user comes back to this tab (the window is focused again).
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));

    await gone.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await page.getByRole('link', { name: 'job kept/' }).count()).toBe(1);
    expect(await page.getByRole('heading', { name: /^Jobs/ }).innerText()).toBe('Jobs (1)');
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('an S3 key holding a bidi override neither disguises itself nor reverses the failure reason shown beside it', async () => {
    const env = shared();
    env.proxy.setRule((req) => (req.method === 'GET' && req.key.includes('denied') ? { kind: 'status', status: 403, code: 'AccessDenied' } : undefined));
    // Displayed naively, "invoice-\u202Efdp.exe" reads "invoice-exe.pdf".
    await env.s3.putObjects([
      ['bidi/invoice-\u202Efdp.exe', 'MZ'],
      ['bidi/denied-\u202Etxt.md', 'x'],
    ]);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'bidi/');
    const { page, consoleErrors } = await watchedPage(browser());
    await page.goto(`${env.app.url}/#/jobs/${jobId}`);
    await page.getByText('connected').waitFor();
    await page.getByRole('button', { name: 'Trigger' }).click();
    await page.locator('.run-end').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('table.objects tbody tr').count(), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => page.locator('table.runs').innerText(), { timeout: 10_000 }).toContain('1 failed');

    // Every key, path and failure reason on the page reads in its own order.
    const reversed = [
      ...(await readsInOrder(page, '.failures li')),
      ...(await readsInOrder(page, '.run-end')),
      ...(await readsInOrder(page, 'table.runs td[data-label="Errors"]')),
      ...(await readsInOrder(page, 'table.objects td[data-label="Key"]')),
      ...(await readsInOrder(page, 'table.objects td[data-label="Local path"]')),
    ];
    expect(reversed).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('a job name holding a bidi override is shown with the override as an escape, on the list and on its page', async () => {
    await using app = await startTestApp();
    // Displayed naively, "inv\u202Efdp.exe" reads "invexe.pdf".
    const job = await app.services.jobs.create({ name: 'inv\u202Efdp.exe', connectorType: 'S3', schedule: 'daily', paused: true, connectorConfig: { bucketName: 'bkt' } });
    const { page, consoleErrors } = await watchedPage(browser());
    await page.goto(`${app.url}/`);
    await expect.poll(() => page.locator('body').innerText(), { timeout: 10_000 }).toContain('inv<U+202E>fdp.exe');
    await page.goto(`${app.url}/#/jobs/${job.id}`);
    await page.getByText('connected').waitFor();
    await expect.poll(() => page.locator('h1, h2').allInnerTexts(), { timeout: 10_000 }).toContainEqual(expect.stringContaining('inv<U+202E>fdp.exe'));
    expect(await page.locator('body').innerText()).not.toContain('\u202E');
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('a double-click on "Next page" moves one page, and the page number says which page is shown', async () => {
    await using app = await startTestApp();
    for (let i = 0; i < 25; i++) await createPausedJob(app, 'bkt', `p${String(i).padStart(2, '0')}/`);
    const { page, consoleErrors } = await watchedPage(browser());
    await page.goto(`${app.url}/`);
    await page.getByRole('link', { name: 'job p00/' }).waitFor();
    // 20 a page, oldest first: page n starts with job number 20 × (n − 1).
    const shown = async () => ({
      page: Number(/Page (\d+)/.exec(await page.locator('nav[aria-label="Jobs pages"] span').innerText())?.[1]),
      first: await page.locator('table.jobs tbody tr td:first-child').first().innerText(),
    });
    const pageStart = (n: number) => `job p${String(20 * (n - 1)).padStart(2, '0')}/`;
    await page.getByRole('button', { name: 'Next page' }).dblclick();
    // Observed: "Page 3" above the rows of page 2 (the second click pushed page 1's end cursor again).
    await expect.poll(shown, { timeout: 5_000 }).toEqual({ page: 2, first: pageStart(2) });
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(shown, { timeout: 5_000 }).toEqual({ page: 1, first: pageStart(1) });
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it("a key-prefix filter the API refuses shows its error without the previous filter's rows and count", async () => {
    const env = shared();
    await env.s3.putObjects([
      ['kp/a.txt', 'a\n'],
      ['kp/b.txt', 'b\n'],
    ]);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'kp/');
    await triggerJob(env.app, jobId);
    await expect.poll(async () => (await env.app.services.runs.list(jobId, { first: 1 })).nodes[0]?.status, { timeout: 10_000 }).toBe('SUCCEEDED');
    const { page } = await watchedPage(browser());
    await page.goto(`${env.app.url}/#/jobs/${jobId}`);
    await expect.poll(() => page.locator('table.objects tbody tr').count()).toBe(2);
    await page.getByLabel('Key prefix').fill('k'.repeat(1025));
    await page.getByRole('button', { name: 'Filter' }).click();
    const section = page.locator('section[aria-labelledby="objects-title"]');
    await section.getByRole('alert').filter({ hasText: 'keyPrefix must be at most 1024 bytes' }).waitFor({ timeout: 5_000 });
    // Observed: the error above the two rows of the unfiltered list, the heading still "Objects (2)".
    expect(await page.locator('table.objects tbody tr').count()).toBe(0);
    expect(await page.locator('#objects-title').innerText()).toBe('Objects');
    await page.close();
  });

  it('a malformed job address (bad percent-escape) still shows the dashboard, not a blank page', async () => {
    await using app = await startTestApp();
    const { page, consoleErrors } = await watchedPage(browser());
    await page.goto(`${app.url}/#/jobs/%E0%A4%A`);
    await page.getByRole('link', { name: 'Jobs' }).waitFor({ timeout: 5_000 });
    // Observed: an empty <div id="app"> and "URIError: URI malformed".
    expect(await page.getByRole('link', { name: 'Jobs' }).count()).toBe(1);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it("a request the service refuses before GraphQL (413) shows the service's message, not \"HTTP 413\"", async () => {
    await using app = await startTestApp();
    const { page } = await watchedPage(browser());
    await page.goto(`${app.url}/`);
    await page.getByText('No jobs yet').waitFor();
    // A large paste into a field: the body is over the 1 MiB limit.
    await page.getByLabel('Name').fill('n'.repeat(1_100_000));
    await page.getByLabel('Bucket').fill('some-bucket');
    await page.getByRole('button', { name: 'Create job' }).click();
    const error = page.locator('form.create-job p.error');
    await error.waitFor();
    expect(await error.innerText()).toContain('Request body too large');
    await page.close();
  });

  it('with API_TOKEN, a first visit asks for the token before any request: no refused request in the console', async () => {
    await using app = await startTestApp({ env: { API_TOKEN: TOKEN } });
    await createPausedJob(app, 'token-bucket', 'first/', { authorization: `Bearer ${TOKEN}` });
    const { page, consoleErrors, requests } = await watchedPage(browser());
    await page.goto(`${app.url}/`);
    await page.getByLabel('API token').fill(TOKEN);
    // Observed: "Failed to load resource: the server responded with a status of 401" before the prompt.
    expect(consoleErrors).toEqual([]);
    expect(requests.filter((r) => r.url.endsWith('/graphql'))).toEqual([]);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.getByRole('link', { name: 'job first/' }).waitFor();
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('a token that cannot travel in a header (non-ASCII) is refused at the prompt, not reported as "The service cannot be reached"', async () => {
    await using app = await startTestApp({ env: { API_TOKEN: TOKEN } });
    const { page } = await watchedPage(browser());
    await page.goto(`${app.url}/`);
    await page.getByLabel('API token').fill('test—token-0123456789abcdef');
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.locator('#api-token-error').waitFor({ timeout: 5_000 });
    const text = await page.locator('main').innerText();
    // Observed: the prompt is gone, the bad token kept in sessionStorage, and the jobs page says the service is unreachable.
    expect(text).not.toContain('The service cannot be reached');
    expect(await page.getByLabel('API token').count()).toBe(1);
    expect(await page.locator('#api-token-error').count()).toBe(1);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.close();
  });

  it('GraphiQL does not write the API token to localStorage', async () => {
    await using app = await startTestApp({ env: { API_TOKEN: TOKEN } });
    const { page } = await watchedPage(browser(), { width: 1400, height: 900 });
    await page.addInitScript(noteTabsStoredAfterResponse);
    await page.goto(`${app.graphqlUrl}?query=${encodeURIComponent('{ jobs { totalCount } }')}`);
    await page.locator('.graphiql-execute-button').waitFor({ timeout: 30_000 });
    await enterGraphiqlToken(page, TOKEN);
    await page.click('.graphiql-execute-button');
    await expect.poll(() => page.locator('.graphiql-response').innerText(), { timeout: 10_000 }).toContain('totalCount');
    // GraphiQL stores its tabs a moment after each change: once it has since the response showed,
    // what the edits before it (the Headers tab) would store is stored.
    await page.waitForFunction(() => 'tabsStoredAfterResponse' in window, undefined, { timeout: 10_000 });
    const local = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    // Observed: graphiql:tabState (and graphiql:headers) hold "Bearer <token>", kept after the browser closes.
    expect(local).not.toContain(TOKEN);
    await page.close();
  });
});
