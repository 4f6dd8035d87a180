// Deep object pages asked of a running service one after another while a sync runs: REST at offset
// 90% of the job's rows, then GraphQL after that page's first id (with totalCount), then a pause, so
// the sampling does not take a core from the run it measures.
import { encodeCursor } from '../src/services/pagination.js';

export interface ApiSamples {
  type: 'samples';
  rest: number[];
  graphql: number[];
  errors: string[];
}

const QUERY = `query Deep($jobId: ID!, $after: String) {
  objects(jobId: $jobId, first: 100, after: $after) {
    totalCount
    edges { node { id key size lastPosition status localPath etag updatedAt } }
  }
}`;

const PAUSE_MS = 250;

async function timed<T>(into: number[], request: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await request();
  into.push(performance.now() - started);
  return result;
}

/** Samples `base`'s deep pages of `jobId` from `start()` until `stop()`, which returns the latencies. */
export function deepPageSampler(base: string, jobId: string) {
  let stopped = false;
  let samples: ApiSamples = { type: 'samples', rest: [], graphql: [], errors: [] };
  let sampling: Promise<void> = Promise.resolve();

  async function sample(): Promise<void> {
    let total = 0;
    while (!stopped) {
      try {
        const offset = Math.floor(total * 0.9);
        const rest = await timed(samples.rest, async () => {
          const response = await fetch(`${base}/api/v1/jobs/${jobId}/objects?limit=100&offset=${offset}`);
          return (await response.json()) as { total_objects?: number; objects?: Array<{ id: number }> };
        });
        total = rest.total_objects ?? 0;
        const after = rest.objects?.[0] ? encodeCursor('objects', [rest.objects[0].id]) : null;
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

  return {
    start() {
      stopped = false;
      samples = { type: 'samples', rest: [], graphql: [], errors: [] };
      sampling = sample();
    },
    async stop(): Promise<ApiSamples> {
      stopped = true;
      await sampling;
      return samples;
    },
  };
}

/** p50/p99/max of each kind of page, for the log. */
export function latencies({ rest, graphql, errors }: ApiSamples): string {
  const percentile = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!.toFixed(0) : 'n/a';
  };
  const one = (name: string, values: number[]) => `${name} p50/p99/max ${percentile(values, 50)}/${percentile(values, 99)}/${percentile(values, 100)} ms (${values.length} pages)`;
  return `${one('REST deep page', rest)}; ${one('GraphQL deep page', graphql)}${errors.length ? `; errors: ${errors.join(' | ')}` : ''}`;
}
