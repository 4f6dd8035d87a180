import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { DASHBOARD_DIST } from '../../scripts/build-dashboard.js';
import { buildServer } from '../../scripts/build-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The service built as `npm run build` builds it (`main.js`, `sync-cli.js`, …), for the tests that start it as a process. */
    serviceBundleDir: string;
  }
}

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Global setup of both passes: the service's bundle, built once into a temp folder and removed at
 * the end. A child process started from it costs ~0.5 s of CPU, against 2.5–4 s through tsx (which
 * loads and transpiles hundreds of modules), and a pass starts dozens of them.
 */
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), 'dss-test-bundle-'));
  try {
    await buildServer(dir);
    // As in <repo>/dist: the externals from node_modules, the dashboard's folder.
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await symlink(DASHBOARD_DIST, join(dir, 'dashboard'), 'dir');
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  project.provide('serviceBundleDir', dir);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
