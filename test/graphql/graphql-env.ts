import type { FormattedExecutionResult } from 'graphql';
import { Job } from '../../src/db/entities/job.entity.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

export const TOKEN = 'test-token-0123456789abcdef';

export interface GraphqlTestApp extends AsyncDisposable {
  app: TestApp;
  graphqlUrl: string;
  wsUrl: string;
  stop(): Promise<void>;
}

/**
 * The whole service (src/server.ts through startTestApp: real SQLite file, real services, yoga and
 * graphql-ws mounted on one http.Server) on a loopback port, with S3 offline.
 */
export async function startGraphqlApp(env: Record<string, string> = {}): Promise<GraphqlTestApp> {
  const app = await startTestApp({ env });
  return { app, graphqlUrl: app.graphqlUrl, wsUrl: app.wsUrl, stop: app.stop, [Symbol.asyncDispose]: app.stop };
}

/** The one error of a failed operation (fails the test when there is not exactly one). */
export function onlyError(body: FormattedExecutionResult<unknown>) {
  if (body.errors?.length !== 1) throw new Error(`expected exactly one error, got ${JSON.stringify(body)}`);
  return body.errors[0]!;
}

export const countJobs = (app: TestApp) => app.orm.em.fork().count(Job, {});

export const validInput = (overrides: Record<string, unknown> = {}) => ({
  name: 'nightly',
  connectorType: 'S3',
  schedule: 'hourly',
  connectorConfig: { bucketName: 'my-bucket', prefix: 'data/' },
  paused: true,
  ...overrides,
});
