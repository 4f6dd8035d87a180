import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config/env.js';

const TOKEN = 'a-very-secret-token-value-1234';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig defaults', () => {
  it('gives the contract defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      port: 5000,
      host: '0.0.0.0',
      dbUrl: 'sqlite:./data/scheduler.db',
      downloadRoot: './downloads',
      chunkSize: 10485760,
      retry: { count: 3, delaySeconds: 1, backoff: 2 },
      syncConcurrency: 8,
      syncThread: true,
      listConcurrency: 8,
      fileSync: 'filesystem',
      defaultPageSize: 100,
      s3: { region: undefined, endpoint: undefined, forcePathStyle: false, verifyMultipartEtag: true, endpointAllowedHosts: null },
      apiToken: undefined,
      webhooks: { secret: undefined, allowedHosts: null, timeoutMs: 10_000, retryBaseMs: 30_000 },
      logLevel: 'info',
      minScheduleIntervalMs: 60_000,
      runHistory: { maxAgeDays: 30, maxPerJob: 1000 },
      corsOrigins: [],
      redisUrl: undefined,
      instanceId: `${hostname()}-${process.pid}`,
      runLeaseTtlMs: 30_000,
      shutdownTimeoutMs: 20_000,
      databaseOutageWaitMs: 600_000,
      proxy: { noProxy: [] },
    } satisfies Config);
  });
});

