import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { liftableThrottle } from '../helpers/fault-proxy.js';
import { seededBytes } from '../helpers/files.js';
import { startTestApp } from '../helpers/test-app.js';
import { CHUNK_SIZE, createPausedJob } from '../live/live-env.js';
import { CHROMIUM, cuttableSockets, hasChromium, useDashboardBrowser, watchedPage } from './browser-page.js';
import { useSharedLiveEnv } from './shared-live-env.js';

const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
/** The large object crosses a slow link: the run lasts seconds, long enough to watch its bar move. */
const SLOW = { kind: 'throttle', ms: 5, bytesPerSecond: 512 * 1024 } as const;

if (!hasChromium) console.warn(`test/browser/dashboard.test.ts SKIPPED: ${CHROMIUM} is not installed`);

const overall = (page: Page) =>
  page.locator('#overall-progress').evaluate((el) => ({ value: (el as HTMLProgressElement).value, max: (el as HTMLProgressElement).max }));

const browser = useDashboardBrowser();
beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
});

describe.skipIf(!hasChromium)('the dashboard in headless Chromium', () => {
  /** The app of the two tests that run syncs, two objects in flight at a time. */
  const shared = useSharedLiveEnv({ SYNC_CONCURRENCY: '2' });

  it('lists jobs, shows the API validation message at its field, and shows a run started from the page live to its end', async () => {
    const env = shared();
    // Lifted (the GET in flight too) once the run has been watched mid-way.
    const slow = liftableThrottle(SLOW.bytesPerSecond, SLOW.ms);
    env.proxy.setRule((req) => {
      if (req.method !== 'GET' || !req.key) return undefined;
      if (req.key.endsWith('broken.txt')) return { kind: 'status', status: 403, code: 'AccessDenied' };
      return req.key.endsWith('.bin') ? slow.fault : undefined;
    });
    const large = seededBytes(40 * CHUNK_SIZE, 5);
    await env.s3.putObjects([
      ['media/large.bin', large],
      ['media/small-1.txt', 'one\n'],
      ['media/small-2.txt', 'two\n'],
      ['media/broken.txt', 'never fetched\n'],
    ]);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'media/');
    const { page, offMachine, consoleErrors } = await watchedPage(browser());

    await page.goto(`${env.app.url}/`);
    const link = page.getByRole('link', { name: 'job media/' });
    await link.waitFor();
    expect(await page.locator('table.jobs tbody tr').count()).toBe(1);
    await expect.poll(() => page.locator('table.jobs').innerText()).toContain(`s3://${env.s3.bucket}/media/`);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-jobs.png'), fullPage: true });

    // A bad form: the API's own message at the Name field, what was typed kept.
    await page.getByLabel('Name').fill('ab');
    await page.getByLabel('Bucket').fill('some-bucket');
    await page.getByRole('button', { name: 'Create job' }).click();
    const nameError = page.locator('#job-name-error');
    await expect.poll(() => nameError.innerText()).toContain('Invalid job name, must be between 3 and 25 characters');
    expect(await page.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Name').inputValue()).toBe('ab');
    expect(await page.getByLabel('Bucket').inputValue()).toBe('some-bucket');
    // Fixed name, bad schedule: the message moves to the Schedule field.
    await page.getByLabel('Name').fill('nightly copy');
    await page.getByLabel('Bucket').fill('some-bucket');
    await page.getByLabel('Schedule').fill('every tuesday');
    await page.getByRole('button', { name: 'Create job' }).click();
    await expect.poll(() => page.locator('#job-schedule-error').innerText().catch(() => '')).toContain('Invalid schedule, supported one:');
    expect(await nameError.count()).toBe(0);
    expect(await page.getByLabel('Schedule').inputValue()).toBe('every tuesday');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-form-error.png'), fullPage: true });
    expect(await page.locator('table.jobs tbody tr').count()).toBe(1);

    // The job's own address survives a reload.
    await link.click();
    await page.waitForURL(`**/#/jobs/${jobId}`);
    await page.reload();
    await page.getByRole('heading', { name: /job media\// }).waitFor();
    await page.getByText('connected').waitFor();
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));

    // A run started from the page: its bar moves and its end shows, without a reload.
    await page.getByRole('button', { name: 'Trigger' }).click();
    const bar = page.locator('#overall-progress');
    await bar.waitFor();
    const first = await expect
      .poll(async () => {
        const { value, max } = await overall(page);
        return value > 0 && value < max ? value : 0;
      }, { timeout: 20_000 })
      .toBeGreaterThan(0)
      .then(() => overall(page));
    await page.locator('.in-flight li').first().waitFor();
    expect(await page.locator('.in-flight').innerText()).toContain('media/large.bin');
    await expect.poll(async () => (await overall(page)).value, { timeout: 20_000 }).toBeGreaterThan(first.value);
    await expect.poll(() => page.getByTestId('throughput').innerText(), { timeout: 10_000 }).toMatch(/^\d+(\.\d)? (B|KiB|MiB)\/s$/);
    expect(await page.getByTestId('eta').innerText()).toMatch(/^(ETA \d|–)/);
    await expect.poll(() => page.locator('.failures').innerText(), { timeout: 20_000 }).toContain('media/broken.txt');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live.png'), fullPage: true });
    slow.lift();

    const end = page.locator('.run-end');
    await expect.poll(() => end.innerText(), { timeout: 40_000 }).toContain('Run finished: FAILED');
    const done = await overall(page);
    expect(done.value).toBe(large.length + 8);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // The runs table and the objects got the news too.
    await expect.poll(() => page.locator('table.runs').innerText()).toContain('1 failed');
    await expect.poll(() => page.locator('table.objects tbody tr').count()).toBe(4);
    await page.getByLabel('Key prefix').fill('media/small');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('table.objects tbody tr').count()).toBe(2);
    expect(await page.locator('table.objects').innerText()).toContain('4 B');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-job.png'), fullPage: true });

    await page.setViewportSize({ width: 380, height: 800 });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-job-narrow.png'), fullPage: true });

    // Resume puts the paused job on its schedule (the button becomes Pause); Delete asks first.
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    expect(await page.locator('h1 .status').innerText()).toBe('scheduled');
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByRole('button', { name: 'Delete' }).click();
    expect((await env.app.services.jobs.get(jobId))?.id).toBe(jobId);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No jobs yet').waitFor();
    expect(await env.app.services.jobs.get(jobId)).toBeNull();

    expect(offMachine).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('when the socket drops mid-run, the page reconnects and refetches: it shows the end it missed', async () => {
    const env = shared();
    env.proxy.setRule((req) => (req.method === 'GET' && req.key ? SLOW : undefined));
    const large = seededBytes(24 * CHUNK_SIZE, 9);
    await env.s3.putObject('drop/large.bin', large);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'drop/');
    const { page, consoleErrors } = await watchedPage(browser());
    const sockets = await cuttableSockets(page);

    await page.goto(`${env.app.url}/#/jobs/${jobId}`);
    await page.getByText('connected').waitFor();
    await page.getByRole('button', { name: 'Trigger' }).click();
    await expect.poll(async () => (await overall(page).catch(() => ({ value: 0 }))).value, { timeout: 20_000 }).toBeGreaterThan(0);

    await sockets.drop();
    await page.getByText('reconnecting…').waitFor();
    // The run ends while the page has no socket: its RUN_FINISHED event never reaches the page.
    await expect
      .poll(async () => (await env.app.services.runs.list(jobId, { first: 1 })).nodes[0]?.status, { timeout: 30_000 })
      .toBe('SUCCEEDED');
    expect(await page.locator('.run-end').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-reconnecting.png'), fullPage: true });

    sockets.restore();
    await page.getByText('connected').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('.run-end').innerText(), { timeout: 10_000 }).toContain('Run finished: SUCCEEDED');
    expect(await overall(page)).toEqual({ value: large.length, max: large.length });
    // The graphql-ws close while refused is logged by Chromium as a WebSocket error; nothing else may be.
    expect(consoleErrors.filter((text) => !text.includes('WebSocket'))).toEqual([]);
    await page.close();
  });

  it('with API_TOKEN: asks for the token, says when it is wrong, keeps the right one in sessionStorage only', async () => {
    const token = 'browser-token-0123456789';
    await using app = await startTestApp({ env: { API_TOKEN: token } });
    const headers = { authorization: `Bearer ${token}` };
    await createPausedJob(app, 'token-bucket', 'secret/', headers);
    const { page, offMachine } = await watchedPage(browser());

    await page.goto(`${app.url}/`);
    const input = page.getByLabel('API token');
    await input.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-token-prompt.png') });

    await input.fill('wrong-token');
    await page.getByRole('button', { name: 'Use token' }).click();
    await expect.poll(() => page.locator('#api-token-error').innerText().catch(() => '')).toContain('refused');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-token-wrong.png') });

    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Use token' }).click();
    const link = page.getByRole('link', { name: 'job secret/' });
    await link.waitFor();
    const storage = await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length, cookie: document.cookie }));
    expect(storage).toEqual({ session: 1, local: 0, cookie: '' });
    // It survives a reload of the tab; the WebSocket carries it too (the live panel connects).
    await page.reload();
    await link.click();
    await page.getByText('connected').waitFor();
    expect(offMachine).toEqual([]);
    await page.close();
  });
});
