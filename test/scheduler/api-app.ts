import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/env.js';
import type { Orm } from '../../src/db/orm.js';
import { buildApp } from '../../src/server.js';
import { createFakeExecutor } from './fake-executor.js';

/** The real server (REST + GraphQL) with the sync engine replaced by a hand-driven fake executor. */
export async function startAppWithFakeExecutor() {
  const tmpDir = await mkdtemp(join(tmpdir(), 'dss-lifecycle-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DB_URL: `sqlite:${join(tmpDir, 'scheduler.db')}`,
    DOWNLOAD_ROOT_FOLDER: join(tmpDir, 'downloads'),
    LOG_LEVEL: 'silent',
  });
  const ref: { orm?: Orm } = {};
  const fake = createFakeExecutor(() => ref.orm!);
  const app = await buildApp(config, { execute: fake.execute, stopGraceMs: 2000 });
  ref.orm = app.orm;
  const { port } = await app.start();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    graphqlUrl: `${url}/graphql`,
    app,
    orm: app.orm,
    services: app.services,
    fake,
    async [Symbol.asyncDispose]() {
      await app.stop();
      await rm(tmpDir, { recursive: true, force: true });
    },
  };
}
