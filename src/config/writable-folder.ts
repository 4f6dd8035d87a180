import { accessSync, constants, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, quoteValue } from './env.js';

export interface FolderSetting {
  /** The environment variable the folder comes from, e.g. DOWNLOAD_ROOT_FOLDER. */
  variable: string;
  /** Its value as given, for the message. */
  value: string;
  example: string;
}

const code = (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'error';

function refuse(setting: FolderSetting, problem: string): ConfigError {
  return new ConfigError(`invalid ${setting.variable} (got ${quoteValue(setting.value)}): ${problem}, e.g. ${setting.example}`);
}

/**
 * Creates `folder` when missing and proves this process can write in it (a probe file is created and
 * removed: permissions, read-only mounts and ACLs all answer). At start-up, so a bad folder is one
 * clear line instead of a hang or every run failing with a misleading error.
 */
export function ensureWritableFolder(folder: string, setting: FolderSetting): void {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    const why = code(error);
    if (why === 'EEXIST') throw refuse(setting, `${folder} is a file, not a folder`);
    if (why === 'ENOTDIR') throw refuse(setting, `a part of ${folder} is a file, not a folder`);
    throw refuse(setting, `the folder ${folder} cannot be created (${why})`);
  }
  const probe = join(folder, `.dss-write-test-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (error) {
    throw refuse(setting, `the folder ${folder} is not writable by this process (${code(error)})`);
  }
}

/**
 * An existing file must be writable (a read-only database file fails later with a cryptic SQL error).
 * Asked with access(2), never by opening it: closing any descriptor of a file drops every POSIX lock
 * the process holds on it, SQLite's included, and the engine thread checks the database the main
 * thread has open. Without its locks, another process closing the database removes the live WAL.
 */
export function ensureWritableFile(file: string, setting: FolderSetting): void {
  const stats = statSync(file, { throwIfNoEntry: false });
  if (!stats) return;
  if (!stats.isFile()) throw refuse(setting, `${file} is not a file`);
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw refuse(setting, `the file ${file} cannot be opened for writing (${code(error)})`);
  }
}
