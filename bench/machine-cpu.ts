import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ, the unit of /proc/stat: 100 on every architecture it supports. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time the whole machine has been busy since boot (/proc/stat: user, nice, system, irq and
 * softirq; idle, iowait and steal left out), in ms; null where there is no /proc/stat.
 * It counts what no process's own CPU time shows: the kernel's writeback threads, which write a
 * tool's data to disk after the tool returns unless the tool fdatasyncs (then its own thread does).
 */
export function machineBusyMs(): number | null {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return null;
  }
  const [user, nice, system, , , irq, softirq] = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  const ticks = [user, nice, system, irq, softirq];
  return ticks.every((t) => Number.isFinite(t)) ? (ticks.reduce((a, b) => a! + b!, 0)! * 1000) / TICKS_PER_SECOND : null;
}

/** Writes every dirty page of the file system holding `dir` to disk (`sync -f`), and waits for it. */
export function flushFileSystem(dir: string): void {
  spawnSync('sync', ['-f', dir], { stdio: 'ignore' });
}
