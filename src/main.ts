import './config/v8-tiering.js';
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config/env.js';
import { withoutStatement } from './config/statement-text.js';
import { buildApp } from './server.js';
import { stopOnSignal } from './stop-on-signal.js';

async function start(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig();
  const app = await buildApp(config);
  await app.start();
  stopOnSignal(app, config.shutdownTimeoutMs);
}

start().catch((error: unknown) => {
  // One readable line (one per bad variable for a ConfigError), never a stack trace, nor an SQL
  // statement (its values may be secrets or object keys).
  console.error(error instanceof ConfigError ? error.message : `failed to start: ${withoutStatement(error instanceof Error ? error.message : String(error))}`);
  process.exit(1);
});
