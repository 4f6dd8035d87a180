import type { ErrorBody } from '../http/cross-origin.js';

/**
 * The request media types /graphql executes: JSON (also `application/graphql+json`, as any `+json`
 * type) and a bare query as `application/graphql`, as graphql-yoga reads them. Yoga's form-encoded
 * and multipart parsers are shut out: a page of any origin can send those without a preflight.
 */
export const GRAPHQL_MEDIA_TYPES = ['application/json', 'application/graphql+json', 'application/graphql'];

/** A refusal at the HTTP edge in the GraphQL-over-HTTP shape, with the status as the extension code. */
export const graphqlErrorBody: ErrorBody = (message, code) => ({ errors: [{ message, extensions: { code } }] });
