import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { EventBus } from '../../src/events/event-bus.js';
import { wsClient } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';

const IDLE_MS = 200;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const probe = (bus: EventBus) =>
  bus.publish({ kind: 'RUN_STARTED', jobId: 'probe', runId: 'probe', objectKey: null, bytesTransferred: 0, objectSize: null, status: null, at: new Date() });

/**
 * A connection that never sends a byte held a file descriptor forever (headersTimeout counts from a
 * request's first byte): anyone reaching the port could exhaust the process's descriptors. Such a
 * connection is now closed after a silence (a short one here, through buildApp's option); requests
 * under way, event streams and WebSockets are not.
 */
describe('silent connections', () => {
  it('a connection that sends nothing is closed by the server', async () => {
    await using app = await startTestApp({ build: { idleConnectionMs: IDLE_MS } });
    const socket = net.connect(Number(new URL(app.url).port), '127.0.0.1');
    socket.on('error', () => {});
    let closed = false;
    socket.once('close', () => (closed = true));
    try {
      await waitFor(() => closed, 5000, 'the server to close the silent connection');
    } finally {
      socket.destroy();
    }
  });

  it('a keep-alive connection still answers its next request after the first', async () => {
    await using app = await startTestApp({ build: { idleConnectionMs: IDLE_MS } });
    const socket = net.connect(Number(new URL(app.url).port), '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += String(d)));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => received.includes('"ok"'), 5000, 'the first answer');
    await pause(IDLE_MS * 3);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => received.split('HTTP/1.1 200').length === 3, 5000, 'the second answer');
    socket.destroy();
  });

  it('a request whose body pauses longer than the silence is still answered', async () => {
    await using app = await startTestApp({ build: { idleConnectionMs: IDLE_MS } });
    const socket = net.connect(Number(new URL(app.url).port), '127.0.0.1');
    let received = '';
    let closed = false;
    socket.on('data', (d) => (received += String(d)));
    socket.once('close', () => (closed = true));
    const body = '{"job_name": "slow"}';
    socket.write(`POST /api/v1/scheduler/create_job HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    await pause(IDLE_MS * 3);
    expect(closed).toBe(false);
    socket.write(body.slice(5));
    await waitFor(() => received.startsWith('HTTP/1.1 400'), 5000, 'the answer to the slow request');
    socket.destroy();
  });

  it('an SSE subscription and a WebSocket subscription outlive the silence and still deliver events', async () => {
    await using app = await startTestApp({ build: { idleConnectionMs: IDLE_MS } });
    const query = encodeURIComponent('subscription { syncProgress { kind jobId } }');
    const controller = new AbortController();
    const stream = await fetch(`${app.graphqlUrl}?query=${query}`, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
    expect(stream.status).toBe(200);
    let sseText = '';
    const reading = (async () => {
      const reader = stream.body!.getReader();
      const decoder = new TextDecoder();
      for (let part = await reader.read(); !part.done; part = await reader.read()) sseText += decoder.decode(part.value, { stream: true });
    })().catch(() => {});

    const client = wsClient(app.wsUrl, { lazy: false });
    const wsEvents: unknown[] = [];
    const ended: unknown[] = [];
    client.subscribe({ query: 'subscription { syncProgress { kind jobId } }' }, { next: (r) => wsEvents.push(r), error: (e) => ended.push(e), complete: () => ended.push('complete') });
    try {
      await pause(IDLE_MS * 4);
      await waitFor(() => sseText.includes('"jobId":"probe"') && wsEvents.length > 0, { step: () => probe(app.bus), what: 'an event on both streams' });
      expect(ended).toEqual([]);
    } finally {
      controller.abort();
      await reading;
      await client.dispose();
    }
  });
});
