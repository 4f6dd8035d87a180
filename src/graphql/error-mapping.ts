import { GraphQLError } from 'graphql';
import { createGraphQLError, maskError, type YogaServerOptions } from 'graphql-yoga';
import type { Logger } from '../config/logger.js';
import { ConflictError, InputError, NotFoundError, UnauthenticatedError } from '../services/errors.js';

type MaskError = Extract<NonNullable<YogaServerOptions<object, object>['maskedErrors']>, object>['maskError'] & {};

/** `"first must be …"` already names its field; anything else gets a `field: ` prefix. */
const withField = (field: string, message: string) => (message.startsWith(field) ? message : `${field}: ${message}`);

/** graphql-js reports bad variable values (wrong enum, missing non-null, wrong scalar) this way. */
const VARIABLE_ERROR = /^Variable "\$(\w+)" (?:got invalid value .*? at "([\w.[\]]+)"|got invalid value|of required type|of non-null type)/;

function fromVariableError(error: GraphQLError): GraphQLError | null {
  if (error.originalError || error.path) return null;
  const match = VARIABLE_ERROR.exec(error.message);
  if (!match?.[1]) return null;
  // "input.connectorConfig.bucketName" → "connectorConfig.bucketName": the name the services use too.
  const field = match[2]?.split('.').slice(1).join('.') || match[1];
  return createGraphQLError(error.message, {
    nodes: error.nodes,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT', field },
  });
}

/**
 * Maps the services' typed errors to client errors at the GraphQL edge; everything unexpected is
 * logged here and reaches the client as yoga's "Unexpected error." (never a stack or an internal message).
 */
export function createMaskError(logger: Logger): MaskError {
  return (error, message) => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    const at = error instanceof GraphQLError ? { nodes: error.nodes, path: error.path } : {};
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
    if (original instanceof UnauthenticatedError) {
      return createGraphQLError(original.message, { ...at, extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    }
    if (error instanceof GraphQLError && !error.originalError) return fromVariableError(error) ?? error;
    if (!(original instanceof GraphQLError)) logger.error({ err: original, path: at.path }, 'unexpected GraphQL error');
    return maskError(error, message, false);
  };
}
