import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { enterGraphiqlToken } from '../browser/browser-page.js';
import { chunkEvent } from '../helpers/progress-events.js';
import { startGraphqlApp, TOKEN } from './graphql-env.js';

/** A system Chromium (CHROMIUM_PATH or a usual location); the test is skipped on machines without one. */
const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
  (path): path is string => !!path && existsSync(path),
);
const JOB = '11111111-1111-4111-8111-111111111111';
const chunk = (bytes: number) => chunkEvent({ jobId: JOB, objectKey: 'k', objectSize: 100, bytesTransferred: bytes });

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

      await enterGraphiqlToken(page, TOKEN);
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
