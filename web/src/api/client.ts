import type { TypedDocumentString } from '../../generated/graphql.js';
import { authorizationHeader, readToken } from './token.js';

export interface ApiErrorDetail {
  message: string;
  extensions?: { code?: string; field?: string };
}

/** A GraphQL operation that answered errors (or a 401 / network failure). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: ApiErrorDetail[],
  ) {
    super(errors.map((e) => e.message).join('; ') || `HTTP ${status}`);
  }

  get unauthenticated(): boolean {
    return this.status === 401 || this.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
  }

  /** The API's message for each input field it named (BAD_USER_INPUT `extensions.field`). */
  fieldErrors(): Map<string, string> {
    const byField = new Map<string, string>();
    for (const error of this.errors) {
      const field = error.extensions?.code === 'BAD_USER_INPUT' ? error.extensions.field : undefined;
      if (field && !byField.has(field)) byField.set(field, error.message);
    }
    return byField;
  }
}

/** Listeners told when the API refuses the token (the app shows the token prompt). */
const unauthenticatedListeners = new Set<() => void>();
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

/** Runs one typed operation against /graphql on this origin. */
export async function request<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  const authorization = authorizationHeader(readToken());
  if (authorization) headers.authorization = authorization;
  let response: Response;
  try {
    response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query: document.toString(), variables }) });
  } catch {
    throw new ApiError(0, [{ message: 'The service cannot be reached' }]);
  }
  // GraphQL answers `{ data, errors }`; the HTTP edge's refusals (413, 415, 400…) answer `{ message }`.
  let body: { data?: TResult | null; errors?: ApiErrorDetail[]; message?: unknown } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    body = { errors: [{ message: `HTTP ${response.status} ${response.statusText}` }] };
  }
  const edgeError = typeof body.message === 'string' ? [{ message: body.message }] : [];
  const error = body.errors?.length || !body.data ? new ApiError(response.status, body.errors ?? edgeError) : null;
  if (error) {
    if (error.unauthenticated) for (const listener of unauthenticatedListeners) listener();
    throw error;
  }
  return body.data as TResult;
}
