/** Hostile data shown as text, and a page that recovers from a service restart by itself. */
import { describe, expect, it } from 'vitest';
import { http } from '../helpers/clients.js';
import { startTestApp } from '../helpers/test-app.js';
import { createPausedJob, startLiveEnvDenying, triggerJob } from '../live/live-env.js';
import { hasChromium, useDashboardBrowser, watchedPage } from './browser-page.js';

const browser = useDashboardBrowser();

describe.skipIf(!hasChromium)('the dashboard with hostile data and a restarting service', () => {
  it('hostile keys and failure reasons are text: no script runs, no element is injected, long keys wrap, nothing leaves the machine, strict CSP', async () => {
    await using env = await startLiveEnvDenying('broken');
    await env.s3.putObjects([
      ['x/<img src=x onerror="window.__xss=1">.txt', 'a'],
      ['x/"><svg onload=window.__xss=2>.txt', 'b'],
      ['x/javascript:window.__xss=3', 'c'],
      ['x/broken-<script>window.__xss=4</script>', 'd'],
      ['x/' + Array.from({ length: 9 }, () => 'a'.repeat(100)).join('/'), 'e'],
    ]);
    const jobId = await createPausedJob(env.app, env.s3.bucket, 'x/');
    const { page, consoleErrors, offMachine } = await watchedPage(browser());
    await page.goto(`${env.app.url}/#/jobs/${jobId}`);
    await page.getByText('connected').waitFor();
    await page.getByRole('button', { name: 'Trigger' }).click();
    await page.locator('.run-end').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('table.objects tbody tr').count(), { timeout: 10_000 }).toBe(5);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('main img, main script, main svg:not(.chart svg)').count()).toBe(0);
    expect(await page.locator('.failures').innerText()).toContain('<script>window.__xss=4</script>');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);
    expect(consoleErrors).toEqual([]);
    expect(offMachine).toEqual([]);
    const csp = (await http(env.app, 'GET', '/')).headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    await page.close();
  });

  it('after the service restarts on the same port, the page reconnects by itself and shows the next run live', async () => {
    const first = await startTestApp();
    const port = new URL(first.url).port;
    const jobId = await createPausedJob(first, 'bkt', 'p/');
    const { page, consoleErrors } = await watchedPage(browser());
    await page.goto(`${first.url}/#/jobs/${jobId}`);
    await page.getByText('connected').waitFor();
    await first.stop();
    await page.getByText('reconnecting…').waitFor();
    await using second = await startTestApp({ env: { PORT: port, DB_URL: first.config.dbUrl } });
    await page.locator('.live-live').waitFor({ timeout: 20_000 });
    await triggerJob(second, jobId);
    await expect.poll(() => page.locator('.run-end').innerText().catch(() => ''), { timeout: 20_000 }).toContain('Run finished: FAILED');
    expect(consoleErrors.filter((t) => !t.includes('WebSocket'))).toEqual([]);
    await page.close();
  });
});
