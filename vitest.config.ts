import { availableParallelism } from 'node:os';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { findPostgresBin, findRedisServer, INSTALL_HINT } from './test/setup/throwaway-servers.js';

/**
 * The suite runs twice: on SQLite, and on PostgreSQL (+ Redis) against throwaway servers started by
 * test/setup/global-servers.ts. `TEST_DB=sqlite` or `TEST_DB=postgres` runs one pass only.
 */
const wanted = process.env.TEST_DB;

/**
 * About S3 requests (signing, endpoints, the HTTP client, faults on the wire), checksums, local files
 * and HTTP framing: a run's rows only record their outcome, in SQL that the files of sync, scheduling,
 * the API and test/multi run on both databases. Run once, they leave the CPU to the rest.
 */
function notAboutTheDatabase(): string[] {
  const sync = [
    'verification', 'answer-checksums', 'composite-checksums', 'symlinks', 'unsafe-keys', 'cr-keys', 'disk-faults', 'file-system-sync-errors',
    'sdk-endpoint', 'sdk-fallback', 'default-region', 'signed-get', 'sigv4-verified', 'sigv4-verified-sync', 'http1-client', 'outbound-proxy',
    'faulty-network', 'clock-skew-concurrent', 'listing-faults', 'small-file-sync', 'cli-env',
  ].map((name) => `test/sync/${name}.test.ts`);
  const http = ['rest/idle-connections', 'rest/refused-body-drain', 'rest/compression', 'graphql/graphiql-framing', 'graphql/auth-graphiql', 'graphql/graphiql-served-once', 'graphql/ws-peer-gone'].map(
    (name) => `test/${name}.test.ts`,
  );
  // Thousands of generated inputs each: validation answers before any SQL, and the valid ones store
  // what the API files store on both databases.
  const generatedInputs = ['graphql/property-variables', 'rest/property-inputs', 'notify/webhook-inputs'].map((name) => `test/${name}.test.ts`);
  return [...sync, ...http, ...generatedInputs];
}

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
  'test/db/sqlite-write-transactions.test.ts',
  // 40,000 keys through the CLI: the listing logic it checks is the same SQL on both.
  'test/sync/huge-listing.test.ts',
  'test/live/progress-e2e.test.ts',
  ...notAboutTheDatabase(),
];
/** Several instances on one PostgreSQL + Redis: meaningless on SQLite. */
const POSTGRES_ONLY = ['test/multi/**'];

/**
 * The longest files, started first so that none of them is left running alone at the end (a fresh
 * clone has no timing cache to order by). Order only: a file missing here just starts later.
 */
const LONGEST_FIRST = [
  'test/multi/instances.test.ts',
  'test/browser/dashboard-live-run.test.ts',
  'test/browser/dashboard.test.ts',
  'test/sync/huge-listing.test.ts',
  'test/browser/dashboard-edge-cases.test.ts',
  'test/multi/engine-thread-outage-give-up.test.ts',
  'test/browser/graphiql.test.ts',
  'test/multi/lost-claim.test.ts',
  'test/live/demo.test.ts',
  'test/multi/cli-run-alone.test.ts',
  'test/sync/key-ranges.test.ts',
  'test/live/built-service.test.ts',
];

class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = LONGEST_FIRST.findIndex((path) => file.moduleId.endsWith(path));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    return sorted.map((file, order) => ({ file, order })).sort((a, b) => rank(a.file) - rank(b.file) || a.order - b.order).map(({ file }) => file);
  }
}

/**
 * vitest's default on a 2-core machine is one file at a time; two keep both cores busy without
 * starving the servers and child processes the tests start.
 */
const WORKERS = Math.max(2, availableParallelism());

/** Both passes start the service and its CLI as child processes from one bundle built for the pass. */
const BUNDLE_SETUP = 'test/setup/global-bundle.ts';

const shared = {
  setupFiles: ['test/setup/aws-env.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  /**
   * A worker runs file after file in one process, so the service's module graph (the AWS SDK,
   * MikroORM, GraphQL) is imported once per worker rather than once per file. Each file starts its
   * own servers and app and stops them, and the tests that change process.env or timers restore them.
   */
  isolate: false,
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
      globalSetup: [BUNDLE_SETUP, 'test/setup/global-servers.ts'],
    },
  };
}

const sqlitePass: TestProjectInlineConfiguration | null =
  wanted === 'postgres' ? null : { test: { ...shared, name: 'sqlite', include: ['test/**/*.test.ts'], exclude: POSTGRES_ONLY, env: { TEST_DB: 'sqlite' }, globalSetup: [BUNDLE_SETUP] } };

export default defineConfig({
  test: {
    reporters: ['default'],
    maxWorkers: WORKERS,
    sequence: { sequencer: LongestFirstSequencer },
    projects: [sqlitePass, postgresPass()].filter((p): p is TestProjectInlineConfiguration => p !== null),
  },
});
