import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
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

export interface GqlResponse<T> {
  status: number;
  body: FormattedExecutionResult<T>;
}

/** POSTs an operation (a typed document or raw text) as JSON and returns the status and parsed body. */
export async function gql<TData, TVariables>(
  target: { graphqlUrl: string },
  document: TypedDocumentNode<TData, TVariables> | string,
  variables?: TVariables | Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GqlResponse<TData>> {
  const query = typeof document === 'string' ? document : print(document);
  const response = await fetch(target.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as FormattedExecutionResult<TData> };
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

export function wsClient(url: string, connectionParams?: Record<string, unknown>): Client {
  return createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams });
}

/** Polls `condition` (running `step` between checks) until it holds, or fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, step: () => void = () => {}, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    step();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
