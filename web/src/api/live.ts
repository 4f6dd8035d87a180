import { createClient, type Client } from 'graphql-ws';
import { DashboardProgressDocument, type DashboardProgressSubscription } from '../../generated/graphql.js';
import { authorizationHeader, readToken } from './token.js';

export type ProgressEvent = DashboardProgressSubscription['syncProgress'];
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'refused';

type Listener = (state: LiveState, reconnected: boolean) => void;

let client: Client | undefined;
let state: LiveState = 'connecting';
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
    connectionParams: () => {
      const authorization = authorizationHeader(readToken());
      return authorization ? { authorization } : {};
    },
    on: {
      connected: (_socket, _payload, wasRetry) => setState('live', wasRetry),
      closed: (event) => {
        const code = (event as { code?: number } | undefined)?.code;
        setState(code === 4401 || code === 4403 ? 'refused' : 'reconnecting');
      },
    },
  });
  return client;
}

/** Subscribes to syncProgress (one job or all); returns the unsubscribe function. */
export function subscribeProgress(jobId: string | null, onEvent: (event: ProgressEvent) => void): () => void {
  return liveClient().subscribe<{ syncProgress: ProgressEvent }>(
    { query: DashboardProgressDocument.toString(), variables: jobId ? { jobId } : {} },
    {
      next: (result) => {
        if (result.data?.syncProgress) onEvent(result.data.syncProgress);
      },
      error: () => setState('reconnecting'),
      complete: () => undefined,
    },
  );
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
