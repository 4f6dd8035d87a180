import type { Socket } from 'node:net';
import { print } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/config/logger.js';
import { Job } from '../../src/db/entities/job.entity.js';
import type { SyncProgressEvent } from '../../src/events/progress-event.js';
import { SyncProgressDocument, type SyncProgressSubscription } from '../generated/graphql.js';
import { wsClient } from '../helpers/clients.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const JOB = '33333333-3333-4333-8333-333333333333';

const chunk = (bytes: number): SyncProgressEvent => ({
  kind: 'CHUNK',
  jobId: JOB,
  runId: '9',
  objectKey: 'data/big.bin',
  bytesTransferred: bytes,
  objectSize: 1_000_000,
  status: 'PROCESSING',
  at: new Date('2026-12-04T10:00:00Z'),
});

/** A subscriber of JOB's progress, with the bytes of every event it received. */
function subscriber(app: TestApp) {
  const client = wsClient(app.wsUrl);
  const bytes: number[] = [];
  client.subscribe<SyncProgressSubscription>(
    { query: print(SyncProgressDocument), variables: { jobId: JOB } },
    { next: (r) => r.data && bytes.push(Number(r.data.syncProgress.bytesTransferred)), error: () => {}, complete: () => {} },
  );
  return { client, bytes };
}

describe('a subscriber whose connection dies between two events', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is dropped with a log line, not a console.error, and the other subscribers go on', async () => {
    const logged: { level: number; msg: string }[] = [];
    await using app = await startTestApp({ logger: createLogger('info', { write: (line: string) => logged.push(JSON.parse(line)) }) });
    await app.orm.em.fork().insert(new Job({ id: JOB, name: 'peer gone', connectorType: 'S3', bucketName: 'bkt', schedule: 'hourly' }));
    const connections: Socket[] = [];
    app.app.server.on('connection', (socket: Socket) => connections.push(socket));

    const gone = subscriber(app);
    let sent = 0;
    await waitFor(() => (app.bus.publish(chunk(++sent)), gone.bytes.length > 0));
    expect(connections).toHaveLength(1);
    const goneConnection = connections[0]!;
    const stays = subscriber(app);
    await waitFor(() => (app.bus.publish(chunk(++sent)), stays.bytes.length > 0));

    const consoleError = vi.spyOn(console, 'error');
    // The first subscriber's connection as the server holds it, torn down under ws: the next event's
    // write meets a closed stream before ws has seen the close, as when a peer's reset arrives mid-send.
    goneConnection.destroy();
    const receivedBefore = gone.bytes.length;
    app.bus.publish(chunk(++sent));
    const afterGone = sent;
    await waitFor(() => (app.bus.publish(chunk(++sent)), stays.bytes.some((b) => b > afterGone)));

    expect(consoleError).not.toHaveBeenCalled();
    expect(gone.bytes).toHaveLength(receivedBefore);
    const about = logged.filter((line) => line.msg.startsWith('WebSocket'));
    expect(about).toEqual([expect.objectContaining({ level: 30, msg: 'WebSocket peer gone while an event was being sent; socket closed' })]);
    // The service goes on serving: a new subscriber gets events as before.
    const later = subscriber(app);
    await waitFor(() => (app.bus.publish(chunk(++sent)), later.bytes.length > 0));
    await later.client.dispose();
    await gone.client.dispose();
    await stays.client.dispose();
  });
});
