import { constants } from 'node:fs';
import { link, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Another live process on this host is syncing the same job folder. */
export class RunLockedError extends Error {
  override name = 'RunLockedError';
  constructor(readonly holderPid: number) {
    super(`another process (pid ${holderPid}) is syncing this job into the same folder; this run fetched nothing`);
  }
}

export interface RunLock {
  release(): Promise<void>;
}

/**
 * One sync per job folder at a time across processes on this host (the service and `npm run sync`):
 * `<dir>/run.lock` holds the owner's pid. It is created by hard-linking a file that already holds the
 * pid, so no reader ever sees it empty. A lock whose process is gone (kill -9, a crash) is taken over;
 * so is one left by this very process, whose runner already allows one run per job.
 */
export async function acquireRunLock(dir: string): Promise<RunLock> {
  const path = join(dir, 'run.lock');
  const mine = join(dir, `run.lock.${process.pid}`);
  // Never through a link planted at this predictable name: a fresh file, created here (O_EXCL, O_NOFOLLOW).
  await unlink(mine).catch(() => {});
  const file = await open(mine, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    await file.writeFile(`${process.pid}\n`);
  } finally {
    await file.close();
  }
  try {
    if (await tryLink(mine, path)) return { release: () => releaseIfMine(path) };
    const holder = await readPid(path);
    if (holder !== null && holder !== process.pid && (await holdsLock(holder, path))) throw new RunLockedError(holder);
    await unlink(path).catch(() => {});
    if (await tryLink(mine, path)) return { release: () => releaseIfMine(path) };
    // Another process took the stale lock over between our unlink and link.
    throw new RunLockedError((await readPid(path)) ?? Number.NaN);
  } finally {
    await unlink(mine).catch(() => {});
  }
}

async function tryLink(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function releaseIfMine(path: string): Promise<void> {
  if ((await readPid(path)) === process.pid) await unlink(path).catch(() => {});
}

async function readPid(path: string): Promise<number | null> {
  const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * The process `pid` is alive and is the one that wrote the lock: on Linux a process that started
 * after the lock file was written is an unrelated process that reused the pid.
 */
async function holdsLock(pid: number, path: string): Promise<boolean> {
  if (!isAlive(pid)) return false;
  const [started, written] = await Promise.all([processStartMs(pid), stat(path).then((s) => s.mtimeMs, () => null)]);
  return started === null || written === null || started <= written + 1000;
}

/** When `pid` started (ms since the epoch), from /proc; null where /proc cannot tell. */
async function processStartMs(pid: number): Promise<number | null> {
  try {
    const [stat, system] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile('/proc/stat', 'utf8')]);
    const ticksSinceBoot = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(system)?.[1]);
    // USER_HZ is 100 on every Linux architecture Node runs on.
    const started = bootSeconds * 1000 + ticksSinceBoot * 10;
    return Number.isFinite(started) ? started : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
