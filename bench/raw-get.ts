import { benchFile, tsxArgs } from './s3-fixture.js';
import { selfTimedChild, type RunTarget, type Tool } from './tool.js';

/** Plain GETs to nowhere; with `listOnly` (the no-op scenario) just the listing, the floor for a rerun. */
export function rawGet(listOnly: boolean): Tool {
  return {
    name: listOnly ? 'raw list only' : 'raw GET',
    timing: 'listing + GETs inside the child (no process start-up)',
    unavailable: async () => null,
    async run(target: RunTarget) {
      const args = [...tsxArgs, benchFile('./raw-get-child.ts'), target.endpoint, target.bucket, target.prefix, String(target.inflight)];
      if (listOnly) args.push('list-only');
      return selfTimedChild(args, { timeoutMs: target.timeoutMs });
    },
  };
}
