import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProcessResult {
  /** Spawn to exit, measured by the harness. */
  wallMs: number;
  /** Peak resident set of the process (and its waited-for children), from /usr/bin/time. */
  maxRssKb: number | null;
  /** CPU time (user + system) of the process and its waited-for children, from /usr/bin/time. */
  cpuMs: number | null;
  code: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  cwd?: string;
}

const TIME = '/usr/bin/time';
let timeAvailable: boolean | undefined;

async function hasTime(): Promise<boolean> {
  if (timeAvailable === undefined) timeAvailable = (await runRaw(TIME, ['-f', '%M', 'true'], { timeoutMs: 5_000 })).code === 0;
  return timeAvailable;
}

function runRaw(command: string, args: string[], options: RunOptions): Promise<Omit<ProcessResult, 'maxRssKb' | 'cpuMs'>> {
  return new Promise((resolve) => {
    const started = performance.now();
    // Its own process group, killed whole at the timeout: a wrapper (a version manager's shim, /usr/bin/time)
    // killed alone leaves the real process running with our pipes open, and 'close' would never come.
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-200_000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ wallMs: performance.now() - started, code: -1, timedOut, stdout, stderr: stderr + String(error) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ wallMs: performance.now() - started, code, timedOut, stdout, stderr });
    });
  });
}

/** Runs a command to completion (or kills it at the timeout) and reads its peak RSS with /usr/bin/time. */
export async function runMeasured(command: string, args: string[], options: RunOptions): Promise<ProcessResult> {
  if (!(await hasTime())) return { ...(await runRaw(command, args, options)), maxRssKb: null, cpuMs: null };
  const dir = await mkdtemp(join(tmpdir(), 'bench-time-'));
  const out = join(dir, 'rss');
  try {
    const result = await runRaw(TIME, ['-f', '%M %U %S', '-o', out, command, ...args], options);
    const last = (await readFile(out, 'utf8').catch(() => '')).trim().split('\n').pop() ?? '';
    const [rss, user, system] = last.split(' ').map(Number);
    const cpuSeconds = (user ?? Number.NaN) + (system ?? Number.NaN);
    return { ...result, maxRssKb: Number.isFinite(rss) ? rss! : null, cpuMs: Number.isFinite(cpuSeconds) ? cpuSeconds * 1000 : null };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function commandExists(command: string): Promise<boolean> {
  const result = await runRaw('sh', ['-c', `command -v ${command}`], { timeoutMs: 5_000 });
  return result.code === 0;
}
