import { childCommand, SERVICE_ENV } from './build-children.js';
import type { NodeFloorOptions } from './node-floor-child.js';
import { selfTimedChild, type RunTarget, type Tool } from './tool.js';

export const NODE_FLOOR = 'node floor';

/**
 * A bare Node program doing the durable, verified part of the job (bench/node-floor-child.ts), with
 * our concurrency and the service's Node flags and thread pool: where our CPU would be without the engine.
 */
export function nodeFloor(build: string | null, concurrency: number): Tool {
  return {
    name: NODE_FLOOR,
    timing: 'listing + GETs + verified, fdatasync\'ed files inside the child (no process start-up)',
    unavailable: async () => null,
    async run(target: RunTarget) {
      const options: NodeFloorOptions = { endpoint: target.endpoint, bucket: target.bucket, prefix: target.prefix, dest: target.dest, concurrency };
      return selfTimedChild([...childCommand(build, 'node-floor-child'), JSON.stringify(options)], { timeoutMs: target.timeoutMs, env: SERVICE_ENV });
    },
  };
}
