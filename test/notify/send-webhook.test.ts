import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, test } from 'vitest';
import { sendWebhook } from '../../src/notify/send-webhook.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

// Garbage collections on demand, to run them while an attempt waits.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('an attempt against a receiver that never answers ends at its timeout, even with garbage collections meanwhile', async () => {
  await using receiver = await startWebhookReceiver([], 'hang');
  const request = { deliveryId: 'd1', event: 'RUN_FAILED', url: receiver.url, body: '{}', attempt: 1 };
  const collecting = setInterval(gc, 20);
  try {
    // On Node 20 a timeout signal inside AbortSignal.any() could be collected before it fired: this waited forever.
    const outcome = await Promise.race([
      sendWebhook(request, 300, new AbortController().signal),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000)),
    ]);
    expect(outcome).toMatchObject({ ok: false, statusCode: null, error: 'no answer within 0.3 s' });
  } finally {
    clearInterval(collecting);
  }
});

test('a stop ends the attempt at once', async () => {
  await using receiver = await startWebhookReceiver([], 'hang');
  const stop = new AbortController();
  const pending = sendWebhook({ deliveryId: 'd2', event: 'RUN_FAILED', url: receiver.url, body: '{}', attempt: 1 }, 60_000, stop.signal);
  setTimeout(() => stop.abort(), 50);
  const started = Date.now();
  expect(await pending).toMatchObject({ ok: false, statusCode: null });
  expect(Date.now() - started).toBeLessThan(5_000);
});
