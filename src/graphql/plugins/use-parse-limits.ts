import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { isGraphQLError } from '../error-mapping.js';

/**
 * How the client's syntax is answered. graphql-js parses recursively, so a document nested a few
 * thousand levels deep (`[[[…]]]` in an argument, ~6 KB) overflows the stack: a RangeError, which
 * yoga answers as an internal error (500) and graphql-ws as a closed socket; it is answered as a
 * syntax error: 400, and an `error` message on the socket. A syntax error's message quotes the token
 * it stopped at, which in a mistyped mutation can be a credential: the token's value is left out
 * (its kind and position stay). The WebSocket parses through this plugin too (ws.ts).
 */
export function useParseLimits(): Plugin {
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        try {
          return parseFn(source, options);
        } catch (error) {
          const message = isGraphQLError(error) ? error.message.replace(QUOTED_TOKEN, '$1.') : undefined;
          if (isGraphQLError(error) && message !== error.message) {
            throw createGraphQLError(message!, {
              source: error.source,
              positions: error.positions,
              extensions: { ...error.extensions, code: 'GRAPHQL_PARSE_FAILED', http: { status: 400 } },
            });
          }
          if (!(error instanceof RangeError)) throw error;
          throw createGraphQLError('Syntax Error: the document is nested too deeply.', {
            extensions: { code: 'GRAPHQL_PARSE_FAILED', http: { status: 400 } },
          });
        }
      });
    },
  };
}

/**
 * A token graphql-js describes with its value (`found String "…".`, `Unexpected Name "…".`): the
 * value, written unescaped (it may hold `"`), runs to the end of the message.
 */
const QUOTED_TOKEN = /\b(String|BlockString|Name|Int|Float) ".*$/s;
