import { createYoga, type YogaLogger } from 'graphql-yoga';
import type { Logger } from '../config/logger.js';
import { MAX_BODY_BYTES } from '../http/body.js';
import type { GraphqlContext, GraphqlDeps } from './context.js';
import { createMaskError, isExpectedError, rootCause } from './error-mapping.js';
import { createLoaders } from './loaders.js';
import { useBearerAuth } from './plugins/use-bearer-auth.js';
import { useGraphiqlPage } from './plugins/use-graphiql-page.js';
import { useParseLimits } from './plugins/use-parse-limits.js';
import { usePlainBodyErrors } from './plugins/use-plain-body-errors.js';
import { useQueryLimits } from './plugins/use-query-limits.js';
import { useSecretRedaction } from './plugins/use-secret-redaction.js';
import { schema } from './schema.js';

export const GRAPHQL_PATH = '/graphql';

/** Yoga logs through our pino logger (JSON lines, secrets redacted) instead of the console. */
function yogaLogger(logger: Logger, reported: WeakSet<object>): YogaLogger {
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => {
    const [first, ...rest] = args;
    // yoga logs every error it masks: client errors mapped to a code, and unexpected ones that
    // createMaskError has already logged with their path.
    const cause = rootCause(first);
    if (level === 'error' && (isExpectedError(first) || (cause instanceof Object && reported.has(cause)))) {
      logger.debug({ err: first }, 'graphql-yoga: masked error');
    } else if (first instanceof Error) {
      logger[level]({ err: first, details: rest }, 'graphql-yoga');
    } else {
      logger[level]({ details: args }, typeof first === 'string' ? first : 'graphql-yoga');
    }
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/**
 * Yoga's GraphiQL persists the Headers tab (the bearer token) in localStorage unless told not to: the
 * token would outlive the browser session, on the dashboard's origin.
 */
const GRAPHIQL_OPTIONS = { title: 'data-sync-scheduler', subscriptionsProtocol: 'WS', shouldPersistHeaders: false } as const;

/**
 * The GraphQL API on `/graphql`: POST/GET over HTTP, GraphiQL (bundled, no CDN) for browsers, and
 * the same envelop (context, auth, limits, masking) for graphql-ws through attachGraphqlWs.
 */
export function buildYoga(deps: GraphqlDeps) {
  const reported = new WeakSet<object>();
  return createYoga<object, GraphqlContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    context: (initial) => ({ ...initial, ...deps, loaders: createLoaders(deps.services) }),
    maskedErrors: { maskError: createMaskError(deps.logger, reported), errorMessage: 'Unexpected error.' },
    logging: yogaLogger(deps.logger, reported),
    // Cross-origin policy lives at the HTTP edge (http/cross-origin.ts); yoga's default allows every origin.
    cors: false,
    // Served by useGraphiqlPage, rendered and compressed once instead of on every request.
    graphiql: false,
    // Complexity depends on the variables (`first: $n`), so a cached validation result could be wrong.
    parserAndValidationCache: { validationCache: false },
    landingPage: false,
    // The router refuses a declared oversize body; this also counts a chunked one as it arrives.
    maxRequestBodySize: MAX_BODY_BYTES,
    plugins: [
      useGraphiqlPage({ endpoint: GRAPHQL_PATH, options: GRAPHIQL_OPTIONS, logger: deps.logger }),
      useSecretRedaction(),
      useBearerAuth(deps.config.apiToken),
      usePlainBodyErrors(),
      useParseLimits(),
      useQueryLimits(deps),
    ],
  });
}

export type Yoga = ReturnType<typeof buildYoga>;
