// `--phases=service` of the huge-listing bench: the service itself (dist/main.js with the node flags
// and environment of `npm start`) syncs the job, as operators run it: the run a new job starts at
// once, then a no-op rerun triggered through REST, while the same process answers deep object pages.
// Peak RSS is the process's high-water mark (VmHWM), reset between the runs.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { SERVICE_ENV, SERVICE_NODE_FLAGS } from './build-children.js';

const ROOT = join(import.meta.dirname, '..');

export interface ServiceRun {
  runId: string;
  status: string;
  error: string | null;
  objectsDone: number;
  /** The run row's own start to finish. */
  wallMs: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Builds dist/ when the sources changed (npm start's pre-step) and starts the service on a free loopback port. */
export async function startService(env: NodeJS.ProcessEnv) {
  const build = spawnSync(process.execPath, ['scripts/build-if-changed.mjs'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building dist/ failed');
  const port = await freePort();
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, 'dist/main.js'], {
    cwd: ROOT,
    env: { ...SERVICE_ENV, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = once(child, 'exit');
  const base = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries += 1) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    if ((await fetch(`${base}/readyz`).catch(() => null))?.ok) break;
    if (tries > 600) throw new Error('the service did not become ready in 60 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const latestRun = async (jobId: string) => {
    const response = await post('/graphql', {
      query: 'query($jobId: ID!) { runs(jobId: $jobId, first: 1) { edges { node { id status error objectsDone startedAt finishedAt } } } }',
      variables: { jobId },
    });
    const data = response.data as { runs: { edges: Array<{ node: { id: string; status: string; error: string | null; objectsDone: number; startedAt: string; finishedAt: string | null } }> } };
    return data.runs.edges[0]?.node;
  };

  return {
    base,
    /** Creates the job (its first run starts at once) and returns its id. */
    async createJob(bucket: string): Promise<string> {
      const body = { job_name: 'huge', connector_type: 'S3', schedule: 'daily', connector_config: { bucket_name: bucket, prefix: '' } };
      return String((await post('/api/v1/scheduler/create_job', body)).job_id);
    },
    async trigger(jobId: string): Promise<void> {
      await post('/api/v1/scheduler/trigger_job', { job_id: jobId });
    },
    /** Waits for the job's newest run other than `previousRunId` to finish. */
    async runFinished(jobId: string, previousRunId?: string): Promise<ServiceRun> {
      for (;;) {
        const run = await latestRun(jobId);
        if (run && run.id !== previousRunId && run.finishedAt) {
          const wallMs = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
          return { runId: run.id, status: run.status, error: run.error, objectsDone: run.objectsDone, wallMs };
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    },
    /** The peak RSS since the start or the last reset, in kB. */
    async peakRssKb(): Promise<number> {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    },
    async resetPeakRss(): Promise<void> {
      await writeFile(`/proc/${child.pid}/clear_refs`, '5');
    },
    async stop(): Promise<void> {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
