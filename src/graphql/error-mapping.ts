import { GraphQLError } from 'graphql';
import { createGraphQLError, maskError, type YogaServerOptions } from 'graphql-yoga';
import type { Logger } from '../config/logger.js';
import { withoutStatement } from '../config/statement-text.js';
import { DATABASE_UNAVAILABLE, isWorthWaitingFor } from '../db/database-outage.js';
import { SubscriberTooSlowError } from '../events/bounded-queue.js';
import { ConflictError, InputError, NotFoundError, UnauthenticatedError } from '../services/errors.js';

type MaskError = Extract<NonNullable<YogaServerOptions<object, object>['maskedErrors']>, object>['maskError'] & {};

/**
 * By name, not instanceof: graphql can be loaded twice (its ESM and CJS builds, e.g. under vitest),
 * and a resolver's error may be wrapped more than once on its way here.
 */
export const isGraphQLError = (value: unknown): value is GraphQLError =>
  value instanceof GraphQLError || (value instanceof Error && value.name === 'GraphQLError');

export function rootCause(error: unknown): unknown {
  let cause = error;
  while (isGraphQLError(cause) && cause.originalError) cause = cause.originalError;
  return cause;
}

/** Errors a client caused; they are answered with a code and logged at debug level only. */
export const isExpectedError = (error: unknown): boolean => {
  const cause = rootCause(error);
  return [InputError, NotFoundError, ConflictError, UnauthenticatedError, SubscriberTooSlowError].some((type) => cause instanceof type);
};

/** `"first must be …"` already names its field; anything else gets a `field: ` prefix. */
const withField = (field: string, message: string) => (message.startsWith(field) ? message : `${field}: ${message}`);

/** graphql-js reports bad variable values (wrong enum, missing non-null, wrong scalar) this way. */
const VARIABLE_ERROR = /^Variable "\$(\w+)" (?:got invalid value .*? at "([\w.[\]]+)"|got invalid value|of required type|of non-null type)/;
const MISSING_FIELD = /Field "(\w+)" of required type .* was not provided/;

/**
 * The input field a bad-variable error is about: `input.connectorConfig` + missing `bucketName` →
 * `connectorConfig.bucketName`, the name the services use too. null for any other error.
 */
export function badVariableField(error: GraphQLError): string | null {
  if (error.path) return null;
  const match = VARIABLE_ERROR.exec(error.message);
  if (!match?.[1]) return null;
  const path = match[2]?.split('.').slice(1) ?? [];
  const missing = MISSING_FIELD.exec(error.message)?.[1];
  return [...path, ...(missing ? [missing] : [])].join('.') || match[1];
}

/** Marks bad-variable errors BAD_USER_INPUT with the field, whether validation or execution found them. */
export function markBadVariable(error: GraphQLError): GraphQLError {
  const field = badVariableField(error);
  if (field === null) return error;
  return createGraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code: 'BAD_USER_INPUT', field } });
}

/**
 * Maps the services' typed errors to client errors at the GraphQL edge; everything unexpected is
 * logged here (once; `reported` remembers it) and reaches the client as yoga's "Unexpected error."
 * (never a stack or an internal message).
 */
export function createMaskError(logger: Logger, reported: WeakSet<object> = new WeakSet()): MaskError {
  return (error, message) => {
    const original = rootCause(error);
    const at = isGraphQLError(error) ? { nodes: error.nodes, path: error.path } : {};
    if (original instanceof InputError) {
      const extensions = { code: 'BAD_USER_INPUT', field: original.field };
      return createGraphQLError(withField(original.field, original.message), { ...at, extensions });
    }
    if (original instanceof NotFoundError) {
      return createGraphQLError(original.message, { ...at, extensions: { code: 'NOT_FOUND' } });
    }
    if (original instanceof ConflictError) {
      return createGraphQLError(original.message, { ...at, extensions: { code: 'CONFLICT' } });
    }
    if (original instanceof SubscriberTooSlowError) {
      return createGraphQLError(original.message, { ...at, extensions: { code: 'SUBSCRIBER_TOO_SLOW' } });
    }
    if (original instanceof UnauthenticatedError) {
      return createGraphQLError(original.message, { ...at, extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    }
    if (isWorthWaitingFor(original)) {
      logger.warn({ path: at.path, reason: withoutStatement(String((original as Error).message)) }, 'GraphQL request failed: database unreachable or locked');
      if (original instanceof Object) reported.add(original);
      return createGraphQLError(DATABASE_UNAVAILABLE, { ...at, extensions: { code: 'SERVICE_UNAVAILABLE' } });
    }
    if (isGraphQLError(error) && !error.originalError) return markBadVariable(error);
    if (!isGraphQLError(original) && !(original instanceof Object && reported.has(original))) {
      logger.error({ err: original, path: at.path }, 'unexpected GraphQL error');
      if (original instanceof Object) reported.add(original);
    }
    return maskError(error, message, false);
  };
}
