import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runMeasured } from './measure.js';
import type { OurSyncOptions, OurSyncStats } from './our-sync-child.js';
import { childCommand, SERVICE_ENV } from './build-children.js';
import { ensureMigratedDatabase } from './migrated-db.js';
import { failure, processRun, type RunTarget, type Tool } from './tool.js';

export const CHUNK_SIZE = 8 * 1024 * 1024;
export const CONCURRENCY = 8;
const EXECUTOR = new URL('../src/sync/run-executor.ts', import.meta.url);

/** The name of our sync with FILE_SYNC=file: small files fdatasync'ed one by one, as before the group sync. */
export const OURS_PER_FILE_SYNC = 'this service, FILE_SYNC=file';
/** The name of our sync measured on a run after another one in the same process, as a running service makes it. */
export const OURS_SECOND_RUN = 'this service, a later run';

/** A run after another job's in the same process: the other job's prefix (default: the same data). */
export interface LaterRun {
  warmUpPrefix?: string;
}

/**
 * Our engine, run as a scheduled run would be, in a child process; `wallMs` is the run itself.
 * `file` runs it with FILE_SYNC=file (named OURS_PER_FILE_SYNC); a `LaterRun` measures a run made
 * after another job's in the same process (named OURS_SECOND_RUN), its CPU that run's alone.
 */
export function ourSync(
  build: string | null,
  chunkSize = CHUNK_SIZE,
  concurrency = CONCURRENCY,
  tuning?: Record<string, number>,
  variant?: 'file' | LaterRun,
): Tool {
  const fileSync = variant === 'file' ? 'file' : undefined;
  const laterRun = typeof variant === 'object' ? variant : undefined;
  return {
    name: fileSync ? OURS_PER_FILE_SYNC : laterRun ? OURS_SECOND_RUN : 'this service',
    timing: laterRun
      ? 'a run after another job\'s run in the same child (its bounds and hash workers shared, as in the service); its CPU is that run\'s alone'
      : `the run inside the child (createRunExecutor call to return; ${build ? 'compiled JS' : 'through tsx'}); start-up and DB open are reported apart`,
    async unavailable() {
      const source = await readFile(EXECUTOR, 'utf8');
      return /PLACEHOLDER/.test(source.slice(0, 400)) ? 'src/sync/run-executor.ts is still the placeholder' : null;
    },
    async run(target: RunTarget) {
      const jobFile = join(target.workDir, 'job-id');
      const jobId = (await readFile(jobFile, 'utf8').catch(() => '')) || randomUUID();
      await writeFile(jobFile, jobId);
      const options: OurSyncOptions = {
        dbFile: join(target.workDir, 'bench.db'),
        downloadRoot: target.dest,
        endpoint: target.endpoint,
        bucket: target.bucket,
        prefix: target.prefix,
        chunkSize,
        concurrency,
        jobId,
        statsFile: join(target.workDir, 'stats.json'),
        tuning,
        fileSync,
        warmUp: laterRun && { root: join(target.workDir, 'warm-up'), prefix: laterRun.warmUpPrefix ?? target.prefix },
      };
      await ensureMigratedDatabase(options.dbFile);
      const result = await runMeasured(process.execPath, [...childCommand(build, 'our-sync-child'), JSON.stringify(options)], {
        timeoutMs: target.timeoutMs,
        env: SERVICE_ENV,
      });
      const error = failure(result);
      const stats = JSON.parse(await readFile(options.statsFile, 'utf8').catch(() => 'null')) as OurSyncStats | null;
      await writeFile(options.statsFile, 'null');
      if (error || !stats) return { ...processRun(result), ok: false, error: error ?? 'no stats written' };
      const runError = stats.status === 'SUCCEEDED' ? undefined : `run ${stats.status}: ${stats.error ?? ''}`;
      return {
        wallMs: stats.runMs,
        maxRssKb: stats.maxRssKb,
        cpuMs: laterRun ? stats.runCpuMs.user + stats.runCpuMs.system : result.cpuMs,
        runsServed: laterRun ? 1 + (stats.warmUpObjects ?? 0) / Math.max(1, stats.objectsDone) : 1,
        runCpuMs: stats.runCpuMs.user + stats.runCpuMs.system,
        ok: !runError,
        error: runError,
        checkpointMs: stats.engine ? (stats.engine.checkpointMs ?? 0) + (stats.engine.fileSyncMs ?? 0) + (stats.engine.batchCommitMs ?? 0) : undefined,
        engine: stats.engine ?? undefined,
        processWallMs: result.wallMs,
        baselineRssKb: stats.baselineRssKb,
        memoryAtPeak: stats.memoryAtPeak,
      };
    },
  };
}
