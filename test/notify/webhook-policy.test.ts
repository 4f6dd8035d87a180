import { createServer } from 'node:http';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { sendWebhook } from '../../src/notify/send-webhook.js';
import { webhookUrlProblem } from '../../src/notify/webhook-url.js';
import { listenOnLoopback } from '../helpers/loopback.js';

/** README, Notifications: WEBHOOK_ALLOWED_HOSTS is checked on create/update and before each attempt; redirects are never followed. Expected to pass. */
describe('webhook target policy', () => {
  const { allowedHosts } = loadConfig({ WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com,*.internal.example.com' }).webhooks;

  test.each([
    'http://hooks.example.com@127.0.0.1/h',
    'http://127.0.0.1#@hooks.example.com/h',
    'http://127.0.0.1\\@hooks.example.com/h',
    'http://127.0.0.1/\\hooks.example.com',
    'http://hooks.example.com.127.0.0.1.nip.io/h',
    'http://evilinternal.example.com/h',
    'http://internal.example.com/h',
    'http://hooks.example.com./h',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:127.0.0.1]/h',
    'http://0x7f.1/h',
  ])('%s is refused', (url) => {
    expect(webhookUrlProblem(url, allowedHosts)).not.toBeNull();
  });

  test('a 3xx is a failed attempt; its Location is never requested', async () => {
    let hits = 0;
    const target = await listenOnLoopback(createServer((_req, res) => (hits++, res.end('ok'))));
    const redirector = await listenOnLoopback(
      createServer((_req, res) => res.writeHead(307, { location: `http://127.0.0.1:${target.port}/internal` }).end()),
    );
    try {
      const result = await sendWebhook(
        { deliveryId: 'd', event: 'RUN_FAILED', url: `http://127.0.0.1:${redirector.port}/h`, body: '{}', attempt: 1 },
        2000,
        new AbortController().signal,
      );
      expect(result).toMatchObject({ ok: false, statusCode: 307 });
      expect(hits).toBe(0);
    } finally {
      await target.stop();
      await redirector.stop();
    }
  });
});
