import { pino, type DestinationStream, type Logger } from 'pino';
import { withoutStatement } from './statement-text.js';

export type { Logger };

/** Paths that may carry secrets; pino replaces them before a line is written. */
const REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'connectionParams.authorization',
  'secretAccessKey',
  'sessionToken',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.*.secretAccessKey',
  '*.*.sessionToken',
  'credentials',
  '*.credentials',
  '*.*.credentials',
  '*.sealedCredentials',
  'sseCustomerKey',
  '*.sseCustomerKey',
  '*.*.sseCustomerKey',
  '*.sealedSseCustomerKey',
  '*.sse_customer_key',
  '*.*.sse_customer_key',
  '*.aws_secret_access_key',
  '*.aws_session_token',
  '*.*.aws_secret_access_key',
  'secretsKey',
  '*.secretsKey',
  'apiToken',
  'secret',
  '*.secret',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, serializers: { err: errWithoutStatement } }, destination ?? pino.destination(1));
}

type SerializedError = ReturnType<typeof pino.stdSerializers.err>;

/**
 * pino's error serializer, but a database error's statement (and its values) is left out: of such
 * an error only its type, code, message (without the statement) and stack frames are written.
 */
function errWithoutStatement(error: Error): SerializedError | Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error);
  if (typeof serialized.message !== 'string' || withoutStatement(serialized.message) === serialized.message) return serialized;
  const frames = (serialized.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const { code, sqlState } = error as { code?: unknown; sqlState?: unknown };
  return { type: serialized.type, message: withoutStatement(serialized.message), code, sqlState, stack: frames.join('\n') };
}

/**
 * The logger of one sync run: every line carries `jobId` and `runId`. Returns `logger` itself when
 * it already carries them (a run's logger handed down from the scheduler to the engine).
 */
export function runLogger(logger: Logger, jobId: string | null | undefined, runId: number): Logger {
  const bound = logger.bindings();
  if (bound.runId === runId) return bound.jobId !== undefined || !jobId ? logger : logger.child({ jobId });
  return logger.child(jobId ? { jobId, runId } : { runId });
}
