// `npm run bench -- --only=huge-listing [--keys=1000000] [--peer-timeout-s=1200]`: one job over N keys
// served by the synthetic S3 server (test/helpers/synthetic-s3.ts): first run, no-op rerun, a run
// killed (-9) half-way through its listing and resumed; then the peers against the same server.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job } from '../src/db/entities/job.entity.js';
import { SyncRun } from '../src/db/entities/sync-run.entity.js';
import { initOrm } from '../src/db/orm.js';
import { startSyntheticS3, type SyntheticS3 } from '../test/helpers/synthetic-s3.js';
import { runMeasured } from './measure.js';
import { deepPageSampler, latencies, type ApiSamples } from './deep-page-sampler.js';
import { tree } from './harness.js';
import { CLI_NODE_FLAGS } from './build-children.js';
import { startService } from './huge-service.js';
import { awsCli, rclone } from './peers.js';

const ROOT = join(import.meta.dirname, '..');
/** The CLI as `npm run sync` runs it: built into dist/ (by its pre-step), with its Node flags. */
const CLI = join(ROOT, 'dist/sync-cli.js');

interface Row {
  phase: string;
  seconds: number;
  objects: number;
  lists: number;
  gets: number;
  peakRssMb: number | null;
  note: string;
}

export async function runHugeListing(args: string[], log: (line: string) => void): Promise<void> {
  const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const keys = Number(arg('keys') ?? 1_000_000);
  const peerTimeoutMs = Number(arg('peer-timeout-s') ?? 1200) * 1000;
  /** `--peers=rclone` runs only the peers named (by their command's first word); `--no-peers` none. */
  const peerNames = args.includes('--no-peers') ? [] : (arg('peers') ?? 'rclone,aws').split(',');
  /** `--phases=kill`: only the killed and resumed run (quicker rounds at 1M keys); `service`: the service itself runs the job. */
  const phases = new Set((arg('phases') ?? 'first,rerun,kill,service').split(','));
  /** `--list-latency-ms=100`: every list answer (ours and the peers') waits this long, as S3's do from afar. */
  const listLatencyMs = Number(arg('list-latency-ms') ?? 0);
  // Small objects (1–64 bytes): the run's cost is per key (listing, rows, files), as in a data lake of small files.
  const s3 = await startSyntheticS3({ keys, bucket: 'huge', sizeOf: (i) => 1 + (i % 64) });
  s3.faults.listDelayMs = listLatencyMs;
  const dir = await mkdtemp(join(tmpdir(), 'dss-huge-'));
  const rows: Row[] = [];
  try {
    log(`huge listing: ${keys} keys on the synthetic S3 server${listLatencyMs ? `, ${listLatencyMs} ms per list answer` : ''}, in ${dir}`);
    const built = spawnSync(process.execPath, ['scripts/build-if-changed.mjs'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('building dist/ failed');
    const dbFile = join(dir, 'bench.db');
    const orm = await initOrm(`sqlite:${dbFile}`);
    const jobId = randomUUID();
    // Paused: the API process started below never schedules it; the CLI runs it all the same.
    await orm.em.fork().persistAndFlush(new Job({ id: jobId, name: 'huge', connectorType: 'S3', bucketName: s3.bucket, prefix: '', schedule: 'daily', status: 'PAUSED' }));
    const env = {
      ...process.env,
      ...s3.env,
      NODE_OPTIONS: '',
      DB_URL: `sqlite:${dbFile}`,
      DOWNLOAD_ROOT_FOLDER: join(dir, 'ours'),
      LOG_LEVEL: 'warn',
      UV_THREADPOOL_SIZE: '16',
    };
    const ours = async (phase: string, extraEnv: Record<string, string> = {}) => {
      s3.resetCounts();
      const result = await runMeasured(process.execPath, [...CLI_NODE_FLAGS, CLI, '--job', jobId], { env: { ...env, ...extraEnv }, cwd: ROOT, timeoutMs: 4 * 3600_000 });
      const summary = JSON.parse(result.stdout.trim().split('\n').pop() || '{}') as {
        status?: string;
        objectsTotal?: number;
        error?: string;
        stats?: { wallMs: number; listMs: number; batchCommitMs: number };
      };
      rows.push(row(phase, result.wallMs, summary.objectsTotal ?? 0, s3, result.maxRssKb, summary.status === 'SUCCEEDED' ? '' : `${summary.status}: ${summary.error ?? result.stderr.slice(-300)}`));
      log(format(rows.at(-1)!));
      const stats = summary.stats;
      if (stats) {
        const s = (ms: number) => (ms / 1000).toFixed(1);
        log(`  the run itself ${s(stats.wallMs)} s (process start-up and exit: the rest), waiting for list pages ${s(stats.listMs)} s, batched row commits ${s(stats.batchCommitMs)} s`);
      }
    };

    const api = await startApiSampler(jobId, env);
    // `rerun<N>` (`rerun1`, `rerun8`): a no-op rerun with LIST_CONCURRENCY=N, beside the default's of `rerun`.
    const ourPhases: Array<[string, Record<string, string>]> = [...phases].flatMap((id) => {
      const ranges = /^rerun(\d+)$/.exec(id)?.[1];
      if (id === 'first') return [['first run', {}]];
      if (id === 'rerun') return [['no-op rerun', {}]];
      return ranges ? [[`no-op rerun, LIST_CONCURRENCY=${ranges}`, { LIST_CONCURRENCY: ranges }]] : [];
    });
    for (const [phase, extraEnv] of ourPhases) {
      api.send({ type: 'start' });
      await ours(`this service: ${phase}`, extraEnv);
      const samples = once(api, 'message').then(([m]) => m as ApiSamples);
      api.send({ type: 'stop' });
      log(`  objects API during the ${phase}: ${latencies(await samples)}`);
    }
    api.send({ type: 'exit' });
    await once(api, 'exit');

    // Killed half-way through the listing of a fresh destination, then resumed.
    if (phases.has('kill')) {
      await orm.em.fork().nativeDelete(Job, { id: jobId });
      await orm.em.fork().persistAndFlush(new Job({ id: jobId, name: 'huge', connectorType: 'S3', bucketName: s3.bucket, prefix: '', schedule: 'daily' }));
      await rm(join(dir, 'ours'), { recursive: true, force: true });
      s3.resetCounts();
      const killed = await killMidListing(orm, jobId, s3.keyAt(Math.floor(keys / 2)), env);
      const listsBefore = s3.counts.lists;
      const getsBefore = s3.counts.gets;
      log(`killed (-9) after ${(killed / 1000).toFixed(1)} s with the listing past key ${Math.floor(keys / 2)}: ${listsBefore} list requests, ${getsBefore} GETs so far`);
      await ours('this service: resumed after kill -9');
      const resumed = rows.at(-1)!;
      // Its objects/s counts what it fetched, not the objects the killed process had finished.
      resumed.objects = resumed.gets;
      resumed.note = `${resumed.note}lists over kill + resume: ${listsBefore + resumed.lists} (one complete listing: ${1 + Math.ceil((keys - 100) / 1000)}); GETs: ${getsBefore + resumed.gets}`;
    }
    await orm.close();

    // The service itself (npm start) runs a job of its own: the run a new job starts, then a rerun.
    if (phases.has('service')) {
      const service = await startService({ ...env, DB_URL: `sqlite:${join(dir, 'service.db')}`, DOWNLOAD_ROOT_FOLDER: join(dir, 'service') });
      try {
        s3.resetCounts();
        const serviceJobId = await service.createJob(s3.bucket);
        let previous: string | undefined;
        for (const phase of ['first run', 'no-op rerun']) {
          if (previous) {
            s3.resetCounts();
            await service.resetPeakRss();
            await service.trigger(serviceJobId);
          }
          const sampler = deepPageSampler(service.base, serviceJobId);
          sampler.start();
          const run = await service.runFinished(serviceJobId, previous);
          const samples = await sampler.stop();
          previous = run.runId;
          rows.push(row(`the service (npm start): ${phase}`, run.wallMs, keys, s3, await service.peakRssKb(), run.status === 'SUCCEEDED' ? '' : `${run.status}: ${run.error ?? ''}`));
          log(format(rows.at(-1)!));
          log(`  objects API of the same process during the ${phase}: ${latencies(samples)}`);
        }
      } finally {
        await service.stop();
      }
    }

    for (const peer of [rclone, awsCli].filter((p) => peerNames.includes(p.name.split(' ')[0]!))) {
      const why = await peer.unavailable();
      if (why) {
        log(`skipping ${peer.name}: ${why}`);
        continue;
      }
      for (const phase of ['first run', 'no-op rerun']) {
        s3.resetCounts();
        const workDir = join(dir, `${peer.name.split(' ')[0]}-work`);
        await mkdir(workDir, { recursive: true });
        const result = await peer.run({ endpoint: s3.endpoint, bucket: s3.bucket, prefix: '', dest: join(dir, peer.name.split(' ')[0]!), workDir, inflight: 32, timeoutMs: peerTimeoutMs });
        const files = result.ok ? (await tree(join(dir, peer.name.split(' ')[0]!))).files : keys;
        const note = !result.ok
          ? result.wallMs >= peerTimeoutMs
            ? `ran out of time (${peerTimeoutMs / 1000} s)`
            : `failed: ${result.error ?? ''}`.slice(0, 200)
          : files !== keys
            ? `exited 0 with ${files} of ${keys} files at the destination`
            : '';
        rows.push(row(`${peer.name}: ${phase}`, result.wallMs, result.ok ? keys : s3.counts.gets, s3, result.maxRssKb, note));
        log(format(rows.at(-1)!));
        if (!result.ok) break;
      }
    }
    printTable(rows, keys, log);
  } finally {
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The service's API over the bench's database in its own process (huge-api-child.ts), ready to sample deep pages. */
async function startApiSampler(jobId: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = fork(join(import.meta.dirname, 'huge-api-child.ts'), [jobId], {
    env: { ...env, NODE_OPTIONS: '' },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [message] = (await once(child, 'message')) as [{ type: string }];
  if (message.type !== 'ready') throw new Error('the API process did not start');
  return child;
}

function printTable(rows: Row[], keys: number, log: (line: string) => void): void {
  log(`\n| run (${keys} keys) | time (s) | objects/s | list requests | GETs | peak RSS (MB) | note |\n|---|---|---|---|---|---|---|`);
  for (const r of rows) log(`| ${r.phase} | ${r.seconds.toFixed(1)} | ${Math.round(r.objects / r.seconds)} | ${r.lists} | ${r.gets} | ${r.peakRssMb ?? 'n/a'} | ${r.note} |`);
}

function row(phase: string, wallMs: number, objects: number, s3: SyntheticS3, maxRssKb: number | null, note: string): Row {
  return { phase, seconds: wallMs / 1000, objects, lists: s3.counts.lists, gets: s3.counts.gets, peakRssMb: maxRssKb ? Math.round(maxRssKb / 1024) : null, note };
}

function format(r: Row): string {
  return `${r.phase}: ${r.seconds.toFixed(1)} s, ${Math.round(r.objects / r.seconds)} objects/s, ${r.lists} lists, ${r.gets} GETs, peak RSS ${r.peakRssMb ?? 'n/a'} MB ${r.note}`;
}

/** Runs the CLI until its run row's listing position passes `killAt`, then kills it with SIGKILL; returns the ms it ran. */
async function killMidListing(orm: Awaited<ReturnType<typeof initOrm>>, jobId: string, killAt: string, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [...CLI_NODE_FLAGS, CLI, '--job', jobId], { env, cwd: ROOT, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => (running = false));
  while (running) {
    const run = await orm.em.fork().findOne(SyncRun, { jobId }, { orderBy: { id: 'desc' } });
    if ((run?.listAfter ?? '') >= killAt) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  await exited;
  return performance.now() - started;
}
