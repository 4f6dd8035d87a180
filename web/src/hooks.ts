import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api/client.js';
import { onLiveState, type LiveState } from './api/live.js';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
}

/** Runs `load` now and whenever `deps` change; `reload()` runs it again (keeping the last data shown meanwhile). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const ticket = ++latest.current;
    setLoading(true);
    load().then(
      (value) => {
        if (ticket !== latest.current) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (reason: unknown) => {
        if (ticket !== latest.current) return;
        setError(reason instanceof ApiError ? reason : new ApiError(0, [{ message: String(reason) }]));
        setLoading(false);
      },
    );
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}

/** Calls `action` at most once per `ms`, the last call of a burst included (trailing edge). */
export function useThrottled(action: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const last = useRef(0);
  const current = useRef(action);
  current.current = action;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current) return;
    const wait = Math.max(0, last.current + ms - Date.now());
    timer.current = setTimeout(() => {
      timer.current = undefined;
      last.current = Date.now();
      current.current();
    }, wait);
  }, [ms]);
}

/** Renders the component again every `ms` while `active` (figures that age with time, such as a rate). */
export function useRedrawEvery(ms: number, active: boolean): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(() => setTick((tick) => tick + 1), ms);
    return () => clearInterval(timer);
  }, [ms, active]);
}

/** The live socket's state; `onReconnect` runs when it comes back after a drop (refetch what is shown). */
export function useLiveState(onReconnect?: () => void): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const callback = useRef(onReconnect);
  callback.current = onReconnect;
  useEffect(
    () =>
      onLiveState((next, reconnected) => {
        setState(next);
        if (reconnected) callback.current?.();
      }),
    [],
  );
  return state;
}

/**
 * Runs `action` when the user comes back to the page (its tab shown again, or its window focused):
 * a change made elsewhere that publishes no progress event (a job deleted in another tab, or through
 * the REST API) shows without a reload.
 */
export function useOnReturn(action: () => void): void {
  const current = useRef(action);
  current.current = action;
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === 'visible') current.current();
    };
    const onFocus = () => current.current();
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('focus', onFocus);
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('focus', onFocus);
    };
  }, []);
}
