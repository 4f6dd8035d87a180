// The service's API (buildApp, its sync engine replaced by one that never runs) over the huge-listing
// bench's SQLite file, in its own process: while the CLI syncs, it asks for deep object pages one
// after another (REST at offset 90% of the job's rows, then GraphQL after that page's first id, then
// a pause, so the sampling does not take a core from the run it measures) and reports their latencies.
import { pino } from 'pino';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/config/logger.js';
import { buildApp } from '../src/server.js';
import { encodeCursor } from '../src/services/pagination.js';

export interface ApiSamples {
  type: 'samples';
  rest: number[];
  graphql: number[];
  errors: string[];
}

const jobId = process.argv[2];
if (!process.send || !jobId) throw new Error('huge-api-child.ts needs an IPC channel and a job id');
const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' } as Record<string, string>);
const app = await buildApp(config, { logger: createLogger('warn', pino.destination(2)), execute: async () => 'CANCELLED' as const });
const { port } = await app.start();
const base = `http://127.0.0.1:${port}`;
const QUERY = `query Deep($jobId: ID!, $after: String) {
  objects(jobId: $jobId, first: 100, after: $after) {
    totalCount
    edges { node { id key size lastPosition status localPath etag updatedAt } }
  }
}`;

const PAUSE_MS = 250;
let sampling: Promise<void> | undefined;
let stop = false;
let samples: ApiSamples = { type: 'samples', rest: [], graphql: [], errors: [] };

async function timed<T>(into: number[], request: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await request();
  into.push(performance.now() - started);
  return result;
}

async function sample(): Promise<void> {
  let total = 0;
  while (!stop) {
    try {
      const offset = Math.floor(total * 0.9);
      const rest = await timed(samples.rest, async () => {
        const response = await fetch(`${base}/api/v1/jobs/${jobId}/objects?limit=100&offset=${offset}`);
        return (await response.json()) as { total_objects?: number; objects?: Array<{ id: number }> };
      });
      total = rest.total_objects ?? 0;
      const after = rest.objects?.[0] ? encodeCursor([rest.objects[0].id]) : null;
      await timed(samples.graphql, async () => {
        const response = await fetch(`${base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: QUERY, variables: { jobId, after } }),
        });
        const body = (await response.json()) as { errors?: unknown };
        if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 200));
      });
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    } catch (error) {
      if (samples.errors.length < 5) samples.errors.push(String(error));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'start') {
    stop = false;
    samples = { type: 'samples', rest: [], graphql: [], errors: [] };
    sampling = sample();
  } else if (message.type === 'stop') {
    stop = true;
    void sampling?.then(() => process.send?.(samples));
  } else if (message.type === 'exit') {
    void app.stop().then(() => process.exit(0));
  }
});
process.on('disconnect', () => void app.stop().then(() => process.exit(0)));
process.send({ type: 'ready' });
