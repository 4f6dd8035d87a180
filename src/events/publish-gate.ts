/**
 * Unanswered PUBLISHes allowed at once; more are dropped. Far above a healthy Redis's backlog: one
 * batch commit of 500 small objects publishes 2,000 in one turn (each event on two channels).
 */
export const MAX_PUBLISHES_IN_FLIGHT = 10_000;
/** A publisher with PUBLISHes in flight and no answer for this long is taken as down. */
export const PUBLISH_STALL_MS = 2_000;

export interface PublishGateHooks {
  /** PUBLISHes have waited `stallMs` without any answer: from now on they are dropped. */
  onStalled(): void;
  /** The first PUBLISH answered after a stall: publishing again. */
  onAnsweredAfterStall(): void;
}

/**
 * Bounds what a hung Redis can hold in memory. A closed connection refuses commands at once
 * (no offline queue), but one that stays open without answering (a stopped server, a partition
 * without reset) keeps every PUBLISH waiting in the client. The gate drops a PUBLISH when
 * `maxInFlight` are unanswered, or once no answer came for `stallMs` while some were waiting,
 * until one is answered; so at most `maxInFlight` (in practice what `stallMs` of publishing
 * holds) are sent late when Redis answers again.
 */
export function createPublishGate(
  send: (channel: string, message: string) => Promise<unknown>,
  hooks: PublishGateHooks,
  { maxInFlight = MAX_PUBLISHES_IN_FLIGHT, stallMs = PUBLISH_STALL_MS } = {},
) {
  let inFlight = 0;
  let answers = 0;
  let dropped = 0;
  let stalled = false;
  let watchdog: NodeJS.Timeout | undefined;

  function watch(): void {
    if (watchdog || stalled || inFlight === 0) return;
    const answersBefore = answers;
    watchdog = setTimeout(() => {
      // Timers run before the poll phase: answers that arrived while this process was busy are
      // only read then, so the verdict waits for the check phase that follows it.
      setImmediate(() => {
        watchdog = undefined;
        if (inFlight > 0 && answers === answersBefore) {
          stalled = true;
          hooks.onStalled();
        }
        watch();
      });
    }, stallMs);
    watchdog.unref();
  }

  function answered(fulfilled: boolean): void {
    inFlight -= 1;
    answers += 1;
    if (stalled) {
      stalled = false;
      if (fulfilled) hooks.onAnsweredAfterStall();
    }
    watch();
  }

  return {
    publish(channel: string, message: string): void {
      if (stalled || inFlight >= maxInFlight) {
        dropped += 1;
        return;
      }
      inFlight += 1;
      send(channel, message).then(
        () => answered(true),
        () => answered(false),
      );
      watch();
    },
    /** PUBLISHes dropped since start. */
    get dropped(): number {
      return dropped;
    },
    close(): void {
      clearTimeout(watchdog);
    },
  };
}
