import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * The file Node starts for `npm start` (`main`) or `npm run sync` (`sync-cli`), from the bundle that
 * test/setup/global-bundle.ts builds once per pass: a child process of a test starts as the built
 * service does, without tsx's seconds of loading and transpiling src/ at every start.
 */
export function serviceEntry(name: 'main' | 'sync-cli'): string {
  return join(inject('serviceBundleDir'), `${name}.js`);
}
