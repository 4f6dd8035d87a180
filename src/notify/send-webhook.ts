import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { OutboundAgents } from '../config/proxy-agents.js';
import { retryAfterMs } from './retry-after.js';
import { signBody, signDelivery } from './signature.js';

export interface WebhookRequest {
  deliveryId: string;
  event: string;
  url: string;
  body: string;
  attempt: number;
  secret?: string;
}

/** What one POST gave: `ok` for a 2xx answer; `error` when there was no usable answer. */
export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** The wait a 429 or 503 answer's `Retry-After` asked for, in ms; null without a valid one. */
  retryAfterMs: number | null;
}

export const USER_AGENT = 'data-sync-scheduler-webhook/1';

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown } | null)?.code;
  const text = cause instanceof Error ? cause.message : String(cause);
  return (typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text).slice(0, 500);
}

/**
 * POSTs one delivery attempt, through `agents` (the outbound proxies) when given. Never follows
 * redirects (a 3xx is a failed attempt: a redirect could lead past WEBHOOK_ALLOWED_HOSTS) and never
 * reads the answer's body. `stop` aborts it for shutdown; the caller tells that case apart by
 * checking `stop.aborted`.
 */
export async function sendWebhook(request: WebhookRequest, timeoutMs: number, stop: AbortSignal, agents?: OutboundAgents): Promise<SendResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-dss-event': request.event,
    'x-dss-delivery': request.deliveryId,
    'x-dss-attempt': String(request.attempt),
  };
  if (request.secret) {
    const timestamp = Math.floor(Date.now() / 1000);
    headers['x-dss-timestamp'] = String(timestamp);
    headers['x-dss-signature'] = signBody(request.body, request.secret);
    headers['x-dss-signature-v2'] = signDelivery(timestamp, request.deliveryId, request.body, request.secret);
  }
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const attempt = abortAfter(timeoutMs, stop);
  try {
    const answer = await post(request.url, headers, request.body, attempt.signal, agents);
    const ok = answer.status >= 200 && answer.status < 300;
    return {
      ok,
      statusCode: answer.status,
      error: ok ? null : `HTTP ${answer.status}`,
      durationMs: elapsed(),
      retryAfterMs: retryAfterMs(answer.status, answer.retryAfter, Date.now()),
    };
  } catch (error) {
    return { ok: false, statusCode: null, error: describeFailure(error, timeoutMs), durationMs: elapsed(), retryAfterMs: null };
  } finally {
    attempt.done();
  }
}

/** The answer's status and `Retry-After`; its body is not read (the connection is closed instead). */
function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
  agents?: OutboundAgents,
): Promise<{ status: number; retryAfter: string | undefined }> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const agent = agents && (secure ? agents.httpsAgent : agents.httpAgent);
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent, signal }, (answer) => {
      resolve({ status: answer.statusCode ?? 0, retryAfter: answer.headers['retry-after'] });
      answer.destroy();
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A signal that aborts after `timeoutMs` or with `stop`. Not `AbortSignal.any([AbortSignal.timeout(…),
 * stop])`: on Node 20 the timeout signal inside it can be garbage-collected before it fires
 * (nodejs/node#57736), and an attempt then waits for a hanging receiver forever. Here a plain timer
 * holds the controller until `done`.
 */
function abortAfter(timeoutMs: number, stop: AbortSignal): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onStop = () => controller.abort(stop.reason);
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    },
  };
}
