import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { isGraphQLError } from '../error-mapping.js';

/**
 * A /graphql body that is not JSON is answered by yoga with JSON.parse's message in
 * `extensions.originalError`, and that message quotes the body: credentials in a mistyped
 * mutation came back in the response (and in any log or proxy that keeps it). The error keeps
 * yoga's message, code and status (400), without the quote.
 */
export function usePlainBodyErrors(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
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
