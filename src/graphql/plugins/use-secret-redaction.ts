import { Kind, type GraphQLError, print, visit, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';

/** Input fields whose values are secrets: never repeated in an error message. */
const SECRET_FIELDS = new Set(['secretAccessKey', 'sessionToken', 'sseCustomerKey']);
const REDACTED = '[redacted]';

/**
 * graphql-js repeats input values in its own coercion and validation errors
 * (`Variable "$input" got invalid value { accessKeyId: "AK", secretAccessKey: 123 }…`,
 * `String cannot represent a non string value: 123`). This replaces every secret value of the
 * request (variables and literals under secretAccessKey, sessionToken and sseCustomerKey) in those
 * messages, on HTTP and WebSocket alike, before any other plugin, the logger or the client sees them.
 */
export function useSecretRedaction(): Plugin {
  return {
    onValidate({ context, params }) {
      const variables = (context as Partial<YogaInitialContext>).params?.variables;
      const secrets = [...secretsIn(variables), ...secretsInDocument(params.documentAST)];
      if (secrets.length === 0) return;
      return ({ result, setResult }) => {
        if (result.length) setResult(result.map((error) => redact(error, secrets)));
      };
    },
    onExecute({ args }) {
      const secrets = [...secretsIn(args.variableValues), ...secretsInDocument(args.document)];
      if (secrets.length === 0) return;
      return {
        onExecuteDone({ result, setResult }) {
          const single = result as ExecutionResult;
          if (!single.errors?.length) return;
          setResult({ ...single, errors: single.errors.map((error) => redact(error, secrets)) });
        },
      };
    },
  };
}

/** Every leaf value (any type) under a secret field, as the text an error could show. */
function secretsIn(value: unknown, underSecret = false): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value !== 'object') return underSecret ? [String(value)].filter((text) => text.length > 0) : [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) => secretsIn(inner, underSecret || SECRET_FIELDS.has(key)));
}

function secretsInDocument(document: DocumentNode): string[] {
  const found: string[] = [];
  visit(document, {
    ObjectField(node) {
      if (!SECRET_FIELDS.has(node.name.value)) return;
      found.push(print(node.value));
      if (node.value.kind === Kind.STRING || node.value.kind === Kind.INT || node.value.kind === Kind.FLOAT) found.push(node.value.value);
    },
  });
  return found.filter((text) => text.length > 0);
}

function redact(error: GraphQLError, secrets: string[]): GraphQLError {
  // Longest first, so a secret containing another is replaced whole.
  const ordered = [...new Set(secrets)].sort((a, b) => b.length - a.length);
  let message = error.message;
  for (const secret of ordered) message = message.split(secret).join(REDACTED);
  // In place: the error keeps its class (graphql-ws checks it) and everything but the message.
  if (message !== error.message) error.message = message;
  return error;
}
