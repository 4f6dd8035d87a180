import { runMeasured, type ProcessResult, type RunOptions } from './measure.js';

/** Where one measured run reads from and writes to. */
export interface RunTarget {
  endpoint: string;
  bucket: string;
  /** Key prefix ending in `/`. */
  prefix: string;
  /** Local destination folder (kept between runs of a no-op scenario). */
  dest: string;
  /** Scratch folder for this tool in this scenario (config files, databases), kept between its runs. */
  workDir: string;
  /** Requests kept in flight by the raw-GET baseline. */
  inflight: number;
  timeoutMs: number;
}

export interface ToolRun {
  /** The figure compared across tools (see each tool's `timing` note). */
  wallMs: number;
  maxRssKb: number | null;
  /** CPU time (user + system) of the tool's whole process, start-up included. */
  cpuMs: number | null;
  ok: boolean;
  error?: string;
  /**
   * Our sync only: time spent committing state, summed over objects in flight: chunk checkpoints
   * (fdatasync + row commit), small files' file system syncs (or fdatasyncs) and their batched row commits, as the engine reports them.
   */
  checkpointMs?: number;
  /** Our sync only: the engine's counters for the run. */
  engine?: Record<string, number>;
  /** Our sync only: CPU time (user + system) of the child during the run itself, without start-up. */
  runCpuMs?: number;
  /** Our sync only: spawn-to-exit of the child, including start-up and opening the database. */
  processWallMs?: number;
  /** Our sync only: RSS after start-up, before the run. */
  baselineRssKb?: number;
  /** Our sync only: process.memoryUsage() in MB when RSS peaked. */
  memoryAtPeak?: Record<string, number>;
  /**
   * The runs of the same data the server served during this tool's process, in measured runs (ours
   * on a later run: 1 plus the run before it, in proportion to its objects: 2 where it fetched the same
   * data); its request counts and CPU are divided by it, to be one run's.
   */
  runsServed?: number;
}

export interface Tool {
  name: string;
  /** What `wallMs` covers, printed under the table. */
  timing: string;
  /** null when usable, else why the tool is skipped. */
  unavailable(): Promise<string | null>;
  run(target: RunTarget): Promise<ToolRun>;
}

export function failure(result: { code: number | null; timedOut: boolean; stderr: string }): string | undefined {
  if (result.timedOut) return 'timed out';
  if (result.code !== 0) return `exit ${result.code}: ${result.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`;
  return undefined;
}

/** A tool timed as its whole process: spawn to exit, with peak RSS and CPU from /usr/bin/time. */
export function processRun(result: ProcessResult): ToolRun {
  const error = failure(result);
  return { wallMs: result.wallMs, maxRssKb: result.maxRssKb, cpuMs: result.cpuMs, ok: !error, error };
}

/**
 * A baseline child that times its own work and prints `{ totalMs }` as its last stdout line: that
 * time is the figure compared, with the whole process's peak RSS and CPU.
 */
export async function selfTimedChild(args: string[], options: RunOptions): Promise<ToolRun> {
  const result = await runMeasured(process.execPath, args, options);
  if (failure(result)) return processRun(result);
  const stats = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as { totalMs: number };
  return { wallMs: stats.totalMs, maxRssKb: result.maxRssKb, cpuMs: result.cpuMs, ok: true, processWallMs: result.wallMs };
}
