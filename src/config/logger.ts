import { pino, type DestinationStream, type Logger } from 'pino';

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
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, destination ?? pino.destination(1));
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
