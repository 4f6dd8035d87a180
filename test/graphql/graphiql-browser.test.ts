import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';
import { Job } from '../../src/db/entities/job.entity.js';
import { startGraphqlApp, TOKEN } from './graphql-env.js';

/** A system Chromium (CHROMIUM_PATH or a usual location); the test is skipped on machines without one. */
const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
  (path): path is string => !!path && existsSync(path),
);
const JOB = '11111111-1111-4111-8111-111111111111';
const chunk = (bytes: number): SyncProgressEvent => ({
  kind: 'CHUNK',
  jobId: JOB,
  runId: '1',
  objectKey: 'k',
  bytesTransferred: bytes,
  objectSize: 100,
  status: 'PROCESSING',
  at: new Date(),
});

describe('GraphiQL in a browser', () => {
  it.skipIf(!executablePath)('loads with no request leaving the service and runs a subscription over WebSocket with the token', async () => {
    await using api = await startGraphqlApp({ API_TOKEN: TOKEN });
    await api.app.orm.em.fork().insert(new Job({ id: JOB, name: 'graphiql', connectorType: 'S3', bucketName: 'bkt', schedule: 'hourly' }));
    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const origin = new URL(api.graphqlUrl).origin;
      const foreign: string[] = [];
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
        foreign.push(url);
        return route.abort();
      });
      const query = `subscription { syncProgress(jobId: "${JOB}") { kind jobId bytesTransferred } }`;
      await page.goto(`${api.graphqlUrl}?query=${encodeURIComponent(query)}`);
      await page.locator('.graphiql-execute-button').waitFor({ timeout: 30_000 });

      // As a user would: put the token in the Headers tab, re-fetch the schema with it, run.
      await page.getByRole('button', { name: 'Headers' }).click();
      await page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden)').click();
      await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${TOKEN}` }));
      const introspected = page.waitForResponse((r) => r.request().method() === 'POST' && r.status() === 200);
      await page.getByRole('button', { name: /re-fetch/i }).click();
      await introspected;
      await page.click('.graphiql-execute-button');

      // The subscription goes live asynchronously: publish until GraphiQL shows an event (bounded).
      let response = '';
      const deadline = Date.now() + 15_000;
      for (let bytes = 1; !response.includes('"kind": "CHUNK"') && Date.now() < deadline; bytes += 1) {
        api.app.bus.publish(chunk(bytes));
        await page.waitForTimeout(50);
        response = (await page.locator('.graphiql-response').innerText()).replace(/[\s\u00a0]+/g, ' ');
      }
      expect(response).toContain('"kind": "CHUNK"');
      expect(response).toContain(`"jobId": "${JOB}"`);
      expect(foreign).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