const GOOD: Array<[string, string, (c: Config) => unknown, unknown]> = [
  ['PORT', '0', (c) => c.port, 0],
  ['PORT', '8080', (c) => c.port, 8080],
  ['PORT', '65535', (c) => c.port, 65535],
  ['HOST', '127.0.0.1', (c) => c.host, '127.0.0.1'],
  ['HOST', '::', (c) => c.host, '::'],
  ['DB_URL', 'sqlite:/var/lib/dss/db.sqlite', (c) => c.dbUrl, 'sqlite:/var/lib/dss/db.sqlite'],
  ['DB_URL', 'sqlite::memory:', (c) => c.dbUrl, 'sqlite::memory:'],
  ['DB_URL', 'postgresql://user@db:5432/dss', (c) => c.dbUrl, 'postgresql://user@db:5432/dss'],
  ['DOWNLOAD_ROOT_FOLDER', '/srv/mirror', (c) => c.downloadRoot, '/srv/mirror'],
  ['S3_CHUNK_SIZE', '10485760', (c) => c.chunkSize, 10485760],
  ['S3_CHUNK_SIZE', '8MiB', (c) => c.chunkSize, 8 * 1024 * 1024],
  ['S3_CHUNK_SIZE', '10MB', (c) => c.chunkSize, 10_000_000],
  ['S3_CHUNK_SIZE', '10 * 1024 * 1024', (c) => c.chunkSize, 10485760],
  ['S3_CHUNK_SIZE', '64KiB', (c) => c.chunkSize, 65536],
  ['S3_CHUNK_SIZE', '5GiB', (c) => c.chunkSize, 5 * 1024 ** 3],
  ['RETRY_COUNT', '0', (c) => c.retry.count, 0],
  ['RETRY_COUNT', '5', (c) => c.retry.count, 5],
  ['RETRY_DELAY', '0.5', (c) => c.retry.delaySeconds, 0.5],
  ['RETRY_BACKOFF', '1.5', (c) => c.retry.backoff, 1.5],
  ['SYNC_CONCURRENCY', '1', (c) => c.syncConcurrency, 1],
  ['SYNC_CONCURRENCY', '32', (c) => c.syncConcurrency, 32],
  ['LIST_CONCURRENCY', '1', (c) => c.listConcurrency, 1],
  ['LIST_CONCURRENCY', '32', (c) => c.listConcurrency, 32],
  ['FILE_SYNC', 'file', (c) => c.fileSync, 'file'],
  ['FILE_SYNC', ' FileSystem ', (c) => c.fileSync, 'filesystem'],
  ['DB_ROWS_RETRIEVAL_LIMIT', '1000', (c) => c.defaultPageSize, 1000],
  ['DB_ROWS_RETRIEVAL_LIMIT', '1', (c) => c.defaultPageSize, 1],
  ['AWS_REGION', 'eu-west-3', (c) => c.s3.region, 'eu-west-3'],
  ['AWS_ENDPOINT_URL_S3', 'http://127.0.0.1:9000', (c) => c.s3.endpoint, 'http://127.0.0.1:9000'],
  ['S3_ENDPOINT', 'https://minio.internal:9000', (c) => c.s3.endpoint, 'https://minio.internal:9000'],
  ['S3_FORCE_PATH_STYLE', 'true', (c) => c.s3.forcePathStyle, true],
  ['S3_FORCE_PATH_STYLE', 'FALSE', (c) => c.s3.forcePathStyle, false],
  ['S3_FORCE_PATH_STYLE', '1', (c) => c.s3.forcePathStyle, true],
  ['S3_VERIFY_MULTIPART_ETAG', 'false', (c) => c.s3.verifyMultipartEtag, false],
  ['S3_ENDPOINT_ALLOWED_HOSTS', 'minio.internal, *.Example.com', (c) => c.s3.endpointAllowedHosts, ['minio.internal', '*.example.com']],
  ['S3_VERIFY_MULTIPART_ETAG', '', (c) => c.s3.verifyMultipartEtag, true],
  ['API_TOKEN', TOKEN, (c) => c.apiToken, TOKEN],
  ['API_TOKEN', '', (c) => c.apiToken, undefined],
  ['WEBHOOK_ALLOWED_HOSTS', 'Hooks.example.com, *.internal', (c) => c.webhooks.allowedHosts, ['hooks.example.com', '*.internal']],
  ['WEBHOOK_TIMEOUT', '2.5', (c) => c.webhooks.timeoutMs, 2500],
  ['WEBHOOK_RETRY_BASE', '0.05', (c) => c.webhooks.retryBaseMs, 50],
  ['API_TOKEN', `  ${TOKEN}\n`, (c) => c.apiToken, TOKEN],
  ['CORS_ORIGINS', '', (c) => c.corsOrigins, []],
  ['CORS_ORIGINS', 'https://Dash.Example.com:443/, http://localhost:3000,,', (c) => c.corsOrigins, ['https://dash.example.com', 'http://localhost:3000']],
  ['DB_URL', 'postgres://dss:secret@127.0.0.1/dss', (c) => c.dbUrl, 'postgres://dss:secret@127.0.0.1/dss'],
  ['REDIS_URL', 'redis://127.0.0.1:6379', (c) => c.redisUrl, 'redis://127.0.0.1:6379'],
  ['REDIS_URL', 'rediss://:pw@cache.internal:6380/2', (c) => c.redisUrl, 'rediss://:pw@cache.internal:6380/2'],
  ['INSTANCE_ID', 'dss-a', (c) => c.instanceId, 'dss-a'],
  ['RUN_LEASE_TTL', '45s', (c) => c.runLeaseTtlMs, 45_000],
  ['RUN_LEASE_TTL', '2m', (c) => c.runLeaseTtlMs, 120_000],
  ['RUN_LEASE_TTL', '10', (c) => c.runLeaseTtlMs, 10_000],
  ['SHUTDOWN_TIMEOUT', '2s', (c) => c.shutdownTimeoutMs, 2_000],
  ['SHUTDOWN_TIMEOUT', '1m', (c) => c.shutdownTimeoutMs, 60_000],
  ['SHUTDOWN_TIMEOUT', '25', (c) => c.shutdownTimeoutMs, 25_000],
  ['DB_OUTAGE_WAIT', '2s', (c) => c.databaseOutageWaitMs, 2_000],
  ['DB_OUTAGE_WAIT', '30m', (c) => c.databaseOutageWaitMs, 1_800_000],
  ['DB_OUTAGE_WAIT', '24h', (c) => c.databaseOutageWaitMs, 86_400_000],
  ['LOG_LEVEL', 'debug', (c) => c.logLevel, 'debug'],
  ['LOG_LEVEL', 'silent', (c) => c.logLevel, 'silent'],
  ['LOG_LEVEL', ' WARN ', (c) => c.logLevel, 'warn'],
];

describe('loadConfig accepts good values', () => {
  it.each(GOOD)('%s=%j', (name, value, read, expected) => {
    expect(read(loadConfig({ [name]: value }))).toEqual(expected);
  });

  it('prefers AWS_ENDPOINT_URL_S3 over S3_ENDPOINT', () => {
    const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://a:1', S3_ENDPOINT: 'http://b:2' });
    expect(config.s3.endpoint).toBe('http://a:1');
  });
});

