import type { Socket } from 'node:net';
import { print } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Job } from '../../src/db/entities/job.entity.js';
import { SyncProgressDocument, type SyncProgressSubscription } from '../generated/graphql.js';
import { wsClient } from '../helpers/clients.js';
import { captureLogs } from '../helpers/logs.js';
import { waitFor } from '../helpers/poll.js';
import { chunkEvent } from '../helpers/progress-events.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const JOB = '33333333-3333-4333-8333-333333333333';

const chunk = (bytes: number) => chunkEvent({ jobId: JOB, bytesTransferred: bytes });

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
    const logs = captureLogs();
    await using app = await startTestApp({ logger: logs.logger });
    await app.orm.em.fork().insert(new Job({ id: JOB, name: 'peer gone', connectorType: 'S3', bucketName: 'bkt', schedule: 'hourly' }));
    const connections: Socket[] = [];
    app.app.server.on('connection', (socket: Socket) => connections.push(socket));

    const gone = subscriber(app);
    let sent = 0;
    await waitFor(() => gone.bytes.length > 0, { step: () => app.bus.publish(chunk(++sent)) });
    expect(connections).toHaveLength(1);
    const goneConnection = connections[0]!;
    const stays = subscriber(app);
    await waitFor(() => stays.bytes.length > 0, { step: () => app.bus.publish(chunk(++sent)) });

    const consoleError = vi.spyOn(console, 'error');
    // The first subscriber's connection as the server holds it, torn down under ws: the next event's
    // write meets a closed stream before ws has seen the close, as when a peer's reset arrives mid-send.
    goneConnection.destroy();
    const receivedBefore = gone.bytes.length;
    app.bus.publish(chunk(++sent));
    const afterGone = sent;
    await waitFor(() => stays.bytes.some((b) => b > afterGone), { step: () => app.bus.publish(chunk(++sent)) });

    expect(consoleError).not.toHaveBeenCalled();
    expect(gone.bytes).toHaveLength(receivedBefore);
    const about = logs.lines.filter((line) => String(line.msg).startsWith('WebSocket'));
    expect(about).toEqual([expect.objectContaining({ level: 30, msg: 'WebSocket peer gone while an event was being sent; socket closed' })]);
    // The service goes on serving: a new subscriber gets events as before.
    const later = subscriber(app);
    await waitFor(() => later.bytes.length > 0, { step: () => app.bus.publish(chunk(++sent)) });
    await later.client.dispose();
    await gone.client.dispose();
    await stays.client.dispose();
  });
});
