import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker whose module is `name` beside the calling module (`from`: its
 * `import.meta.url`): in dist/ an entry point of the bundle (`<name>.js`); from src (vitest, tsx)
 * its TypeScript source, imported through tsx's API, since a worker's entry does not go through
 * tsx's loader otherwise.
 */
export function startWorkerModule(name: string, from: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options);
  const source = new URL(`./${name}.ts`, from).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => tsx.tsImport(${JSON.stringify(source)}, ${JSON.stringify(from)}))`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/**
 * Linux: sets the calling thread's nice value (the thread's, not the process's), so the thread
 * serving the API wins the CPU when both want it. Elsewhere, or when not allowed, nothing changes.
 */
export function niceThisThread(nice: number): void {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
  } catch {
    // Not Linux, or not allowed: the process's priority.
  }
}
