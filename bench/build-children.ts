import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchFile } from './s3-fixture.js';

const TSC = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../node_modules', import.meta.url));
/** Outside the tree (no linter or test runner sees it), kept between runs so tsc can build incrementally. */
const OUT = join(tmpdir(), 'dss-bench-build');

/**
 * Compiles src/ and the children that run our code to plain JS in a temp folder, so our
 * process is measured as `npm start` runs it (compiled), without the tsx loader's start-up and memory.
 * Returns the folder, or null (the caller falls back to tsx) when compiling fails.
 */
export async function buildChildren(): Promise<string | null> {
  await mkdir(OUT, { recursive: true });
  await writeFile(join(OUT, 'package.json'), '{ "type": "module" }\n');
  await linkNodeModules(join(OUT, 'node_modules'));
  const args = [TSC, '-p', benchFile('./tsconfig.children.json'), '--outDir', OUT, '--tsBuildInfoFile', join(OUT, '.tsbuildinfo')];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) console.error(`compiling for the benchmark failed, using tsx instead:\n${output.slice(-2000)}`);
      resolve(code === 0 ? join(OUT, 'bench') : null);
    });
  });
}

/** The folder is shared by every checkout on the machine: the link must name this checkout's modules. */
async function linkNodeModules(link: string): Promise<void> {
  if ((await readlink(link).catch(() => null)) === NODE_MODULES) return;
  await rm(link, { force: true });
  await symlink(NODE_MODULES, link, 'dir');
}

/** The node flags of `npm start` (package.json), so the children run as the service does. */
export const SERVICE_NODE_FLAGS: string[] = (() => {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts?: Record<string, string> };
  const flags = /\bnode((?:\s+--\S+)*)\s/.exec(manifest.scripts?.start ?? '')?.[1] ?? '';
  return flags.split(/\s+/).filter(Boolean);
})();

/** The environment `npm start` gives the service (see package.json), so the children run as it does. */
export const SERVICE_ENV: NodeJS.ProcessEnv = { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' };

/** How to start one of our children: compiled when available, else through tsx. */
export function childCommand(build: string | null, name: 'our-sync-child' | 'api-server-child'): string[] {
  return build ? [...SERVICE_NODE_FLAGS, join(build, `${name}.js`)] : [...SERVICE_NODE_FLAGS, '--openssl-legacy-provider', '--import', 'tsx', benchFile(`./${name}.ts`)];
}
