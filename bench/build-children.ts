import { readFileSync } from 'node:fs';
import { mkdir, readlink, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServer, SERVICE_ENTRIES } from '../scripts/build-server.js';
import { benchFile } from './s3-fixture.js';

const NODE_MODULES = fileURLToPath(new URL('../node_modules', import.meta.url));
/** Outside the tree (no linter or test runner sees it). */
const OUT = join(tmpdir(), 'dss-bench-build');

/**
 * Bundles the children that run our code, with the service's entry points and the build of
 * `npm run build` (scripts/build-server.ts), into a temp folder, so our process is measured as
 * `npm start` runs it, without the tsx loader's start-up and memory.
 * Returns the folder, or null (the caller falls back to tsx) when the build fails.
 */
export async function buildChildren(): Promise<string | null> {
  try {
    await mkdir(OUT, { recursive: true });
    await buildServer(OUT, {
      ...SERVICE_ENTRIES,
      'our-sync-child': benchFile('./our-sync-child.ts'),
      'api-server-child': benchFile('./api-server-child.ts'),
      'node-floor-child': benchFile('./node-floor-child.ts'),
    });
    await linkNodeModules(join(OUT, 'node_modules'));
    return OUT;
  } catch (err) {
    console.error(`bundling for the benchmark failed, using tsx instead: ${(err as Error).message}`);
    return null;
  }
}

/** The folder is shared by every checkout on the machine: the link must name this checkout's modules. */
async function linkNodeModules(link: string): Promise<void> {
  if ((await readlink(link).catch(() => null)) === NODE_MODULES) return;
  await rm(link, { force: true });
  await symlink(NODE_MODULES, link, 'dir');
}

/** The Node flags of an npm script's last `node` command (package.json), so children run as that script runs them. */
function nodeFlagsOf(script: 'start' | 'sync'): string[] {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts?: Record<string, string> };
  const command = (manifest.scripts?.[script] ?? '').split('&&').at(-1) ?? '';
  const flags = /\bnode((?:\s+--\S+)*)\s/.exec(command)?.[1] ?? '';
  return flags.split(/\s+/).filter(Boolean);
}

/** The node flags of `npm start`, so the children run as the service does. */
export const SERVICE_NODE_FLAGS = nodeFlagsOf('start');
/** The node flags of `npm run sync` (the CLI). */
export const CLI_NODE_FLAGS = nodeFlagsOf('sync');

/** The environment `npm start` gives the service (see package.json), so the children run as it does. */
export const SERVICE_ENV: NodeJS.ProcessEnv = { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' };

/** How to start one of our children: compiled when available, else through tsx. */
export function childCommand(build: string | null, name: 'our-sync-child' | 'api-server-child' | 'node-floor-child'): string[] {
  return build ? [...SERVICE_NODE_FLAGS, join(build, `${name}.js`)] : [...SERVICE_NODE_FLAGS, '--openssl-legacy-provider', '--import', 'tsx', benchFile(`./${name}.ts`)];
}
