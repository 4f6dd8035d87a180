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

/** Standard output as the loggers write it: one asynchronous stream per process, made on first use. */
let stdout: ReturnType<typeof pino.destination> | undefined;

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, serializers: { err: errWithoutStatement } }, destination ?? (stdout ??= pino.destination(1)));
}

/**
 * Waits (at most `timeoutMs`) for the log lines written so far to reach standard output, or for
 * its write to fail. Called before `process.exit`: pino's exit handler writes what is left
 * synchronously and retries a failed write for ever, so a reader gone (EPIPE, a dead log shipper)
 * would otherwise keep the process from exiting; a failure seen here makes pino stop writing.
 */
export async function logsWritten(timeoutMs: number): Promise<void> {
  const stream = stdout;
  if (!stream) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stream.off('drain', done);
      stream.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    stream.once('drain', done);
    stream.once('error', done);
  });
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
