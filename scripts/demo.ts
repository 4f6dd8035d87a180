/**
 * `npm run demo`: the service with a local S3-compatible server (s3rver) on loopback, seeded with
 * sample data, one job syncing it, and the dashboard (and GraphiQL) ready to watch the progress. No AWS account, no
 * network. State lives in ./.demo/ (gitignored), wiped at each start. Ctrl-C stops everything.
 *
 * Optional environment: PORT (5000), DEMO_DIR (.demo), DEMO_BANDWIDTH (download speed from the local S3 per second,
 * default 2MiB; 0 = unthrottled), S3_CHUNK_SIZE (1MiB), SYNC_CONCURRENCY (4), LOG_LEVEL (warn).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseByteSize } from '../src/config/byte-size.js';
import { ConfigError, loadConfig } from '../src/config/env.js';
import type { SyncProgressEvent } from '../src/events/progress-event.js';
import { buildApp, type App } from '../src/server.js';
import { LOCAL_S3_CREDENTIALS, LOCAL_S3_REGION, SAMPLES, startLocalS3 } from './demo/local-s3.js';
import { startThrottleProxy } from './demo/throttle-proxy.js';
import { buildDashboard } from './build-dashboard.js';

const DIR = resolve(process.env.DEMO_DIR ?? '.demo');
const BUCKET = 'demo-bucket';
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const size = (bytes: number) => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : mib(bytes));
const say = (line = '') => process.stdout.write(`${line}\n`);

function bandwidth(): number {
  const text = process.env.DEMO_BANDWIDTH ?? '2MiB';
  if (text.trim() === '0') return 0;
  const parsed = parseByteSize(text);
  if ('error' in parsed) throw new ConfigError(`invalid DEMO_BANDWIDTH (got "${text}"): ${parsed.error}, e.g. 2MiB or 0 for no limit`);
  return parsed.bytes;
}

const stops: Array<() => Promise<void>> = [];
let app: App | undefined;

async function main() {
  const bytesPerSecond = bandwidth();
  await clearDemoDir();

  await buildDashboard();
  say('Starting a local S3 server (s3rver) on 127.0.0.1 and generating sample data…');
  const s3 = await startLocalS3(join(DIR, 's3'), BUCKET);
  stops.unshift(s3.stop);
  const total = await s3.seed();
  say(`  ${SAMPLES.length} objects, ${mib(total)} in s3://${BUCKET}/samples/`);
  const proxy = bytesPerSecond > 0 ? await startThrottleProxy(s3.endpoint, bytesPerSecond) : undefined;
  if (proxy) stops.unshift(proxy.stop);

  // Only the local server: whatever AWS settings this shell has are not used.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    AWS_REGION: LOCAL_S3_REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const config = loadConfig({
    PORT: process.env.PORT ?? '5000',
    HOST: '127.0.0.1',
    DB_URL: `sqlite:${join(DIR, 'scheduler.db')}`,
    DOWNLOAD_ROOT_FOLDER: join(DIR, 'downloads'),
    S3_CHUNK_SIZE: process.env.S3_CHUNK_SIZE ?? '1MiB',
    SYNC_CONCURRENCY: process.env.SYNC_CONCURRENCY ?? '4',
    RETRY_DELAY: '0.2',
    AWS_REGION: LOCAL_S3_REGION,
    AWS_ENDPOINT_URL_S3: proxy?.endpoint ?? s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // The demo sends no webhooks; a throwaway key keeps the unsigned-deliveries warning out of its narration.
    WEBHOOK_SECRET: randomBytes(24).toString('hex'),
  });
  app = await buildApp(config);
  const { port } = await app.start();
  const base = `http://127.0.0.1:${port}`;

  const jobId = await createJob(`${base}/graphql`);
  // After each run, one large sample gets new bytes, so the next run (scheduled, or triggered) has work.
  let refreshes = 0;
  app.bus.on((event) => {
    narrate(event);
    if (event.kind !== 'RUN_FINISHED' || stopping) return;
    const sample = SAMPLES.filter((s) => s.key.startsWith('samples/big/'))[refreshes++ % 2]!;
    void s3.refresh(sample.key, sample.size).then(
      () => say(`  (demo) ${sample.key} changed at the source; the next run downloads it again`),
      () => {},
    );
  }, jobId);

  const subscription = `subscription {\n  syncProgress(jobId: "${jobId}") {\n    kind objectKey bytesTransferred objectSize status runStatus at\n  }\n}`;
  const query = `{\n  job(id: "${jobId}") {\n    name status nextRunAt\n    lastRun { status objectsDone objectsTotal bytesDone bytesTotal }\n    objects(first: 10) { edges { node { key size lastPosition status } } }\n  }\n}`;
  const trigger = `mutation { triggerJob(id: "${jobId}") { run { id status } } }`;
  const link = (doc: string) => `${base}/graphql?query=${encodeURIComponent(doc)}`;
  say();
  say(`The service is up on ${base} (data, database and downloads in ${DIR}).`);
  say(`Job ${jobId} syncs s3://${BUCKET}/samples/ every 5 minutes (quinqueminutely); its first run has started${bytesPerSecond > 0 ? `, throttled to ${mib(bytesPerSecond)}/s` : ''}.`);
  say();
  say('Watch it live in the dashboard (progress, throughput, ETA, runs and objects):');
  say(`  ${base}/  (this job: ${base}/#/jobs/${jobId})`);
  say();
  say('Or open this link and press ▶ (GraphiQL, served by the service; the subscription runs over WebSocket):');
  say(`  ${link(subscription)}`);
  say();
  say('Or paste into GraphiQL at ' + `${base}/graphql:`);
  say(indent(subscription));
  say('The state of the job and its objects (in a second tab):');
  say(indent(query));
  say('Run it again now (a large sample changes after every run, so there is always something to fetch):');
  say(indent(trigger));
  say();
  say('Ctrl-C stops everything.');
  say();
}

/** Starts from scratch each time, but never deletes a directory the demo did not make. */
async function clearDemoDir() {
  const ours = /^(s3|downloads|scheduler\.db(-wal|-shm|-journal)?)$/;
  const entries = await readdir(DIR).catch(() => []);
  const foreign = entries.filter((name) => !ours.test(name));
  if (foreign.length > 0) throw new ConfigError(`${DIR} holds files the demo did not create (${foreign.slice(0, 3).join(', ')}); choose another DEMO_DIR`);
  for (const name of entries) await rm(join(DIR, name), { recursive: true, force: true });
  await mkdir(join(DIR, 's3'), { recursive: true });
}

