import { WEBHOOK_EVENTS, type JobWebhook, type WebhookEvent } from '../db/entities/webhook-statuses.js';
import { webhookUrlProblem } from '../notify/webhook-url.js';
import { InputError } from './errors.js';

/** Webhooks one job may carry. */
export const MAX_WEBHOOKS_PER_JOB = 10;
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = ['RUN_FAILED'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function parseEvents(raw: unknown, field: string): WebhookEvent[] {
  if (raw === undefined || raw === null) return [...DEFAULT_WEBHOOK_EVENTS];
  const message = `${field} must be a non-empty list of ${WEBHOOK_EVENTS.join(', ')}`;
  if (!Array.isArray(raw) || raw.length === 0) throw new InputError(field, message);
  const events = raw.map((event, i) => {
    const name = typeof event === 'string' ? event.trim().toUpperCase() : '';
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(name)) throw new InputError(`${field}[${i}]`, `${field}[${i}] must be one of ${WEBHOOK_EVENTS.join(', ')}`);
    return name as WebhookEvent;
  });
  return [...new Set(events)];
}

/**
 * A job's `webhooks: [{ url, events }]` from either API (same names in GraphQL and REST). Errors
 * name the element, e.g. `webhooks[0].url`. `events` defaults to RUN_FAILED. Nothing is stored
 * unless every element is valid.
 */
export function parseWebhooks(raw: unknown, allowedHosts: readonly string[] | null, field = 'webhooks'): JobWebhook[] {
  if (!Array.isArray(raw)) throw new InputError(field, `${field} must be a list of {url, events}`);
  if (raw.length > MAX_WEBHOOKS_PER_JOB) throw new InputError(field, `${field} may hold at most ${MAX_WEBHOOKS_PER_JOB} webhooks`);
  return raw.map((item, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(item)) throw new InputError(at, `${at} must be an object {url, events}`);
    if (typeof item.url !== 'string' || !item.url.trim()) throw new InputError(`${at}.url`, `${at}.url is required: an http(s) URL`);
    const url = item.url.trim();
    const problem = webhookUrlProblem(url, allowedHosts);
    if (problem) throw new InputError(`${at}.url`, `${at}.url ${problem}`);
    return { url, events: parseEvents(item.events, `${at}.events`) };
  });
}

/** `webhooks` of a create or update input: absent or null → undefined (keep / none). */
export function webhooksOf(raw: unknown, allowedHosts: readonly string[] | null): JobWebhook[] | undefined {
  const value = isObject(raw) ? raw.webhooks : undefined;
  return value === undefined || value === null ? undefined : parseWebhooks(value, allowedHosts);
}
