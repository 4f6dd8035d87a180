import { Writable } from 'node:stream';
import { createLogger } from '../../src/config/logger.js';

/** A pino logger (level debug) whose JSON lines land in arrays: parsed in `lines`, as written in `raw`. */
export function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString());
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('debug', sink), lines, raw };
}
