import { createClient, type Client } from 'graphql-ws';
import { DashboardProgressDocument, type DashboardProgressSubscription } from '../../generated/graphql.js';
import { authorizationHeader, readToken } from './token.js';

export type ProgressEvent = DashboardProgressSubscription['syncProgress'];
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'refused';

type Listener = (state: LiveState, reconnected: boolean) => void;

let client: Client | undefined;
let state: LiveState = 'connecting';
/** A socket was lost since the last connection: whatever happened meanwhile was not seen. */
let dropped = false;
const stateListeners = new Set<Listener>();

function setState(next: LiveState, reconnected = false) {
  state = next;
  for (const listener of stateListeners) listener(state, reconnected);
}

/**
 * One graphql-ws client for the page (lazy: the socket opens with the first subscription). It
 * retries for ever with graphql-ws's backoff; after a reconnect, listeners refetch what they show,
 * since events published while the socket was down are lost.
 */
function liveClient(): Client {
  if (client) return client;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  client = createClient({
    url,
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    // Exponential backoff capped at ~5 s, so a wall screen is back soon after the service is.
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, 4000) + Math.random() * 1000)),
    connectionParams: () => {
      const authorization = authorizationHeader(readToken());
      return authorization ? { authorization } : {};
    },
    on: {
      connected: (_socket, _payload, wasRetry) => {
        const missed = wasRetry || dropped;
        dropped = false;
        setState('live', missed);
      },
      closed: (event) => {
        const code = (event as { code?: number } | undefined)?.code;
        // 1000: the client itself closed the socket (lazy: no subscription left), nothing was lost.
        if (code === 1000) return setState('connecting');
        dropped = true;
        setState(code === 4401 || code === 4403 ? 'refused' : 'reconnecting');
      },
    },
  });
  return client;
}

const RESUBSCRIBE_MS = 3_000;

/**
 * Subscribes to syncProgress (one job or all); returns the unsubscribe function. graphql-ws gives
 * up on some close codes (1011, 4500…) and ends the subscription with an error: it is then started
 * again after a pause, for as long as the page wants it. The service completes a job's stream when
 * the job is deleted: `onComplete` is told.
 */
export function subscribeProgress(jobId: string | null, onEvent: (event: ProgressEvent) => void, onComplete?: () => void): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let dispose = () => {};
  const start = () => {
    dispose = liveClient().subscribe<{ syncProgress: ProgressEvent }>(
      { query: DashboardProgressDocument.toString(), variables: jobId ? { jobId } : {} },
      {
        next: (result) => {
          if (result.data?.syncProgress) onEvent(result.data.syncProgress);
        },
        error: () => {
          dropped = true;
          if (state !== 'refused') setState('reconnecting');
          if (!stopped) timer = setTimeout(start, RESUBSCRIBE_MS);
        },
        complete: () => {
          if (!stopped) onComplete?.();
        },
      },
    );
  };
  start();
  return () => {
    stopped = true;
    clearTimeout(timer);
    dispose();
  };
}

/** Told of every connection state change; `reconnected` when the socket came back after a drop. */
export function onLiveState(listener: Listener): () => void {
  stateListeners.add(listener);
  listener(state, false);
  return () => stateListeners.delete(listener);
}

/** A new token: close the socket so the next one carries it. */
export function resetLive(): void {
  client?.terminate();
  client = undefined;
  setState('connecting');
}
