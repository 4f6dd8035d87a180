import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { initOrm } from '/work/wt/i15/src/db/orm.js';
import { Job } from '/work/wt/i15/src/db/entities/job.entity.js';
import { SyncRun } from '/work/wt/i15/src/db/entities/sync-run.entity.js';
import { createEventBus } from '/work/wt/i15/src/events/event-bus.js';
import { executeSyncRun } from '/work/wt/i15/src/sync/sync-run.js';
import { createS3Connector } from '/work/wt/i15/src/sync/s3-connector.js';
import { startSyntheticS3 } from '/work/wt/i15/test/helpers/synthetic-s3.js';
const keys = Number(process.argv[2]);
const s3 = await startSyntheticS3({ keys, bucket: 'b', sizeOf: () => 0 });
const dir = await mkdtemp(join(tmpdir(), 'i15mem-'));
const orm = await initOrm(`sqlite:${join(dir, 'db.sqlite')}`);
const jobId = randomUUID();
await orm.em.fork().persistAndFlush(new Job({ id: jobId, name: 'p', connectorType: 'S3', bucketName: 'b', prefix: '', schedule: 'daily' }));
const config: any = { downloadRoot: join(dir, 'dl'), chunkSize: 8 << 20, retry: { count: 2, delaySeconds: 0.01, backoff: 2 }, syncConcurrency: 8, s3: s3.s3Config };
const connector = createS3Connector({ s3: s3.s3Config, retry: config.retry, maxSockets: 16, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
let peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
const timer = setInterval(() => { const m = process.memoryUsage(); for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], m[k]); }, 100);
for (const label of ['first', 'noop']) {
  if (label === 'noop') { const { Session } = await import('node:inspector/promises'); (globalThis as any).s = new Session(); (globalThis as any).s.connect(); await (globalThis as any).s.post('Profiler.enable'); await (globalThis as any).s.post('Profiler.start'); }
  peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
  const run = new SyncRun({ jobId, trigger: 'CLI', status: 'RUNNING', startedAt: new Date() });
  await orm.em.fork().persistAndFlush(run);
  const t = performance.now();
  const r = await executeSyncRun({ orm, bus: createEventBus(), config, logger: pino({ level: 'silent' }), connector }, run.id, new AbortController().signal);
  console.log(label, r.status, ((performance.now() - t) / 1000).toFixed(1), 's', Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v / 2 ** 20)])));
}
clearInterval(timer);
const { profile } = await (globalThis as any).s.post('Profiler.stop'); (await import('node:fs')).writeFileSync('/tmp/i15prof/noop.cpuprofile', JSON.stringify(profile));
connector.destroy(); await orm.close(); await s3.stop(); await rm(dir, { recursive: true, force: true });
