import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { isAuthorized } from '../../http/auth.js';

export const UNAUTHENTICATED_MESSAGE = 'Missing or invalid bearer token';

/** The error body a GraphQL client gets with HTTP 401 (and over WebSocket, before closing with 4401). */
export const unauthenticatedError = () =>
  createGraphQLError(UNAUTHENTICATED_MESSAGE, { extensions: { code: 'UNAUTHENTICATED' } });

/** The request declares a body (a length above zero, or chunked), which is unread when auth refuses it. */
function declaresBody(headers: Headers): boolean {
  return headers.has('transfer-encoding') || Number(headers.get('content-length') ?? 0) > 0;
}

/**
 * When a token is configured, every GraphQL HTTP request needs `Authorization: Bearer <token>`;
 * it is checked before the request is parsed. GraphiQL's HTML page stays open (a browser cannot add
 * the header to a navigation; the page holds no data): yoga answers it before this hook runs, and
 * the operations GraphiQL then sends carry the header set in its header editor.
 */
export function useBearerAuth(apiToken: string | undefined): Plugin {
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (!apiToken || isAuthorized(request.headers.get('authorization'), apiToken)) return;
      const body = JSON.stringify({ errors: [unauthenticatedError().toJSON()] });
      endResponse(
        new fetchAPI.Response(body, {
          status: 401,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'www-authenticate': 'Bearer',
            // Kept open, the connection would have Node read and drop the whole body, however large.
            ...(declaresBody(request.headers) ? { connection: 'close' } : {}),
          },
        }),
      );
    },
  };
}
