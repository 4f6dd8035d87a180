// Our sync for the benchmark, alone in its own process so its peak RSS is ours: opens the SQLite database,
// creates (or reuses) the Job row, inserts a RUNNING SyncRun and runs createRunExecutor(...)(runId, signal),
// exactly what the scheduler does for a scheduled run. Writes its figures as JSON to the stats file.
import '../src/config/v8-tiering.js';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { pino } from 'pino';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/config/logger.js';
import { Job } from '../src/db/entities/job.entity.js';
import { SyncRun } from '../src/db/entities/sync-run.entity.js';
import { initOrm, type Orm } from '../src/db/orm.js';
import { createEventBus } from '../src/events/event-bus.js';
import { createRunExecutor, type RunExecutorDeps } from '../src/sync/run-executor.js';
import { createProcessSlots } from '../src/sync/transfer/process-slots.js';
import { benchServiceEnv, type BenchTarget } from './s3-fixture.js';

export interface OurSyncOptions extends BenchTarget {
  bucket: string;
  prefix: string;
  /** Reuse this job (a rerun); otherwise a new job with this id is created. */
  jobId: string;
  statsFile: string;
  /** Engine tuning to explore (`--tuning=<json>` of bench/run.ts); the benchmark's figures use the defaults. */
  tuning?: Record<string, number>;
  /** Sample each thread's CPU during the run (bench/profile.ts). */
  sampleThreads?: boolean;
  /**
   * A run of another job over `prefix` into the folder `root` first (removed after it), through the
   * same process's bounds and hash workers: the measured run is then one a running service makes
   * after another.
   */
  warmUp?: { root: string; prefix: string };
}

export interface OurSyncStats {
  status: string;
  runMs: number;
  startupMs: number;
  maxRssKb: number;
  baselineRssKb: number;
  /** The engine's own counters from its "sync run finished" log line (checkpointMs, batchCommitMs, gets …). */
  engine: Record<string, number> | null;
  objectsDone: number;
  bytesDone: number;
  error: string | null;
  /** process.hrtime of the run's start and end in µs (the clock of a .cpuprofile's timestamps). */
  runWindowUs: [number, number];
  /** process.memoryUsage() (MB) at the sample with the highest RSS during the run, sampled every 50 ms. */
  memoryAtPeak: Record<string, number>;
  /** Objects the warm-up run fetched (see `warmUp`). */
  warmUpObjects?: number;
  /** CPU time of the whole process (all threads) during the run, in ms. */
  runCpuMs: { user: number; system: number };
  /** With `sampleThreads`: CPU time per thread name during the run, in ms (Linux, sampled every 100 ms). */
  threadCpuMs?: Record<string, { user: number; system: number }>;
}

type ThreadTimes = Map<string, { name: string; user: number; system: number }>;

/** Reads a /proc file synchronously (never a disk wait), or '' when the thread has gone. */
function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Adds the current user/system CPU (ms) of each live thread, by thread id, from /proc/self/task
 * (Linux). Synchronous: through the thread pool, each file's open, fstat, read and close took the
 * main thread ~0.2 ms, ~0.2 s over a 3 s run, which the run's figures then carried.
 */
function sampleThreads(into: ThreadTimes): void {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const tid of tids) {
    const stat = readProc(`/proc/self/task/${tid}/stat`);
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const name = Number(tid) === process.pid ? 'main' : stat.slice(stat.indexOf('(') + 1, close).replace(/\d+$/, '');
    const fields = stat.slice(close + 2).split(' ');
    into.set(tid, { name, user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 });
  }
}

/** CPU used during the run per thread name: last sample minus the sample before the run (threads that ended keep their last sample). */
function threadDeltas(before: ThreadTimes, after: ThreadTimes): Record<string, { user: number; system: number }> {
  const byName: Record<string, { user: number; system: number }> = {};
  for (const [tid, last] of after) {
    const first = before.get(tid) ?? { user: 0, system: 0 };
    const entry = (byName[last.name] ??= { user: 0, system: 0 });
    entry.user += last.user - first.user;
    entry.system += last.system - first.system;
  }
  return byName;
}

const started = performance.now();
const options = JSON.parse(process.argv[2] ?? '') as OurSyncOptions;
const config = loadConfig({ ...benchServiceEnv(options), RETRY_COUNT: '1' });

