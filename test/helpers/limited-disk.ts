import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether this machine lets the tests mount a size-limited tmpfs (root, or a container allowing mounts). */
export const canMountTmpfs: boolean = (() => {
  const probe = mkdtempSync(join(tmpdir(), 'dss-mount-probe-'));
  const mounted = run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
  if (mounted) run('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return mounted;
})();

/** Whether `chattr +i` works here (root on a file system with the immutable flag): a real EPERM, even for root. */
export const canMakeImmutable: boolean = (() => {
  const probe = mkdtempSync(join(tmpdir(), 'dss-chattr-probe-'));
  const ok = run('chattr', ['+i', probe]) && run('chattr', ['-i', probe]);
  rmSync(probe, { recursive: true, force: true });
  return ok;
})();

/** A tmpfs of `size` (e.g. `1m`) mounted at `dir` (created); `resize` grows or shrinks it in place. */
export function mountTmpfs(dir: string, size: string) {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return {
    resize: (next: string) => execFileSync('mount', ['-o', `remount,size=${next}`, dir]),
    [Symbol.dispose]: () => execFileSync('umount', ['-l', dir]),
  };
}

/** Sets or clears the immutable flag: nothing can be created, renamed or removed in the folder, by anyone. */
export function setImmutable(dir: string, on: boolean): void {
  execFileSync('chattr', [on ? '+i' : '-i', dir]);
}
