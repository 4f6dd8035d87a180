import { createGraphQLError, type Plugin } from 'graphql-yoga';

/**
 * graphql-js parses recursively, so a document nested a few thousand levels deep (`[[[…]]]` in an
 * argument, ~6 KB) overflows the stack: a RangeError, which yoga answers as an internal error (500)
 * and graphql-ws as a closed socket. It is the client's syntax, answered as such: 400, and an
 * `error` message on the socket.
 */
export function useParseLimits(): Plugin {
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        try {
          return parseFn(source, options);
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
          throw createGraphQLError('Syntax Error: the document is nested too deeply.', {
            extensions: { code: 'GRAPHQL_PARSE_FAILED', http: { status: 400 } },
          });
        }
      });
    },
  };
}
