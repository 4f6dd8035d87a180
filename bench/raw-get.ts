import { runMeasured } from './measure.js';
import { benchFile, tsxArgs } from './s3-fixture.js';
import { failure, processRun, type RunTarget, type Tool } from './tool.js';

interface RawStats {
  objects: number;
  bytes: number;
  listMs: number;
  totalMs: number;
}

/** Plain GETs to nowhere; with `listOnly` (the no-op scenario) just the listing, the floor for a rerun. */
export function rawGet(listOnly: boolean): Tool {
  return {
    name: listOnly ? 'raw list only' : 'raw GET',
    timing: 'listing + GETs inside the child (no process start-up)',
    unavailable: async () => null,
    async run(target: RunTarget) {
      const args = [...tsxArgs, benchFile('./raw-get-child.ts'), target.endpoint, target.bucket, target.prefix, String(target.inflight)];
      if (listOnly) args.push('list-only');
      const result = await runMeasured(process.execPath, args, { timeoutMs: target.timeoutMs });
      if (failure(result)) return processRun(result);
      const stats = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as RawStats;
      return { wallMs: stats.totalMs, maxRssKb: result.maxRssKb, cpuMs: result.cpuMs, ok: true, processWallMs: result.wallMs };
    },
  };
}