async function createJob(graphqlUrl: string): Promise<string> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }',
      variables: { input: { name: 'demo samples', connectorType: 'S3', schedule: 'quinqueminutely', connectorConfig: { bucketName: BUCKET, prefix: 'samples/' } } },
    }),
  });
  const body = (await response.json()) as { data?: { createJob: { job: { id: string } } }; errors?: unknown };
  if (!body.data) throw new Error(`could not create the demo job: ${JSON.stringify(body.errors)}`);
  return body.data.createJob.job.id;
}

/** One line per run and per finished object, so the terminal shows progress too. */
function narrate(event: SyncProgressEvent) {
  if (event.kind === 'RUN_STARTED') say(`run ${event.runId} started`);
  else if (event.kind === 'OBJECT_DONE') say(`  ✓ ${event.objectKey} (${size(event.objectSize ?? 0)})`);
  else if (event.kind === 'OBJECT_FAILED') say(`  ✗ ${event.objectKey}: ${event.error}`);
  else if (event.kind === 'RUN_FINISHED') say(`run ${event.runId} ${event.runStatus}: ${mib(event.bytesTransferred)} in place`);
}

const indent = (text: string) => text.replace(/^/gm, '    ');

let stopping = false;
async function stop(code: number) {
  if (stopping) process.exit(130); // a second Ctrl-C: don't wait
  stopping = true;
  say('\nStopping…');
  try {
    await app?.stop();
    for (const stopOne of stops) await stopOne();
  } finally {
    process.exit(code);
  }
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `demo failed: ${error instanceof Error ? error.message : String(error)}`);
  void stop(1);
});
