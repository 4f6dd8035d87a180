import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Job } from '../../src/db/entities/job.entity.js';
import { hostileJson, hostileText, leaksInternals } from '../helpers/hostile.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/** ≥ 1,000 generated frames (issue 11): 500 connections of 1–4 frames each, on one app. */
const CONNECTIONS = 500;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

const OPERATIONS = [
  'subscription { syncProgress { kind } }',
  'subscription { syncProgress(jobId: "00000000-0000-4000-8000-000000000000") { kind } }',
  'subscription { syncProgress(jobId: "nul\\u0000") { kind } }',
  '{ jobs { totalCount } }',
  'mutation { pauseJob(id: "x") { job { id } } }',
  'mutation { createJob(input: {name: "a\\u0000b", connectorType: S3, schedule: "hourly", connectorConfig: {bucketName: "bkt"}}) { job { id } } }',
  'subscription { syncProgress { kind } } subscription { syncProgress { kind } }',
];

const protocolMessage = fc.record(
  {
    type: fc.oneof(fc.constantFrom('connection_init', 'ping', 'pong', 'subscribe', 'complete', 'next', 'error', 'connection_ack'), hostileJson),
    id: fc.oneof(fc.constantFrom('1', '2', ''), hostileJson),
    payload: fc.oneof(
      fc.record(
        { query: fc.oneof(fc.constantFrom(...OPERATIONS), hostileText), variables: hostileJson, operationName: hostileJson, extensions: hostileJson },
        { requiredKeys: [] },
      ),
      hostileJson,
    ),
  },
  { requiredKeys: [] },
);

/** What a client may send: protocol-shaped messages with wrong fields, any text, any bytes. */
const frame = fc.oneof(
  { weight: 3, arbitrary: protocolMessage.map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
);

interface Outcome {
  closeCode?: number;
  messages: string[];
}

/**
 * Opens a socket, optionally initialises it, sends the frames, then a ping: the pong (or a close)
 * shows the server has dealt with every frame before it.
 */
function exchange(init: boolean, frames: Array<string | Buffer>): Promise<Outcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(app.wsUrl, 'graphql-transport-ws');
    const messages: string[] = [];
    const done = (outcome: Outcome) => {
      ws.terminate();
      resolve(outcome);
    };
    ws.on('open', () => {
      if (init) ws.send(JSON.stringify({ type: 'connection_init' }));
      for (const f of frames) ws.send(f);
      ws.send(JSON.stringify({ type: 'ping', payload: { probe: true } }));
    });
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      messages.push(text);
      if (text.includes('"probe":true')) done({ messages });
    });
    ws.on('close', (code) => done({ closeCode: code, messages }));
    ws.on('error', () => undefined);
  });
}

describe('WebSocket: generated frames never break the server or store anything', () => {
  it(`${CONNECTIONS} connections of 1–4 generated frames (graphql-ws messages, text, bytes)`, async () => {
    const jobs = await app.orm.em.fork().count(Job, {});
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(frame, { minLength: 1, maxLength: 4 }), async (init, frames) => {
        const outcome = await exchange(init, frames);
        const text = JSON.stringify(outcome);
        // The protocol's refusals (4400 bad message, 4401 not initialised, 4409 duplicate id, 4429
        // second init) are fine; 4500 (internal error), 1011 and 1006 (dropped) are not.
        if (outcome.closeCode !== undefined) expect([4400, 4401, 4403, 4409, 4429, 1000], text).toContain(outcome.closeCode);
        expect(leaksInternals(text), text).toBe(false);
        expect(text).not.toContain('Unexpected error.');
        expect(text).not.toContain('INTERNAL_SERVER_ERROR');
      }),
      { numRuns: CONNECTIONS },
    );
    expect(await app.orm.em.fork().count(Job, {})).toBe(jobs);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });
});

describe('WebSocket: message size', () => {
  it('a message larger than an HTTP body may be (1 MiB) closes the socket with 1009, before or after connection_init, and is not executed', async () => {
    const jobs = await app.orm.em.fork().count(Job, {});
    const createJob = (padding: string) =>
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: {
          query: `mutation { createJob(input: {name: "big", connectorType: S3, schedule: "hourly", paused: true, connectorConfig: {bucketName: "bkt"}}) { job { id } } } # ${padding}`,
        },
      });
    for (const init of [false, true]) {
      const outcome = await exchange(init, [createJob('x'.repeat(1024 * 1024))]);
      expect(outcome.closeCode).toBe(1009);
    }
    expect(await app.orm.em.fork().count(Job, {})).toBe(jobs);
    // Under the limit, the same message is an ordinary operation.
    const answer = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(app.wsUrl, 'graphql-transport-ws');
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
      ws.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { type: string };
        if (message.type === 'connection_ack') ws.send(createJob('x'.repeat(512 * 1024)));
        else if (message.type === 'next') {
          resolve(data.toString());
          ws.close();
        }
      });
      ws.on('close', (code) => reject(new Error(`closed with ${code}`)));
      ws.on('error', reject);
    });
    expect(answer).toContain('"createJob":{"job":{"id":');
    expect(await app.orm.em.fork().count(Job, {})).toBe(jobs + 1);
  });
});
