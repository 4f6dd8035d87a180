import type { Config } from '../../config/env.js';
import type { RunStatus } from '../../db/entities/statuses.js';
import type { SyncProgressEvent } from '../../events/progress-event.js';
import type { RetryCause } from '../transport/retry.js';

/** What the engine thread is started with. */
export interface EngineThreadData {
  config: Config;
  /** The service logger's level: the thread logs at the same level, through the service's logger. */
  logLevel: string;
}

/** From the service to the engine thread. `id` names one execution or help session. */
export type ToEngine =
  | { type: 'run'; id: number; runId: number }
  | { type: 'help'; id: number; runId: number }
  | { type: 'abort'; id: number; shutdown?: boolean }
  | { type: 'forget'; jobId: string }
  | { type: 'close' };

/** From the engine thread to the service. Progress events travel in batches, in the order published. */
export type FromEngine =
  | { type: 'events'; events: SyncProgressEvent[] }
  | { type: 'retry'; jobId: string; cause: RetryCause }
  | { type: 'log'; line: string }
  | { type: 'ran'; id: number; runId: number; status: RunStatus }
  | { type: 'helped'; id: number }
  | { type: 'closed' };
