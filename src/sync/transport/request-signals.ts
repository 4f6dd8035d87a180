/** Abort and timeout plumbing shared by the HTTP/1.1 client's connections. */

/**
 * One 'abort' listener per signal however many requests share it (a run's GETs all do; one
 * listener each would trip Node's listener-leak warning). Returns the unsubscribe.
 */
const abortWatchers = new WeakMap<AbortSignal, Set<() => void>>();
export function whenAborted(signal: AbortSignal, fn: () => void): () => void {
  // Aborted while this request was being signed: its 'abort' event has been and gone.
  if (signal.aborted) {
    process.nextTick(fn);
    return () => {};
  }
  let watchers = abortWatchers.get(signal);
  if (!watchers) {
    const set = new Set<() => void>();
    watchers = set;
    abortWatchers.set(signal, set);
    signal.addEventListener('abort', () => {
      for (const watcher of [...set]) watcher();
      set.clear();
    }, { once: true });
  }
  watchers.add(fn);
  return () => watchers.delete(fn);
}

export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error && signal.reason.name === 'AbortError'
    ? signal.reason
    : Object.assign(new Error('the request was aborted', { cause: signal.reason }), { name: 'AbortError' });
}

export function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError' });
}