const BAD: Array<[string, string]> = [
  ['PORT', 'abc'],
  ['PORT', '-1'],
  ['PORT', '65536'],
  ['PORT', '80.5'],
  ['HOST', '   '],
  ['DB_URL', 'mysql://db/dss'],
  ['DB_URL', './scheduler.db'],
  ['DB_URL', 'postgresql://'],
  ['DB_URL', 'postgresql://db:5432'],
  ['DB_URL', 'postgresql://db:port/dss'],
  ['REDIS_URL', 'localhost:6379'],
  ['REDIS_URL', 'http://cache:6379'],
  ['REDIS_URL', 'redis://'],
  ['INSTANCE_ID', 'two words'],
  ['RUN_LEASE_TTL', '0s'],
  ['RUN_LEASE_TTL', 'soon'],
  ['SHUTDOWN_TIMEOUT', '0s'],
  ['SHUTDOWN_TIMEOUT', '11m'],
  ['SHUTDOWN_TIMEOUT', 'never'],
  ['DB_OUTAGE_WAIT', '0s'],
  ['DB_OUTAGE_WAIT', '25h'],
  ['DB_OUTAGE_WAIT', 'forever'],
  ['DOWNLOAD_ROOT_FOLDER', '  '],
  ['S3_CHUNK_SIZE', '0'],
  ['S3_CHUNK_SIZE', '-1'],
  ['S3_CHUNK_SIZE', '63KiB'],
  ['S3_CHUNK_SIZE', '6GiB'],
  ['S3_CHUNK_SIZE', 'abc'],
  ['S3_CHUNK_SIZE', '1e9'],
  ['S3_CHUNK_SIZE', "require('x')"],
  ['S3_CHUNK_SIZE', '10 * '],
  ['S3_CHUNK_SIZE', '10 * 1024 * 1024; process.exit(1)'],
  ['RETRY_COUNT', '-1'],
  ['RETRY_COUNT', 'three'],
  ['RETRY_COUNT', '1.5'],
  ['RETRY_DELAY', '-1'],
  ['RETRY_DELAY', 'soon'],
  ['RETRY_BACKOFF', '0.5'],
  ['RETRY_BACKOFF', 'x2'],
  ['SYNC_CONCURRENCY', '0'],
  ['SYNC_CONCURRENCY', 'many'],
  ['LIST_CONCURRENCY', '0'],
  ['LIST_CONCURRENCY', '33'],
  ['FILE_SYNC', 'fsync'],
  ['DB_ROWS_RETRIEVAL_LIMIT', '0'],
  ['DB_ROWS_RETRIEVAL_LIMIT', '1001'],
  ['DB_ROWS_RETRIEVAL_LIMIT', 'all'],
  ['AWS_REGION', 'EU West'],
  ['AWS_DEFAULT_REGION', 'eu west 1'],
  ['AWS_ENDPOINT_URL_S3', 'not a url'],
  ['S3_ENDPOINT', 'minio:9000 please'],
  ['AWS_ENDPOINT_URL_S3', 'minio:9000'],
  ['AWS_ENDPOINT_URL_S3', 'ftp://files.example.com'],
  ['S3_FORCE_PATH_STYLE', 'maybe'],
  ['S3_VERIFY_MULTIPART_ETAG', 'sometimes'],
  ['API_TOKEN', 'short'],
  ['WEBHOOK_SECRET', 'short-secret'],
  ['WEBHOOK_ALLOWED_HOSTS', 'http://hooks.example.com'],
  ['WEBHOOK_ALLOWED_HOSTS', ' , '],
  ['WEBHOOK_TIMEOUT', '0'],
  ['WEBHOOK_RETRY_BASE', 'soon'],
  ['API_TOKEN', ' '.repeat(24)],
  ['API_TOKEN', 'x\u0000-secret-0123456789abcdef'],
  ['API_TOKEN', 'seçret-0123456789abcdef'],
  ['CORS_ORIGINS', '*'],
  ['CORS_ORIGINS', 'dash.example.com'],
  ['CORS_ORIGINS', 'http://ok.example, ftp://files.example'],
  ['CORS_ORIGINS', 'https://dash.example.com/app'],
  ['CORS_ORIGINS', 'https://dash.example.com?x=1'],
  ['CORS_ORIGINS', 'https://user:pw@dash.example.com'],
  ['LOG_LEVEL', 'verbose'],
];

