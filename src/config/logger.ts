import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Paths that may carry secrets; pino replaces them before a line is written. */
const REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'connectionParams.authorization',
  '*.secretAccessKey',
  '*.sessionToken',
  'apiToken',
  'secret',
  '*.secret',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, destination ?? pino.destination(1));
}
