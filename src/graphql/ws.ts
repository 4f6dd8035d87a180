import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { isAuthorized } from '../http/auth.js';
import { MAX_BODY_BYTES } from '../http/body.js';
import type { OriginPolicy } from '../http/origin-policy.js';
import { refuseUpgrade } from '../http/upgrade-refusal.js';
import type { GraphqlDeps } from './context.js';
import { isGraphQLError } from './error-mapping.js';
import { handleSocketFaults } from './ws-socket-faults.js';
import { GRAPHQL_PATH, type Yoga } from './yoga.js';

type Enveloped = ReturnType<Yoga['getEnveloped']>;
type RootWithEnvelop = { execute: Enveloped['execute']; subscribe: Enveloped['subscribe'] };

/**
 * The error as the socket sends it: without yoga's `extensions.http` (a status for HTTP answers,
 * which yoga drops there). Made by graphql-yoga's createGraphQLError: graphql-ws checks errors with
 * `instanceof` against the graphql module it loaded, which need not be this file's.
 */
function forSocket(error: GraphQLError): GraphQLError {
  if (!error.extensions || !('http' in error.extensions)) return error;
  const { http: _status, ...extensions } = error.extensions;
  return createGraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: error.originalError, extensions });
}

/** `authorization` in connection params (any case); Node clients may send the upgrade header instead. */
function bearerOf(params: Readonly<Record<string, unknown>> | undefined, request: http.IncomingMessage): string | undefined {
  const key = Object.keys(params ?? {}).find((k) => k.toLowerCase() === 'authorization');
  const value = key ? params?.[key] : request.headers.authorization;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Operations one socket may have under way at once. Each holds its own context, iterator and event
 * listeners: without a bound, one authenticated client subscribing in a loop grows the process
 * without end (50,000 subscriptions took it from 290 MB to 1.3 GB).
 */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 100;

/** Messages only a server sends: graphql-ws parses them as well-formed, then throws (a 4500 and a console.error). */
const SERVER_MESSAGE_TYPES = new Set(['connection_ack', 'next', 'error']);

/**
 * Parses each incoming message (graphql-ws's reviver hook): a client sending a server's message type
 * is refused as a bad message (4400 "Invalid message received"), like any other malformed frame.
 */
function refuseServerMessages(key: string, value: unknown): unknown {
  if (key === '' && typeof value === 'object' && value !== null && SERVER_MESSAGE_TYPES.has((value as { type?: unknown }).type as string)) {
    throw new Error('a client may not send this message type');
  }
  return value;
}

/**
 * graphql-ws (`graphql-transport-ws`) on the server's `/graphql` path, following yoga's
 * examples/graphql-ws recipe: every operation goes through `yoga.getEnveloped`, so WebSocket
 * operations get the HTTP path's context, validation, query limits and error masking.
 *
 * Origin: see verifyClient below. Auth: with an API token configured, `connectionParams.authorization`
 * must be `Bearer <token>`; otherwise the socket is closed with 4401 Unauthorized before any operation runs.
 */
export function attachGraphqlWs(
  server: http.Server,
  yoga: Yoga,
  deps: GraphqlDeps & { originPolicy: OriginPolicy },
): { close(): Promise<void> } {
  // noServer: with `server`, ws answers an upgrade on any other path itself, a plain-text 400.
  const wss = new WebSocketServer({
    noServer: true,
    path: GRAPHQL_PATH,
    // A message is held whole before it is parsed: one larger than an HTTP body may be closes the
    // socket (1009) as its frame header arrives, where ws's default (100 MiB) would buffer it first.
    maxPayload: MAX_BODY_BYTES,
    // Browsers send Origin on every upgrade and apply no CORS to WebSockets: a page of another origin
    // is refused here (403) unless CORS_ORIGINS lists it. Clients without Origin (Node, curl) pass.
    verifyClient: ({ req }, done) => {
      const verdict = deps.originPolicy.judge(req);
      if (verdict.kind === 'refused') done(false, 403, 'Origin not allowed');
      else done(true);
    },
  });
  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // ws's own path match (the path without its query string), as `server` mode applied it.
    if (wss.shouldHandle(request)) wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    else refuseUpgrade(socket, 404, `WebSocket subscriptions are served on ${GRAPHQL_PATH}`);
  };
  server.on('upgrade', onUpgrade);
  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as RootWithEnvelop).execute(args),
      subscribe: (args) => (args.rootValue as RootWithEnvelop).subscribe(args),
      onConnect: (ctx) => {
        if (isAuthorized(bearerOf(ctx.connectionParams, ctx.extra.request), deps.config.apiToken)) return true;
        ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
        return false;
      },
      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws has registered this operation already: it counts itself.
        if (Object.keys(ctx.subscriptions).length > MAX_SUBSCRIPTIONS_PER_SOCKET) {
          const message = `Too many operations on this socket: at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} may be active at once; complete one first`;
          return [createGraphQLError(message, { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', limit: MAX_SUBSCRIPTIONS_PER_SOCKET } })];
        }
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [forSocket(isGraphQLError(error) ? error : createGraphQLError('Syntax Error: the document cannot be parsed.'))];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors.map(forSocket);
        const args: ExecutionArgs = {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory({ connectionParams: ctx.connectionParams }),
          rootValue: { execute, subscribe } satisfies RootWithEnvelop,
        };
        return args;
      },
      // Like maskedErrors on HTTP: an internal failure closes the socket with 4500 and no message.
      isProd: true,
      jsonMessageReviver: refuseServerMessages,
    },
    wss,
  );
  wss.on('connection', (socket) => handleSocketFaults(socket, deps.logger));

  return {
    async close() {
      server.off('upgrade', onUpgrade);
      for (const socket of wss.clients) socket.terminate();
      await disposable.dispose(); // closes the WebSocketServer (not the http.Server)
    },
  };
}
