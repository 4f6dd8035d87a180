import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inject } from 'vitest';

/**
 * The file Node starts for `npm start` (`main`) or `npm run sync` (`sync-cli`), from the bundle that
 * test/setup/global-bundle.ts builds once per pass: a child process of a test starts as the built
 * service does, without tsx's seconds of loading and transpiling src/ at every start.
 */
export function serviceEntry(name: 'main' | 'sync-cli'): string {
  return join(inject('serviceBundleDir'), `${name}.js`);
}

/**
 * The engine thread's module from the same bundle, for an app of a test run with SYNC_THREAD=true
 * (`build: { engineThreadEntry: builtEngineThread() }`): the thread starts as the built service's
 * does, without tsx loading the engine's source afresh in each thread.
 */
export function builtEngineThread(): URL {
  return pathToFileURL(join(inject('serviceBundleDir'), 'engine-thread.js'));
}
