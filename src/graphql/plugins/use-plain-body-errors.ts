import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { isGraphQLError } from '../error-mapping.js';

/**
 * A /graphql body that is not JSON is answered by yoga with JSON.parse's message in
 * `extensions.originalError`, and that message quotes the body: credentials in a mistyped
 * mutation came back in the response (and in any log or proxy that keeps it). The error keeps
 * yoga's message, code and status (400), without the quote. A GET's malformed `variables` or
 * `extensions` parameter threw JSON.parse's bare SyntaxError, answered 500 and logged as unexpected
 * with the parameter's text: it is the client's mistake, a 400, quoting nothing.
 */
export function usePlainBodyErrors(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          // GET's `variables` / `extensions` parameters go through a bare JSON.parse: its SyntaxError quotes them.
          if (error instanceof SyntaxError) {
            throw createGraphQLError('The variables or extensions parameter is not valid JSON.', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
          }
          if (!isGraphQLError(error) || !('originalError' in error.extensions)) throw error;
          const { originalError: _quoted, http: _spec, ...extensions } = error.extensions;
          // Without `spec`: yoga answers a spec-only status as 200 to `Accept: application/json`
          // unless the error carries the very originalError removed here.
          throw createGraphQLError(error.message, { extensions: { ...extensions, http: { status: 400 } } });
        }
      });
    },
  };
}
