import { constants } from 'node:os';
import { logsWritten } from './config/logger.js';
import type { App } from './server.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * SIGTERM or SIGINT stops the app gracefully and exits with code 0 (1 if the stop failed). A stop
 * still running after `timeoutMs` (a database host that hangs rather than refuses) exits with code
 * 1 anyway, as a supervisor would kill it; a second signal exits at once with 128 + its number, the
 * code of a process that signal killed.
 */
export function stopOnSignal(app: App, timeoutMs: number): void {
  let stopping = false;
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    void logsWritten(1000).then(() => process.exit(code));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      app.logger.error({ signal, pending: app.stopPending() }, `${signal} again while stopping: exiting now`);
      exit(128 + constants.signals[signal]);
      return;
    }
    stopping = true;
    app.logger.info({ signal, timeoutMs }, 'stopping');
    setTimeout(() => {
      app.logger.error({ pending: app.stopPending() }, `stop did not finish within ${timeoutMs / 1000} s (SHUTDOWN_TIMEOUT); exiting`);
      exit(1);
    }, timeoutMs);
    app.stop().then(
      () => exit(0),
      (err: unknown) => {
        app.logger.error({ err }, 'stop failed');
        exit(1);
      },
    );
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
}
