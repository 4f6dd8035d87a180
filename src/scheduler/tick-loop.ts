import { AsyncTask, SimpleIntervalJob, ToadScheduler } from 'toad-scheduler';

export interface TickLoop {
  start(): void;
  /** Stops the timer and waits for a tick that is under way. */
  stop(): Promise<void>;
}

/**
 * The timer half of the scheduler: calls `onTick` every `everyMs`. What is due is decided by the
 * caller from stored next-run times, so a late or skipped tick loses nothing; overlapping ticks are
 * therefore simply dropped (toad-scheduler's preventOverrun), never job runs.
 */
export function createTickLoop(onTick: () => Promise<void>, everyMs: number, onError: (err: Error) => void): TickLoop {
  let scheduler: ToadScheduler | null = null;
  let current: Promise<void> | null = null;

  const task = new AsyncTask(
    'scheduler-tick',
    async () => {
      current = onTick();
      try {
        await current;
      } finally {
        current = null;
      }
    },
    onError,
  );

  return {
    start() {
      if (scheduler) return;
      scheduler = new ToadScheduler();
      scheduler.addSimpleIntervalJob(new SimpleIntervalJob({ milliseconds: everyMs }, task, { id: 'tick', preventOverrun: true }));
    },
    async stop() {
      scheduler?.stop();
      scheduler = null;
      await current?.catch(() => undefined);
    },
  };
}
