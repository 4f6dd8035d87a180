import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface HttpResult<T = unknown> {
  status: number;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: T;
  text: string;
  headers: Headers;
}

/**
 * One HTTP request against a test app. A string or Buffer body is sent as is (for malformed-body tests);
 * anything else is sent as JSON. Either way it is labelled `application/json` unless `headers` sets a type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
export async function http<T = any>(
  app: { url: string } | string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const base = typeof app === 'string' ? app : app.url;
  const raw = typeof body === 'string' || Buffer.isBuffer(body);
  const response = await fetch(`${base}${path}`, {
    method,
    // Bodies are declared JSON (the service refuses other media types with 415) unless `headers` says otherwise.
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : raw ? (typeof body === 'string' ? body : new Uint8Array(body as Buffer)) : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed as T, text, headers: response.headers };
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

/** The data of an operation that must succeed: throws on any GraphQL error or non-200 status. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary result shapes
export async function gqlData<T = any>(
  target: { graphqlUrl: string },
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const { status, body } = await gql<T, Record<string, unknown>>(target, query, variables, headers);
  if (status !== 200 || body.errors || !body.data) throw new Error(`GraphQL ${status}: ${JSON.stringify(body)}`);
  return body.data;
}

export interface WsClientOptions {
  connectionParams?: Record<string, unknown>;
  webSocketImpl?: unknown;
  /** Connect at once instead of on the first subscription (default: lazy, as graphql-ws). */
  lazy?: boolean;
}

/** A graphql-ws client that never retries (a refused socket shows as the subscription's end). */
export function wsClient(url: string, options: WsClientOptions = {}): Client {
  return createClient({
    url,
    webSocketImpl: options.webSocketImpl ?? WebSocket,
    retryAttempts: 0,
    lazy: options.lazy ?? true,
    // Refused sockets are asserted through the subscription's end and the `closed` event.
    onNonLazyError: () => {},
    connectionParams: options.connectionParams,
  });
}
