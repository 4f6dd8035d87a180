import './config/v8-tiering.js';
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config/env.js';
import { logsWritten } from './config/logger.js';
import { withoutStatement } from './config/statement-text.js';
import { buildApp } from './server.js';

async function start(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const app = await buildApp(loadConfig());
  await app.start();
  const exit = (code: number) => () => logsWritten(1000).then(() => process.exit(code));
  const stop = () => void app.stop().then(exit(0), exit(1));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

start().catch((error: unknown) => {
  // One readable line (one per bad variable for a ConfigError), never a stack trace, nor an SQL
  // statement (its values may be secrets or object keys).
  console.error(error instanceof ConfigError ? error.message : `failed to start: ${withoutStatement(error instanceof Error ? error.message : String(error))}`);
  process.exit(1);
});
