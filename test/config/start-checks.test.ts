import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { buildApp } from '../../src/server.js';

/** What `npm start` does before listening: loadConfig, then buildApp (folders, database). */
async function startFails(env: Record<string, string>): Promise<string> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
  const error = await buildApp(config).then(
    async (app) => {
      await app.stop();
      throw new Error('expected buildApp to refuse the configuration');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as Error).message;
}

describe('start-up checks of the folders the service writes to', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dss-start-'));
    file = join(dir, 'a-file');
    await writeFile(file, 'x');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const db = () => `sqlite:${join(dir, 'db', 'scheduler.db')}`;

  it('DOWNLOAD_ROOT_FOLDER that is a file', async () => {
    expect(await startFails({ DB_URL: db(), DOWNLOAD_ROOT_FOLDER: file })).toBe(
      `invalid DOWNLOAD_ROOT_FOLDER (got "${file}"): ${file} is a file, not a folder, e.g. ./downloads`,
    );
  });

  it('DOWNLOAD_ROOT_FOLDER under a file', async () => {
    expect(await startFails({ DB_URL: db(), DOWNLOAD_ROOT_FOLDER: join(file, 'downloads') })).toMatch(
      /^invalid DOWNLOAD_ROOT_FOLDER \(got ".*"\): a part of .* is a file, not a folder, e\.g\. \.\/downloads$/,
    );
  });

  // /proc refuses new files even to root, so this holds whoever runs the tests.
  it.skipIf(process.platform !== 'linux')('DOWNLOAD_ROOT_FOLDER that is not writable', async () => {
    expect(await startFails({ DB_URL: db(), DOWNLOAD_ROOT_FOLDER: '/proc' })).toMatch(
      /^invalid DOWNLOAD_ROOT_FOLDER \(got "\/proc"\): the folder \/proc is not writable by this process \(E[A-Z]+\), e\.g\. \.\/downloads$/,
    );
  });

  it('DB_URL whose folder is a file', async () => {
    expect(await startFails({ DB_URL: `sqlite:${join(file, 'scheduler.db')}`, DOWNLOAD_ROOT_FOLDER: join(dir, 'dl') })).toBe(
      `invalid DB_URL (got "sqlite:${join(file, 'scheduler.db')}"): ${file} is a file, not a folder, e.g. sqlite:./data/scheduler.db`,
    );
  });

  it.skipIf(process.platform !== 'linux')('DB_URL in a folder that is not writable', async () => {
    expect(await startFails({ DB_URL: 'sqlite:/proc/scheduler.db', DOWNLOAD_ROOT_FOLDER: join(dir, 'dl') })).toMatch(
      /^invalid DB_URL \(got "sqlite:\/proc\/scheduler\.db"\): the folder \/proc is not writable by this process/,
    );
  });

  it('creates both folders when they are missing, and starts', async () => {
    const app = await buildApp(loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DB_URL: db(), DOWNLOAD_ROOT_FOLDER: join(dir, 'new', 'dl') }));
    await app.stop();
    expect(statSync(join(dir, 'new', 'dl')).isDirectory()).toBe(true);
    expect(readdirSync(join(dir, 'new', 'dl'))).toEqual([]); // the write probe is gone
  });
});
