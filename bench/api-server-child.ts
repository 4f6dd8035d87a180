// The service itself (buildApp) in its own process for the API benchmark, with one paused job holding
// `rows` SyncObject rows inserted by one raw SQL statement in a transaction on the ORM's connection.
import '../src/config/v8-tiering.js';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { pino } from 'pino';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/config/logger.js';
import { Job } from '../src/db/entities/job.entity.js';
import { initOrm } from '../src/db/orm.js';
import { buildApp } from '../src/server.js';
import { benchServiceEnv, type BenchTarget } from './s3-fixture.js';

export interface ApiChildOptions extends BenchTarget {
  rows: number;
}

export interface ApiChildReady {
  type: 'ready';
  port: number;
  jobId: string;
  rows: number;
  seedMs: number;
  /** Ids at offsets 89,999 and 90,000 of the job's rows (scaled to `rows`), for the deep pages. */
  deepAfterId: number;
  deepFirstId: number;
}

const options = JSON.parse(process.argv[2] ?? '') as ApiChildOptions;
if (!process.send) throw new Error('api-server-child.ts needs an IPC channel');
const config = loadConfig({ ...benchServiceEnv(options), PORT: '0', HOST: '127.0.0.1' });

/** Event-loop delay of the service while a measurement runs: how long a ready request waits for the loop. */
export interface LoopDelay {
  type: 'loop';
  p50: number;
  p99: number;
  max: number;
}

async function main(): Promise<void> {
  // Seeded before the app opens the database; the job is PAUSED so the scheduler never syncs it.
  const seedStart = performance.now();
  const orm = await initOrm(config.dbUrl);
  const jobId = randomUUID();
  await orm.em.fork().persistAndFlush(
    new Job({ id: jobId, name: 'api-bench', connectorType: 'S3', bucketName: 'bench', schedule: 'daily', status: 'PAUSED', prefix: 'rows/' }),
  );
  const now = Date.now();
  await orm.em.transactional(async (em) => {
    await em.getConnection().execute(
      `with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ?)
       insert into sync_objects (job_id, object_key, size, etag, last_position, status, local_path, run_id, created_at, updated_at)
       select ?, printf('rows/part-%02d/obj-%07d.bin', n % 20, n), 4096, '"' || lower(hex(randomblob(16))) || '"', 4096,
              'PROCESSED', ? || printf('rows/part-%02d/obj-%07d.bin', n % 20, n), null, ?, ?
       from seq`,
      [options.rows, jobId, `${options.downloadRoot}/${jobId}/`, now, now],
      'run',
      em.getTransactionContext(),
    );
  });
  const deepOffset = Math.floor(options.rows * 0.9);
  const ids = (await orm.em
    .getConnection()
    .execute('select id from sync_objects where job_id = ? order by id limit 2 offset ?', [jobId, deepOffset - 1])) as { id: number }[];
  await orm.close();
  const seedMs = performance.now() - seedStart;

  const app = await buildApp(config, { logger: createLogger('warn', pino.destination(2)), stopGraceMs: 2_000 });
  const { port } = await app.start();
  const ready: ApiChildReady = { type: 'ready', port, jobId, rows: options.rows, seedMs, deepAfterId: ids[0]!.id, deepFirstId: ids[1]!.id };
  process.send?.(ready);

  const stop = async () => {
    await app.stop();
    process.exit(0);
  };
  let loop: IntervalHistogram | undefined;
  process.on('message', (message: { type: string }) => {
    if (message.type === 'stop') void stop();
    else if (message.type === 'loop-start') {
      loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
    } else if (message.type === 'loop-stop' && loop) {
      loop.disable();
      const ms = (ns: number) => Math.round(ns / 1e5) / 10;
      const reply: LoopDelay = { type: 'loop', p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) };
      process.send?.(reply);
    }
  });
  process.on('disconnect', () => void stop());
}

void main();
