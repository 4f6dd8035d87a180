// The service's API (buildApp, its sync engine replaced by one that never runs) over the huge-listing
// bench's SQLite file, in its own process: while the CLI syncs, it samples deep object pages
// (deep-page-sampler.ts) and reports their latencies.
import '../src/config/v8-tiering.js';
import { pino } from 'pino';
import { loadConfig } from '../src/config/env.js';
import { createLogger } from '../src/config/logger.js';
import { buildApp } from '../src/server.js';
import { deepPageSampler } from './deep-page-sampler.js';

const jobId = process.argv[2];
if (!process.send || !jobId) throw new Error('huge-api-child.ts needs an IPC channel and a job id');
const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' } as Record<string, string>);
const app = await buildApp(config, { logger: createLogger('warn', pino.destination(2)), execute: async () => 'CANCELLED' as const });
const { port } = await app.start();
const sampler = deepPageSampler(`http://127.0.0.1:${port}`, jobId);

process.on('message', (message: { type: string }) => {
  if (message.type === 'start') sampler.start();
  else if (message.type === 'stop') void sampler.stop().then((samples) => process.send?.(samples));
  else if (message.type === 'exit') void app.stop().then(() => process.exit(0));
});
process.on('disconnect', () => void app.stop().then(() => process.exit(0)));
process.send({ type: 'ready' });
