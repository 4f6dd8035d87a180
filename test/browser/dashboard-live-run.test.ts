/** The live panel during real (throttled) syncs, compared with the run row in the database. */
import type { Page, Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { gql, gqlData } from '../helpers/clients.js';
import { seededBytes } from '../helpers/files.js';
import type { FaultRule } from '../helpers/fault-proxy.js';
import { CHUNK_SIZE, createPausedJob, triggerJob, type LiveEnv } from '../live/live-env.js';
import { cuttableSockets, hasChromium, useDashboardBrowser, watchedPage } from './browser-page.js';
import { useSharedLiveEnv } from './shared-live-env.js';

const browser = useDashboardBrowser();
/** 4 chunks a second: a run of a few MiB lasts long enough to open its page and act on it. */
const SLOW = { kind: 'throttle', ms: 5, bytesPerSecond: 256 * 1024 } as const;
const slowObjects: FaultRule = (req) => (req.method === 'GET' && req.key.endsWith('.bin') ? SLOW : undefined);

const overall = (page: Page) =>
  page.locator('#overall-progress').evaluate((el) => ({ value: (el as HTMLProgressElement).value, max: (el as HTMLProgressElement).max }));

/** Records every heading the live panel shows ("Run #2: running"), however briefly, from now on. */
async function recordRunHeadings(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen = new Set<string>();
    const record = () => {
      const heading = document.querySelector('.live .run-progress > p')?.textContent;
      if (heading) seen.add(heading);
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
    record();
    Object.assign(window, { runHeadings: seen });
  });
  return () => page.evaluate(() => [...(window as unknown as { runHeadings: Set<string> }).runHeadings]);
}

/** Records every key the in-flight list shows, however briefly, from now on. */
async function recordInFlightKeys(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen = new Set<string>();
    const record = () => document.querySelectorAll('.in-flight .key').forEach((key) => seen.add(key.textContent ?? ''));
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
    record();
    Object.assign(window, { inFlightKeys: seen });
  });
  return () => page.evaluate(() => [...(window as unknown as { inFlightKeys: Set<string> }).inFlightKeys]);
}

