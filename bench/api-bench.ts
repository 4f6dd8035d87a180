import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { encodeCursor } from '../src/services/pagination.js';
import type { ChildProcess } from 'node:child_process';
import type { ApiChildOptions, ApiChildReady, LoopDelay } from './api-server-child.js';
import { CHUNK_SIZE, CONCURRENCY } from './our-sync.js';
import { childCommand, SERVICE_ENV } from './build-children.js';
import type { S3Fixture } from './s3-fixture.js';

export interface ApiMeasurement {
  route: 'graphql' | 'rest';
  phase: 'idle' | 'during sync';
  p50: number;
  p99: number;
  max: number;
  requestsPerSecond: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** During-sync phase: object GETs the server answered in the window, and whether the run was still going at its end. */
  syncGets?: number;
  syncStillRunning?: boolean;
  /** The service's event-loop delay (ms) during the measurement. */
  loopDelay?: { p50: number; p99: number; max: number };
}

export interface ApiResult {
  rows: number;
  seedMs: number;
  connections: number;
  seconds: number;
  measurements: ApiMeasurement[];
  idleP99?: number;
  busyP99?: number;
  notes: string[];
}

const CONNECTIONS = 1;
const GRAPHQL = `query Deep($jobId: ID!, $after: String) {
  objects(jobId: $jobId, first: 100, after: $after) {
    totalCount
    edges { cursor node { id key size lastPosition status localPath etag updatedAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface Request {
  route: ApiMeasurement['route'];
  url: string;
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string };
  check(body: unknown): string | null;
}

function requests(base: string, ready: ApiChildReady): Request[] {
  const offset = Math.floor(ready.rows * 0.9);
  const body = JSON.stringify({ query: GRAPHQL, variables: { jobId: ready.jobId, after: encodeCursor('objects', [ready.deepAfterId]) } });
  return [
    {
      route: 'graphql',
      url: `${base}/graphql`,
      init: { method: 'POST', headers: { 'content-type': 'application/json' }, body },
      check: (b) => {
        const r = b as { data?: { objects?: { edges?: unknown[] } }; errors?: unknown };
        return r.errors ? `errors: ${JSON.stringify(r.errors).slice(0, 300)}` : r.data?.objects?.edges?.length === 100 ? null : 'not 100 edges';
      },
    },
    {
      route: 'rest',
      url: `${base}/api/v1/jobs/${ready.jobId}/objects?limit=100&offset=${offset}`,
      init: { method: 'GET' },
      check: (b) => {
        const r = b as { objects?: { id: number }[] };
        return r.objects?.length === 100 && r.objects[0]?.id === ready.deepFirstId ? null : `unexpected body ${JSON.stringify(b).slice(0, 200)}`;
      },
    },
  ];
}

async function cannon(child: ChildProcess, request: Request, seconds: number): Promise<Omit<ApiMeasurement, 'route' | 'phase'>> {
  child.send({ type: 'loop-start' });
  const result = await autocannon({ url: request.url, ...request.init, connections: CONNECTIONS, duration: seconds });
  const delay = once(child, 'message').then(([m]) => m as LoopDelay);
  child.send({ type: 'loop-stop' });
  const { p50, p99, max } = await delay;
  return {
    loopDelay: { p50, p99, max },
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function jobStatus(base: string, jobId: string): Promise<string | undefined> {
  const response = await fetch(`${base}/api/v1/scheduler/list_jobs?job_id=${jobId}`);
  return ((await response.json()) as { job?: { job_status?: string } }).job?.job_status;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Starts a sync of the whole bench bucket through the public API, measures, then deletes the job (cancelling it). */
async function duringSync(
  child: ChildProcess,
  base: string,
  fixture: S3Fixture,
  request: Request,
  seconds: number,
  notes: string[],
): Promise<ApiMeasurement | undefined> {
  await fixture.counts(true);
  const created = await fetch(`${base}/api/v1/scheduler/create_job`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ job_name: `busy-${request.route}`, connector_type: 'S3', schedule: 'daily', connector_config: { bucket_name: 'bench', prefix: '' } }),
  });
  const { job_id: jobId } = (await created.json()) as { job_id?: string };
  if (!jobId) {
    notes.push(`could not create the sync job: HTTP ${created.status}`);
    return undefined;
  }
  try {
    const gotGets = await waitFor(async () => (await fixture.counts()).get > 0, 15_000);
    if (!gotGets) notes.push(`${request.route}: the sync made no object GET within 15 s`);
    await fixture.counts(true);
    const figures = await cannon(child, request, seconds);
    const syncGets = (await fixture.counts(true)).get;
    const syncStillRunning = (await jobStatus(base, jobId)) === 'RUNNING';
    return { route: request.route, phase: 'during sync', ...figures, syncGets, syncStillRunning };
  } finally {
    await fetch(`${base}/api/v1/scheduler/delete_job`, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ job_id: jobId }) });
  }
}

export async function runApiBench(opts: {
  root: string;
  fixture: S3Fixture;
  rows: number;
  seconds: number;
  build: string | null;
  log: (line: string) => void;
}): Promise<ApiResult> {
  const { root, fixture, rows, seconds, log } = opts;
  const childOptions: ApiChildOptions = {
    dbFile: join(root, 'api', 'api.db'),
    downloadRoot: join(root, 'api', 'downloads'),
    endpoint: fixture.endpoint,
    rows,
    chunkSize: CHUNK_SIZE,
    concurrency: CONCURRENCY,
  };
  const [script, ...execArgv] = childCommand(opts.build, 'api-server-child').reverse();
  const child = fork(script!, [JSON.stringify(childOptions)], { execArgv: execArgv.reverse(), env: SERVICE_ENV, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = once(child, 'exit');
  const notes: string[] = [];
  const result: ApiResult = { rows, seedMs: 0, connections: CONNECTIONS, seconds, measurements: [], notes };
  try {
    let timer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      once(child, 'message').then(([message]) => message as ApiChildReady),
      exited.then(([code]) => Promise.reject(new Error(`API server child exited with ${code}`))),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('API server child did not start within 120 s')), 120_000))),
    ]).finally(() => clearTimeout(timer));
    result.seedMs = ready.seedMs;
    log(`  ${rows} rows inserted in ${(ready.seedMs / 1000).toFixed(2)} s; service on port ${ready.port}`);
    const base = `http://127.0.0.1:${ready.port}`;
    const usable: Request[] = [];
    for (const request of requests(base, ready)) {
      const response = await fetch(request.url, request.init);
      const problem = response.ok ? request.check(await response.json()) : `HTTP ${response.status}`;
      if (problem) notes.push(`${request.route} skipped: ${problem}`);
      else usable.push(request);
    }
    for (const request of usable) {
      const m = { route: request.route, phase: 'idle' as const, ...(await cannon(child, request, seconds)) };
      result.measurements.push(m);
      log(`  ${m.route} idle: p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.requestsPerSecond.toFixed(0)} req/s`);
    }
    for (const request of usable) {
      const m = await duringSync(child, base, fixture, request, seconds, notes);
      if (!m) continue;
      result.measurements.push(m);
      log(`  ${m.route} during sync: p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.requestsPerSecond.toFixed(0)} req/s, ${m.syncGets} GETs served, still running: ${m.syncStillRunning}`);
    }
  } finally {
    if (child.exitCode === null) {
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  }
  const worst = (phase: ApiMeasurement['phase']) => {
    const list = result.measurements.filter((m) => m.phase === phase).map((m) => m.p99);
    return list.length ? Math.max(...list) : undefined;
  };
  result.idleP99 = worst('idle');
  result.busyP99 = worst('during sync');
  if (result.measurements.length < 4) notes.push('API targets judged on the routes that could be measured');
  return result;
}
