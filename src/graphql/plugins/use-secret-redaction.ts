import { Kind, type GraphQLError, print, visit, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';

/** Input fields whose values are secrets: never repeated in an error message. */
const SECRET_FIELDS = new Set(['secretAccessKey', 'sessionToken', 'sseCustomerKey']);
/**
 * Field names no input has that a client still puts secrets under: the REST spellings
 * (`aws_secret_access_key`), a guess (`secretKey`, `password`), a typo. The error that names them as
 * unknown fields repeats their values otherwise.
 */
const SECRET_LIKE = /secret|token|passw|private|sse_?customer_?key/i;
const isSecretField = (name: string) => SECRET_FIELDS.has(name) || SECRET_LIKE.test(name);
const REDACTED = '[redacted]';

/**
 * graphql-js repeats input values in its own coercion and validation errors
 * (`Variable "$input" got invalid value { accessKeyId: "AK", secretAccessKey: 123 }…`,
 * `String cannot represent a non string value: 123`). This replaces every secret value of the
 * request (variables and literals under secretAccessKey, sessionToken, sseCustomerKey and any
 * field named like a secret) in those messages, on HTTP and WebSocket alike, before any other
 * plugin, the logger or the client sees them.
 */
export function useSecretRedaction(): Plugin {
  return {
    onValidate({ context, params }) {
      const variables = (context as Partial<YogaInitialContext>).params?.variables;
      const secrets = [...secretsIn(variables), ...secretsInDocument(params.documentAST, variables)];
      if (secrets.length === 0) return;
      return ({ result, setResult }) => {
        if (result.length) setResult(result.map((error) => redact(error, secrets)));
      };
    },
    onExecute({ args }) {
      const secrets = [...secretsIn(args.variableValues), ...secretsInDocument(args.document, args.variableValues)];
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

/**
 * Every leaf value (any type) under a secret field, as the text an error could show. Iterative:
 * variables are client JSON and may nest thousands of levels deep.
 */
function secretsIn(value: unknown, underSecret = false): string[] {
  const found: string[] = [];
  const pending: Array<[unknown, boolean]> = [[value, underSecret]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [current, underSecret] = next;
    if (current === null || current === undefined) continue;
    if (typeof current !== 'object') {
      if (underSecret) found.push(String(current));
      continue;
    }
    for (const [key, inner] of Object.entries(current as Record<string, unknown>)) pending.push([inner, underSecret || isSecretField(key)]);
  }
  return found.filter((text) => text.length > 0);
}

/**
 * Literals under a secret field, and the values of the variables used there (`secretAccessKey:
 * $secret`): graphql-js repeats such a variable's value when it does not fit the declared type.
 */
function secretsInDocument(document: DocumentNode, variables?: Readonly<Record<string, unknown>> | null): string[] {
  const found: string[] = [];
  visit(document, {
    ObjectField(node) {
      if (!isSecretField(node.name.value)) return;
      if (node.value.kind !== Kind.VARIABLE) found.push(print(node.value));
      if (node.value.kind === Kind.STRING || node.value.kind === Kind.INT || node.value.kind === Kind.FLOAT) found.push(node.value.value);
      visit(node.value, {
        Variable(variable) {
          found.push(...secretsIn(variables?.[variable.name.value], true));
        },
      });
    },
  });
  return found.filter((text) => text.length > 0);
}

function redact(error: GraphQLError, secrets: string[]): GraphQLError {
  // Longest first, so a secret containing another is replaced whole.
  const ordered = [...new Set(secrets.flatMap(shownAs))].sort((a, b) => b.length - a.length);
  let message = error.message;
  for (const secret of ordered) message = message.split(secret).join(REDACTED);
  // In place: the error keeps its class (graphql-ws checks it) and everything but the message.
  if (message !== error.message) error.message = message;
  return error;
}

/**
 * A secret as an error message may spell it: as is, escaped as graphql-js's `inspect` writes a
 * string (JSON.stringify: `"` and `\` and control characters escaped, `\u001b` in lower case, lone
 * surrogates escaped) and as its printer writes a string literal (printString: the same, plus
 * U+007F–U+009F, hex in upper case).
 */
function shownAs(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1), printedString(secret)].filter((text) => text.length > 0);
}

/** graphql-js's printString (language/printString.js, not exported) without the quotes. */
function printedString(text: string): string {
  // eslint-disable-next-line no-control-regex -- the characters graphql escapes
  return text.replace(/[\x00-\x1f\x22\x5c\x7f-\x9f]/g, (char) => {
    const named = PRINTED_ESCAPES[char];
    if (named !== undefined) return named;
    return `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

const PRINTED_ESCAPES: Readonly<Record<string, string>> = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '"': '\\"', '\\': '\\\\' };