describe('loadConfig refuses bad values with one line naming the variable', () => {
  it.each(BAD)('%s=%j', (name, value) => {
    const message = configError({ [name]: value });
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(new RegExp(`^invalid ${name}\\b`));
    expect(message).not.toMatch(/\n\s+at /);
    if (name === 'API_TOKEN' || name === 'WEBHOOK_SECRET') expect(message).not.toContain(value);
    else expect(message).toContain(`"${value}"`);
    expect(message).toMatch(/e\.g\./);
  });

  // "-1" is a whole number and a number: its problem is the range.
  it.each([
    ['RETRY_COUNT', '-1'],
    ['RETRY_DELAY', '-1'],
    ['SYNC_CONCURRENCY', '-8'],
    ['PORT', '-1'],
  ])('%s=%s names the range, not "must be a (whole) number"', (name, value) => {
    expect(configError({ [name]: value })).toMatch(new RegExp(`^invalid ${name} \\(got "${value}"\\): must be between`));
  });

  it('DB_OUTAGE_WAIT out of range names its bounds', () => {
    expect(configError({ DB_OUTAGE_WAIT: '0s' })).toBe('invalid DB_OUTAGE_WAIT (got "0s"): must be a duration between 1s and 24h, e.g. 10m');
  });

  it('reports every bad variable, one line each', () => {
    const message = configError({ PORT: 'x', S3_CHUNK_SIZE: '0', LOG_LEVEL: 'loud' });
    const lines = message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.split(' ')[1]).sort()).toEqual(['LOG_LEVEL', 'PORT', 'S3_CHUNK_SIZE']);
  });

  it('never echoes the password of a DB_URL or REDIS_URL', () => {
    const message = configError({ DB_URL: 'postgresql://dss:hunter2@db:5432', REDIS_URL: 'http://:hunter2@cache' });
    expect(message).not.toContain('hunter2');
    expect(message).toContain('invalid DB_URL (got "postgresql://dss:***@db:5432")');
    expect(message).toContain('invalid REDIS_URL');
  });

  // The drivers decode these parts with decodeURIComponent: a bad escape failed the start with a bare
  // "URI malformed", naming neither the variable nor the part.
  it.each([
    ['DB_URL', 'postgresql://u:hunter2%ZZPASS@h/db', 'password', 'postgresql://u:***@h/db'],
    ['DB_URL', 'postgresql://u:hunter2%C3@h/db', 'password', 'postgresql://u:***@h/db'],
    ['DB_URL', 'postgres://u:hunter2@x%ZZ@h:5432/db', 'password', 'postgres://u:***@h:5432/db'],
    ['DB_URL', 'postgresql://u%ZZ:hunter2@h/db', 'user', 'postgresql://u%ZZ:***@h/db'],
    ['DB_URL', 'postgresql://u%ZZ@h/db', 'user', 'postgresql://u%ZZ@h/db'],
    ['DB_URL', 'postgresql://u:hunter2@h/d%ZZb', 'database name', 'postgresql://u:***@h/d%ZZb'],
    ['DB_URL', 'postgresql://u:hunter2@h%ZZ/db', 'host', 'postgresql://u:***@h%ZZ/db'],
    ['DB_URL', 'postgresql://u:hunter2@h/db?schema=s%25ZZ', 'schema', 'postgresql://u:***@h/db?schema=s%25ZZ'],
    ['REDIS_URL', 'redis://:red%ZZis-hunter2@127.0.0.1:1', 'password', 'redis://:***@127.0.0.1:1'],
    ['REDIS_URL', 'rediss://us%ZZer:hunter2@cache:6380/2', 'user', 'rediss://us%ZZer:***@cache:6380/2'],
  ])('%s=%j: one line naming the variable and the part with a bad percent-escape, never the password', (name, value, part, shown) => {
    const message = configError({ [name]: value });
    expect(message.split('\n')).toHaveLength(1);
    expect(message.startsWith(`invalid ${name} (got ${JSON.stringify(shown)}): `)).toBe(true);
    expect(message).toContain(`has a malformed %-escape in its ${part} (write a % as %25), e.g.`);
    expect(message).not.toContain('hunter2');
    expect(message).not.toMatch(/URI malformed/);
  });

  it('a password with a raw @ or space is masked whole', () => {
    const message = configError({ DB_URL: 'postgresql://dss:hunter2 q@zz9@db:5432', REDIS_URL: 'redis://:hunter2@zz9 q@' });
    expect(message.split('\n')).toHaveLength(2);
    expect(message).not.toMatch(/hunter2|zz9/);
    expect(message).toContain('invalid DB_URL (got "postgresql://dss:***@db:5432")');
    expect(message).toContain('invalid REDIS_URL (got "redis://:***@")');
  });

  it('accepts %-escapes that decode', () => {
    expect(loadConfig({ DB_URL: 'postgresql://d%C3%A9v:p%40ss%25word@db/d%20b' }).dbUrl).toBe('postgresql://d%C3%A9v:p%40ss%25word@db/d%20b');
    expect(loadConfig({ REDIS_URL: 'redis://:p%40ss%25@127.0.0.1:6379' }).redisUrl).toBe('redis://:p%40ss%25@127.0.0.1:6379');
  });

  it('never echoes an API_TOKEN value, even next to other errors', () => {
    const secret = 'tooshort-secret';
    const message = configError({ API_TOKEN: secret, PORT: 'x' });
    expect(message).not.toContain(secret);
    expect(message).toContain('invalid API_TOKEN');
  });
});