// Info level, so the engine's end-of-run line (with its `stats`) is seen; only warnings and errors reach stderr.
let engine: Record<string, number> | null = null;
const stderr = pino.destination(2);
const logger = createLogger('info', {
  write(line: string) {
    const entry = JSON.parse(line) as { level: number; stats?: Record<string, number> };
    if (entry.stats && typeof entry.stats.checkpointMs === 'number') engine = entry.stats;
    if (entry.level >= 40) stderr.write(line);
  },
});
async function main(): Promise<void> {
  const orm = await initOrm(config.dbUrl);
  const bus = createEventBus();
  const slots = createProcessSlots(config, options.tuning);
  const execute = createRunExecutor({ orm, bus, config, logger, tuning: options.tuning, slots });
  const warmUpObjects = options.warmUp
    ? await warmUp(orm, options.warmUp.prefix, { orm, bus, config: { ...config, downloadRoot: options.warmUp.root }, logger, tuning: options.tuning, slots })
    : undefined;

  const runId = await startRun(orm, options.jobId || randomUUID(), options.prefix);

  const baselineRssKb = process.resourceUsage().maxRSS;
  const startupMs = performance.now() - started;
  const controller = new AbortController();
  const runStart = performance.now();
  const runStartUs = Number(process.hrtime.bigint() / 1000n);
  const cpuAtStart = process.cpuUsage();
  const threadsBefore: ThreadTimes = new Map();
  const threadsLatest: ThreadTimes = new Map();
  if (options.sampleThreads) sampleThreads(threadsBefore);
  const threadSampler = options.sampleThreads ? setInterval(() => sampleThreads(threadsLatest), 100) : undefined;
  let memoryAtPeak: NodeJS.MemoryUsage = process.memoryUsage();
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    if (now.rss > memoryAtPeak.rss) memoryAtPeak = now;
  }, 50);
  let status: string = 'FAILED';
  let error: string | null = null;
  try {
    status = await execute(runId, controller.signal);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const runMs = performance.now() - runStart;
  const runEndUs = Number(process.hrtime.bigint() / 1000n);
  const runCpu = process.cpuUsage(cpuAtStart);
  clearInterval(threadSampler);
  if (options.sampleThreads) sampleThreads(threadsLatest);
  clearInterval(sampler);

  const after = await orm.em.fork().findOneOrFail(SyncRun, { id: runId });
  const stats: OurSyncStats = {
    status,
    runMs,
    startupMs,
    maxRssKb: process.resourceUsage().maxRSS,
    baselineRssKb,
    engine,
    objectsDone: after.objectsDone,
    bytesDone: after.bytesDone,
    error: error ?? after.error,
    runWindowUs: [runStartUs, runEndUs],
    runCpuMs: { user: Math.round(runCpu.user / 1000), system: Math.round(runCpu.system / 1000) },
    threadCpuMs: options.sampleThreads ? threadDeltas(threadsBefore, threadsLatest) : undefined,
    memoryAtPeak: Object.fromEntries(Object.entries(memoryAtPeak).map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
    warmUpObjects,
  };
  await writeFile(options.statsFile, JSON.stringify(stats));
  await orm.close();
}

/**
 * A RUNNING SyncRun of job `jobId` (created RUNNING over `prefix` of the bench bucket, or set RUNNING when
 * it exists), as the scheduler starts one. Native writes, as the service's engine thread sees its rows: a
 * flush would switch on the promise hooks (plain-transaction.ts).
 */
async function startRun(orm: Orm, jobId: string, prefix: string): Promise<number> {
  const em = orm.em.fork();
  if (await em.findOne(Job, { id: jobId })) await em.nativeUpdate(Job, { id: jobId }, { status: 'RUNNING' });
  else {
    const job = new Job({ id: jobId, name: 'bench', connectorType: 'S3', bucketName: options.bucket, schedule: 'daily' });
    job.prefix = prefix;
    job.status = 'RUNNING';
    await em.insert(job);
  }
  return em.insert(new SyncRun({ jobId, trigger: 'CLI', status: 'RUNNING', startedAt: new Date() }));
}

/**
 * One run of a new job over `prefix` with these dependencies (another download folder, this process's
 * slots), its files then removed; returns the objects it fetched.
 */
async function warmUp(orm: Orm, prefix: string, deps: RunExecutorDeps): Promise<number> {
  const runId = await startRun(orm, randomUUID(), prefix);
  const status = await createRunExecutor(deps)(runId, new AbortController().signal);
  if (status !== 'SUCCEEDED') throw new Error(`warm-up run ${status}`);
  await rm(deps.config.downloadRoot, { recursive: true, force: true });
  return (await orm.em.fork().findOneOrFail(SyncRun, { id: runId })).objectsDone;
}

void main();
