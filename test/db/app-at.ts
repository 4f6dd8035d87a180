import type { Orm } from '../../src/db/orm.js';
import { startTestApp } from '../helpers/test-app.js';
import { createFakeExecutor } from '../scheduler/fake-executor.js';

/** startAppWithFakeExecutor against a given DB_URL (a relayed PostgreSQL). */
export async function startAppWithFakeExecutorAt(dbUrl: string) {
  const ref: { orm?: Orm } = {};
  const fake = createFakeExecutor(() => ref.orm!);
  const app = await startTestApp({ env: { DB_URL: dbUrl }, build: { execute: fake.execute } });
  ref.orm = app.orm;
  return Object.assign(app, { fake });
}
