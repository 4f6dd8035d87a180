import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard, DASHBOARD_DIST } from '../../scripts/build-dashboard.js';
import { CLI_NODE_FLAGS, SERVICE_NODE_FLAGS } from '../../bench/build-children.js';
import { gqlData, http } from '../helpers/clients.js';
import { freshDbUrl } from '../helpers/db-url.js';
import { seededBytes, sha256, sha256File } from '../helpers/files.js';
import { waitFor } from '../helpers/poll.js';
import { startS3Server } from '../helpers/s3-server.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MiB = 1024 * 1024;

/**
 * What `npm run build` ships, run as `npm start` and `npm run sync` run it: built by the script's
 * command line, with the dashboard built beside it and a code cache of its own (the other tests'
 * child processes share the pass's bundle, test/setup/global-bundle.ts), so this is where the
 * bundle's own ways of finding things (the hash worker's module, the dashboard's folder, the lazily
 * loaded database driver and GraphiQL) and its code cache are tried.
 */
describe('the built service (dist/)', () => {
  let dist: string;

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'dss-dist-'));
    const built = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/build-server.ts'), '--outdir', dist], { encoding: 'utf8' });
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    await buildDashboard();
    await symlink(DASHBOARD_DIST, join(dist, 'dashboard'), 'dir');
    // The externals (better-sqlite3, pg) resolve from the folder of the bundle, as from <repo>/dist.
    await symlink(join(ROOT, 'node_modules'), join(dist, 'node_modules'), 'dir');
  }, 60_000);

  afterAll(async () => {
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  it('serves the API, GraphiQL and the dashboard, syncs a job (a large object hashed on the worker) and runs the CLI', async () => {
    await using s3 = await startS3Server();
    const large = seededBytes(65 * MiB, 7);
    await s3.putObjects([
      ['in/large.bin', large],
      ['in/small.txt', 'small'],
    ]);
    const work = await mkdtemp(join(tmpdir(), 'dss-built-'));
    const env = {
      PATH: process.env.PATH ?? '',
      ...s3.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DB_URL: await freshDbUrl(work),
      DOWNLOAD_ROOT_FOLDER: join(work, 'downloads'),
      NODE_OPTIONS: '--openssl-legacy-provider',
    };
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, join(dist, 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const port = await waitFor(() => /"port":(\d+)[^\n]*"msg":"listening"/.exec(stdout)?.[1], 20_000, `the service to listen (${stderr})`);
      const url = `http://127.0.0.1:${port}`;
      const api = { url, graphqlUrl: `${url}/graphql` };

      const created = await http(api, 'POST', '/api/v1/scheduler/create_job', {
        job_name: 'built',
        connector_type: 'S3',
        connector_config: { bucket_name: s3.bucket, prefix: 'in/' },
        schedule: 'daily',
      });
      expect(created.status).toBe(200);
      const jobId = (created.body as { job_id: string }).job_id;
      const RUN = `query ($id: ID!) { job(id: $id) { lastRun { status error } } }`;
      const run = await waitFor(async () => {
        const last = (await gqlData<{ job: { lastRun: { status: string; error: string | null } | null } }>(api, RUN, { id: jobId })).job.lastRun;
        return last && last.status !== 'RUNNING' ? last : undefined;
      }, 60_000, 'the run to finish');
      expect(run).toEqual({ status: 'SUCCEEDED', error: null });
      expect(await sha256File(join(work, 'downloads', jobId, 'in/large.bin'))).toBe(sha256(large));

      const graphiql = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
      expect(graphiql.status).toBe(200);
      expect(await graphiql.text()).toContain('<title>');
      const dashboard = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
      expect(dashboard.status).toBe(200);
      const asset = /\/assets\/[\w-]+\.js/.exec(await dashboard.text())?.[0];
      expect(asset).toBeDefined();
      expect((await fetch(`${url}${asset}`)).status).toBe(200);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // Its compiled code, saved on exit for the next start (src/config/code-cache.ts).
      const cachedBundles = async () => (await readdir(join(dist, '.code-cache'))).map((name) => name.split('.cjs.')[0]);
      expect(await cachedBundles()).toContain('main');

      // The CLI of `npm run sync` on the same database: nothing left to fetch, exit 0. Not spawnSync:
      // the S3 server answers from this process.
      const cli = spawn(process.execPath, [...CLI_NODE_FLAGS, join(dist, 'sync-cli.js'), '--job', jobId], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let cliOutput = '';
      cli.stdout.on('data', (d: Buffer) => (cliOutput += d.toString()));
      cli.stderr.on('data', (d: Buffer) => (cliOutput += d.toString()));
      expect(await new Promise((resolve) => cli.once('exit', resolve)), cliOutput).toBe(0);
      const summary = cliOutput.trim().split('\n').at(-1)!;
      expect(JSON.parse(summary)).toMatchObject({ status: 'SUCCEEDED', objectsTotal: 2 });
      expect(await cachedBundles()).toEqual(expect.arrayContaining(['main', 'sync-cli']));
    } finally {
      child.kill('SIGKILL');
      await rm(work, { recursive: true, force: true });
    }
  }, 120_000);
});
