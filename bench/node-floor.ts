import { childCommand, SERVICE_ENV } from './build-children.js';
import type { NodeFloorOptions } from './node-floor-child.js';
import { selfTimedChild, type RunTarget, type Tool } from './tool.js';

export const NODE_FLOOR = 'node floor';
export const NODE_FLOOR_NO_SYNC = 'node floor, no fdatasync';

/**
 * A bare Node program doing the durable, verified part of the job (bench/node-floor-child.ts), with
 * our concurrency and the service's Node flags and thread pool: where our CPU would be without the
 * engine. Not `durable`: the same without fdatasync, as the peers write (what durability costs).
 */
export function nodeFloor(build: string | null, concurrency: number, durable = true): Tool {
  return {
    name: durable ? NODE_FLOOR : NODE_FLOOR_NO_SYNC,
    timing: `listing + GETs + verified${durable ? ", fdatasync'ed" : ''} files inside the child (no process start-up)`,
    unavailable: async () => null,
    async run(target: RunTarget) {
      const { endpoint, bucket, prefix, dest } = target;
      const options: NodeFloorOptions = { endpoint, bucket, prefix, dest, concurrency, durable };
      return selfTimedChild([...childCommand(build, 'node-floor-child'), JSON.stringify(options)], { timeoutMs: target.timeoutMs, env: SERVICE_ENV });
    },
  };
}
