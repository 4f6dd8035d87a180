import './v8-tiering.js';
import { isAscii } from 'node:buffer';
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, Script } from 'node:vm';
import { crc32 } from 'node:zlib';

/** Beside the bundles: as private as dist/ itself, and emptied by every build. */
export const CODE_CACHE_DIR = '.code-cache';

const CJS_WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'] as const;

export interface BundleIdentity {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

/**
 * Where the cache of `bundle` lives. V8 checks its own version and flags, but of the source only its
 * length, so the name carries the file's identity (inode, size and modification time in nanoseconds):
 * a rebuilt or edited bundle of the same length never runs the old one's code. Its identity, not a
 * checksum of its source, which every start would pay for with a pass over the bundle. Not the
 * device number: an overlay file system (a container's) may get another one at each mount, and every
 * restart would then compile again and leave one more cache file behind.
 * Node's version and flags are in the name too, so a bundle started with other flags (by hand, under
 * a profiler) keeps a cache of its own instead of having V8 reject, and the exit rewrite, the other
 * one at every alternate start.
 */
export function codeCacheFile(bundle: string, identity: BundleIdentity): string {
  const flags = crc32(process.execArgv.join(' ')).toString(16);
  const id = crc32(`${identity.ino}:${identity.size}:${identity.mtimeNs}`).toString(16);
  const name = `${basename(bundle)}.${id}.${process.version}-${process.arch}-${flags}.bin`;
  return join(dirname(bundle), CODE_CACHE_DIR, name);
}

/**
 * The bundle's source and identity, from one open file. esbuild writes ASCII (non-ASCII characters
 * escaped), which Latin-1 decodes as a plain copy, cheaper than UTF-8's decoding; anything else is UTF-8.
 */
function readBundle(file: string): { source: string; identity: BundleIdentity } {
  const fd = openSync(file, 'r');
  try {
    const { ino, size, mtimeNs } = fstatSync(fd, { bigint: true });
    const bytes = readFileSync(fd);
    return { source: bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8'), identity: { ino, size, mtimeNs } };
  } finally {
    closeSync(fd);
  }
}

/** A cache only this user could have written; anything else is ignored (and later replaced). */
function readOwnCache(file: string): Buffer | undefined {
  try {
    const stat = statSync(file);
    const ownedHere = process.getuid === undefined || stat.uid === process.getuid();
    return ownedHere && (stat.mode & 0o022) === 0 ? readFileSync(file) : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole under a temporary name, then renamed: a reader sees the old cache, the new one, or none. */
function writeCache(file: string, data: Buffer): void {
  const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    chmodSync(dirname(file), 0o700);
    writeFileSync(partial, data, { mode: 0o600 });
    renameSync(partial, file);
  } catch {
    // A read-only install (dist/ owned by another user), a full disk: the next start compiles again.
    try {
      rmSync(partial, { force: true });
    } catch {
      // Nothing was written, or it cannot be removed either.
    }
  }
}

/**
 * Runs a CommonJS bundle of the service (built by scripts/build-server.ts) with V8's code cache: the
 * first start compiles it and, on exit, saves the compiled code (the functions that ran by then
 * included); later starts skip parsing and compiling it. Node 20 has no cache for ES modules, and
 * parsing and compiling the bundle was about a third of a start's CPU (figures in the README).
 */
export function runBundle(bundleUrl: URL): void {
  const file = fileURLToPath(bundleUrl);
  const { source, identity } = readBundle(file);
  const cacheFile = codeCacheFile(file, identity);
  const cachedData = readOwnCache(cacheFile);
  const script = new Script(CJS_WRAPPER[0] + source + CJS_WRAPPER[1], {
    filename: file,
    cachedData,
    // The build turns import() into require(); should one remain, it loads as it would in an ES module.
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (!cachedData || script.cachedDataRejected) process.once('exit', () => writeCache(cacheFile, script.createCachedData()));
  const module = { exports: {} };
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  run(module.exports, createRequire(file), module, file, dirname(file));
}
