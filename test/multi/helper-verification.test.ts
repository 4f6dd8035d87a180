import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createCheckpointStore } from '../../src/sync/checkpoint/checkpoint-store.js';
import type { RemoteObject } from '../../src/sync/transport/s3-connector.js';
import { executeSyncRun } from '../../src/sync/run/sync-run.js';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { CHUNK, startSyncFixture } from '../sync/sync-fixture.js';

describe('a helper instance verifies the objects it fetches as the lister would', () => {
  it('uses the checksum algorithms the listing reported (kept on the rows): a wrong full-object SHA256 fails the object', async () => {
    await using f = await startSyncFixture();
    await using proxy = await startFaultProxy(f.s3.endpoint, { bucket: f.s3.bucket });
    const bodies: Record<string, Buffer> = { 'good.bin': seededBytes(3 * CHUNK + 5, 1), 'bad.bin': seededBytes(2 * CHUNK + 7, 2) };
    await f.s3.putObjects(Object.entries(bodies));
    const checksums: Record<string, string> = {
      'good.bin': createHash('sha256').update(bodies['good.bin']!).digest('base64'),
      'bad.bin': createHash('sha256').update('something else').digest('base64'),
    };
    // Multipart ETags (no MD5 to check): only the full-object checksum from HEAD can verify them.
    const multipartEtag = (key: string) => `"${createHash('md5').update(key).digest('hex')}-2"`;
    // A GET answers the ETag the listing named, as a store that computed it does.
    proxy.setRule((req): Fault | undefined => {
      if (req.method === 'GET' && req.key) return { kind: 'addHeaders', headers: { etag: multipartEtag(req.key) } };
      if (req.method !== 'HEAD') return undefined;
      return { kind: 'respond', status: 200, body: '', headers: { etag: multipartEtag(req.key), 'x-amz-checksum-sha256': checksums[req.key]!, 'x-amz-checksum-type': 'FULL_OBJECT' } };
    });

    // The holder (another instance) made the job's partial folder on the shared volume, listed the
    // objects and recorded them as rows of its run.
    await mkdir(join(f.root, '.dss-partial'), { recursive: true });
    const runId = await f.createRun();
    const listed: RemoteObject[] = Object.entries(bodies).map(([key, body]) => ({
      key,
      size: body.length,
      etag: multipartEtag(key),
      lastModified: new Date(),
      checksumAlgorithms: ['SHA256'],
    }));
    await createCheckpointStore(f.orm, f.jobId, runId, 'holder', 'holder/session').upsert(listed.map((remote) => ({ remote, stored: undefined, lastPosition: 0 })));

    // This instance helps: it claims the rows and fetches them, knowing nothing of the listing.
    await executeSyncRun(
      { orm: f.orm, bus: f.bus, config: f.config, logger: pino({ level: 'silent' }), connector: f.connectorVia(proxy.endpoint) },
      runId,
      new AbortController().signal,
      { helper: true },
    );
    expect((await f.row('good.bin'))?.error).toBeNull();
    expect(await f.row('good.bin')).toMatchObject({ status: 'PROCESSED', instanceId: f.config.instanceId, checksumAlgorithms: 'SHA256' });
    expect(await sha256File(join(f.root, 'good.bin'))).toBe(sha256(bodies['good.bin']!));
    const bad = await f.row('bad.bin');
    expect(bad).toMatchObject({ status: 'FAILED', instanceId: f.config.instanceId });
    expect(bad?.error).toMatch(/^verification failed: SHA256 mismatch: expected /);
    expect(existsSync(join(f.root, 'bad.bin'))).toBe(false);
  });
});
