import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { findPostgresBin, findRedisServer, INSTALL_HINT } from './test/setup/throwaway-servers.js';

/**
 * The suite runs twice: on SQLite, and on PostgreSQL (+ Redis) against throwaway servers started by
 * test/setup/global-servers.ts. `TEST_DB=sqlite` or `TEST_DB=postgres` runs one pass only.
 */
const wanted = process.env.TEST_DB;

/**
 * About SQLite itself (they read the database file; the pid lock that only the embedded database
 * uses), or not about the database at all (units, configuration, the demo, which is SQLite, and the
 * pages in a browser, whose API calls the other tests cover on both databases).
 */
const SQLITE_ONLY = [
  'test/unit/**',
  'test/config/**',
  'test/browser/**',
  'test/graphql/graphiql-browser.test.ts',
  'test/live/demo.test.ts',
  'test/sync/progress-events.test.ts',
  'test/sync/run-lock.test.ts',
  // 100,000 keys through the CLI (about a minute): the listing logic it checks is the same SQL on both.
  'test/sync/huge-listing.test.ts',
  'test/live/progress-e2e.test.ts',
];
/** Several instances on one PostgreSQL + Redis: meaningless on SQLite. */
const POSTGRES_ONLY = ['test/multi/**'];

const shared = {
  setupFiles: ['test/setup/aws-env.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
};

function postgresPass(): TestProjectInlineConfiguration | null {
  if (wanted === 'sqlite') return null;
  const missing = [findPostgresBin() ? null : 'PostgreSQL', findRedisServer() ? null : 'redis-server'].filter(Boolean);
  if (missing.length > 0) {
    const message = `${missing.join(' and ')} not installed: the PostgreSQL pass (the suite on PostgreSQL, and ${POSTGRES_ONLY.join(', ')}) is skipped. Install with: ${INSTALL_HINT}`;
    if (process.env.CI === 'true' || wanted === 'postgres') throw new Error(message);
    console.error(`\n*** ${message}\n`);
    return null;
  }
  return {
    test: {
      ...shared,
      name: 'postgres',
      include: ['test/**/*.test.ts'],
      exclude: SQLITE_ONLY,
      env: { TEST_DB: 'postgres' },
      globalSetup: ['test/setup/global-servers.ts'],
    },
  };
}

const sqlitePass: TestProjectInlineConfiguration | null =
  wanted === 'postgres' ? null : { test: { ...shared, name: 'sqlite', include: ['test/**/*.test.ts'], exclude: POSTGRES_ONLY, env: { TEST_DB: 'sqlite' } } };

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [sqlitePass, postgresPass()].filter((p): p is TestProjectInlineConfiguration => p !== null),
  },
});
