import type { Orm } from '../../src/db/orm.js';
import { startTestApp } from '../helpers/test-app.js';
import { createFakeExecutor } from './fake-executor.js';

/** The real server (REST + GraphQL) with the sync engine replaced by a hand-driven fake executor. */
export async function startAppWithFakeExecutor(options: Parameters<typeof createFakeExecutor>[1] = {}) {
  const ref: { orm?: Orm } = {};
  const fake = createFakeExecutor(() => ref.orm!, options);
  const app = await startTestApp({ build: { execute: fake.execute } });
  ref.orm = app.orm;
  return Object.assign(app, { fake });
}