/** Resolves when the page has shown the answer of its next re-read of the run row. */
async function nextRowShown(page: Page): Promise<void> {
  const response = await page.waitForResponse((r) => r.request().postData()?.includes('query DashboardLatestRun') ?? false, { timeout: 10_000 });
  await response.finished();
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

/** Resolves when the page next sends the live panel's re-read of the run row. */
const nextRowRead = (page: Page) => page.waitForRequest((r) => r.postData()?.includes('query DashboardLatestRun') ?? false, { timeout: 10_000 });

const UPDATE_JOB = 'mutation ($id: ID!, $input: UpdateJobInput!) { updateJob(id: $id, input: $input) { job { id } } }';

const latestRun = async (env: LiveEnv, jobId: string) => (await env.app.services.runs.list(jobId, { first: 1 })).nodes[0]!;

describe.skipIf(!hasChromium)('the live panel during real syncs', () => {
  const shared = useSharedLiveEnv();

  it('a job page opened mid-run counts the bytes done before it opened once: the bar stays with the run row', async () => {
    const env = shared();
    // 16 chunks a second: the test waits for 16 chunks before it opens the page, then the run has
    // seconds left to go while the page opens and its bar moves.
    env.proxy.setRule((req) => (req.method === 'GET' && req.key.endsWith('.bin') ? { ...SLOW, bytesPerSecond: 1024 * 1024 } : undefined));
    await env.s3.putObjects([['big/large.bin', seededBytes(128 * CHUNK_SIZE, 3)]]);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'big/');
    await triggerJob(env.app, jobId);
    await expect.poll(async () => (await latestRun(env, jobId)).bytesDone, { timeout: 20_000 }).toBeGreaterThan(16 * CHUNK_SIZE);

    const { page, consoleErrors } = await watchedPage(browser());
    await page.goto(`${env.app.url}/#/jobs/${jobId}`);
    await page.getByText('connected').waitFor();
    const opened = await overall(page);
    // The events that came after the page opened have moved the bar.
    await expect.poll(async () => (await overall(page)).value, { timeout: 10_000 }).toBeGreaterThan(opened.value);
    const shown = await overall(page);
    const row = await latestRun(env, jobId);
    expect(row.status).toBe('RUNNING');
    // Ahead of the row by at most the checkpoints it has not written yet, not by all that was done before the page opened.
    expect(shown.value).toBeLessThanOrEqual(row.bytesDone + 8 * CHUNK_SIZE);
    expect(shown.value).toBeLessThan(shown.max);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('a run whose events come before its row shows the bytes done but no overall bar or percentage until the row gives the total', async () => {
    const env = shared();
    env.proxy.setRule(slowObjects);
    await env.s3.putObjects([['early/large.bin', seededBytes(32 * CHUNK_SIZE, 8)]]);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'early/');
    const { page, consoleErrors } = await watchedPage(browser());
    // The run row's reads are held: the page knows the run only from its events.
    const heldRowReads: Route[] = [];
    await page.route('**/graphql', (route) =>
      route.request().postData()?.includes('query DashboardLatestRun') ? void heldRowReads.push(route) : route.fallback(),
    );
    await page.goto(`${env.app.url}/#/jobs/${jobId}`);
    await page.getByText('connected').waitFor();
    await triggerJob(env.app, jobId);
    const panel = () => page.locator('.live .run-progress').innerText().catch(() => '');
    await expect.poll(panel, { timeout: 10_000 }).toMatch(/early\/large\.bin[\s\S]*\(([1-9]\d?)%\)/);

    // Observed: the overall bar full, "<n> / <n> (100%)", while the object was at a few percent.
    expect(await page.locator('#overall-progress').count()).toBe(0);
    expect(await page.getByTestId('overall-pending').innerText()).toMatch(/^[1-9][\d.]* (B|KiB|MiB) done, total not known yet$/);

    await page.unroute('**/graphql');
    for (const route of heldRowReads.splice(0)) await route.fallback();
    await expect.poll(async () => (await overall(page).catch(() => ({ max: 0 }))).max, { timeout: 10_000 }).toBe(32 * CHUNK_SIZE);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('Trigger pressed while the run goes (a SKIPPED row) says so and does not replace the run being watched', async () => {
    const env = shared();
    env.proxy.setRule(slowObjects);
    await env.s3.putObjects([['dup/large.bin', seededBytes(64 * CHUNK_SIZE, 4)]]);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'dup/');
    const { page } = await watchedPage(browser());
    await page.goto(`${env.app.url}/#/jobs/${jobId}`);
    await page.getByText('connected').waitFor();
    const trigger = page.getByRole('group', { name: /^Actions for/ }).getByRole('button', { name: 'Trigger' });
    await trigger.click();
    await expect.poll(async () => (await overall(page).catch(() => ({ value: 0 }))).value, { timeout: 10_000 }).toBeGreaterThan(0);
    const runId = (await latestRun(env, jobId)).id;
    const headings = await recordRunHeadings(page);

    await trigger.click();
    await page.getByRole('status').filter({ hasText: 'A run is already going: this trigger was recorded as skipped.' }).waitFor({ timeout: 10_000 });
    expect(await latestRun(env, jobId)).toMatchObject({ status: 'SKIPPED' });
    // Two re-reads of the row after the SKIPPED one exists: the first one's answer has been shown.
    await nextRowRead(page);
    await nextRowRead(page);
    expect(await headings()).toEqual([`Run #${runId}: running`]);
    expect((await env.app.services.runs.list(jobId, { first: 2 })).nodes[1]).toMatchObject({ id: runId, status: 'RUNNING' });
    await page.close();
  });

  it('after the socket drops and comes back, an object that finished meanwhile leaves the in-flight list', async () => {
    const env = shared();
    env.proxy.setRule(slowObjects);
    await env.s3.putObjects([
      ['drop/short.bin', seededBytes(8 * CHUNK_SIZE, 5)],
      ['drop/long.bin', seededBytes(96 * CHUNK_SIZE, 6)],
    ]);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'drop/');
    const { page } = await watchedPage(browser());
    const sockets = await cuttableSockets(page);
    await page.goto(`${env.app.url}/#/jobs/${jobId}`);
    await page.getByText('connected').waitFor();
    await page.getByRole('button', { name: 'Trigger' }).click();
    const inFlight = () => page.locator('.in-flight').innerText().catch(() => '');
    await expect.poll(inFlight, { timeout: 10_000 }).toContain('drop/short.bin');

    await sockets.drop();
    await page.getByText('reconnecting…').waitFor();
    const objectStatus = async (key: string) => (await env.app.services.objects.list(jobId, { keyPrefix: key })).nodes[0]?.status;
    await expect.poll(() => objectStatus('drop/short.bin'), { timeout: 20_000 }).toBe('PROCESSED');
    sockets.restore();
    const reread = page.waitForResponse((r) => r.request().postData()?.includes('query DashboardLatestRun') ?? false, { timeout: 20_000 });
    await page.getByText('connected').waitFor({ timeout: 20_000 });
    await reread;
    await expect.poll(inFlight).not.toContain('drop/short.bin');
    expect(await inFlight()).toContain('drop/long.bin');
    expect(await objectStatus('drop/long.bin')).toBe('PROCESSING');
    await page.close();
  });

  it('an object an earlier (cancelled) run left partly downloaded is not in flight while the next run has not restarted it', async () => {
    const env = shared();
    env.proxy.setRule(slowObjects);
    await env.s3.putObjects([['resume/partial.bin', seededBytes(32 * CHUNK_SIZE, 9)]]);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'resume/');
    // One object at a time: the new first.bin goes first and keeps the slot while the test looks.
    await gqlData(env.app, UPDATE_JOB, { id: jobId, input: { connectorConfig: { maxConcurrency: 1 } } });
    await triggerJob(env.app, jobId);
    const row = async (key: string) => (await env.app.services.objects.list(jobId, { keyPrefix: key })).nodes[0];
    await expect.poll(async () => (await row('resume/partial.bin'))?.lastPosition, { timeout: 10_000 }).toBeGreaterThanOrEqual(2 * CHUNK_SIZE);
    await gql(env.app, 'mutation ($id: ID!) { cancelRun(jobId: $id) { job { id } } }', { id: jobId });
    await expect.poll(async () => (await latestRun(env, jobId)).status, { timeout: 10_000 }).toBe('CANCELLED');
    const checkpoint = (await row('resume/partial.bin'))!.lastPosition;
    expect(checkpoint).toBeGreaterThan(0);

    await env.s3.putObjects([['resume/first.bin', seededBytes(64 * CHUNK_SIZE, 10)]]);
    const { page, consoleErrors } = await watchedPage(browser());
    await page.goto(`${env.app.url}/#/jobs/${jobId}`);
    await page.getByText('connected').waitFor();
    const inFlightKeys = await recordInFlightKeys(page);
    const runId = await triggerJob(env.app, jobId);
    await expect.poll(inFlightKeys, { timeout: 10_000 }).toContain('resume/first.bin');
    // The new run has listed partial.bin and not restarted it; the page has re-read the row since.
    await expect.poll(async () => String((await row('resume/partial.bin'))?.runId), { timeout: 10_000 }).toBe(runId);
    await nextRowShown(page);
    await nextRowShown(page);

    // Observed: partial.bin in flight at its old checkpoint beside first.bin, until its download restarted.
    expect(await inFlightKeys()).toEqual(['resume/first.bin']);
    expect(await row('resume/partial.bin')).toMatchObject({ status: 'PENDING', lastPosition: checkpoint });
    // The objects table, as a reload shows it, still tells how much of it is kept.
    await page.reload();
    const partialRow = page.locator('table.objects tbody tr').filter({ hasText: 'resume/partial.bin' });
    await expect.poll(() => partialRow.locator('td[data-label="Status"]').innerText(), { timeout: 10_000 }).toMatch(/^pending\s+[1-9]\d?% committed$/);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('when the transfer stalls (no event for the 5 s window), throughput falls to 0 B/s and the ETA to "–"', async () => {
    // The object's GET sends 4 MiB, then nothing more while keeping the socket open.
    const stallFrom = 64 * CHUNK_SIZE;
    const env = shared();
    env.proxy.setRule((req) => (req.method === 'GET' && req.key.endsWith('.bin') ? { kind: 'stallMidBody', afterBytes: stallFrom } : undefined));
    await env.s3.putObjects([['stall/large.bin', seededBytes(96 * CHUNK_SIZE, 7)]]);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'stall/');
    const { page } = await watchedPage(browser());
    // The page's clock runs as the real one until the test moves it on past the window.
    await page.clock.install();
    await page.goto(`${env.app.url}/#/jobs/${jobId}`);
    await page.getByText('connected').waitFor();
    await page.getByRole('button', { name: 'Trigger' }).click();
    const throughput = () => page.getByTestId('throughput').innerText().catch(() => '');
    await expect.poll(throughput, { timeout: 15_000 }).toMatch(/^[1-9][\d.]* (B|KiB|MiB|GiB)\/s$/);
    await expect.poll(async () => (await latestRun(env, jobId)).bytesDone, { timeout: 15_000 }).toBe(stallFrom);

    await page.clock.fastForward(5_000);
    await expect.poll(throughput, { timeout: 15_000 }).toBe('0 B/s');
    expect(await page.getByTestId('eta').innerText()).toBe('–');
    expect(await latestRun(env, jobId)).toMatchObject({ status: 'RUNNING', bytesDone: stallFrom });
    await page.close();
  });
});
