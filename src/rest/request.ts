import { CONNECTOR_CONFIG_MESSAGE } from '../services/inputs.js';
import { InputError } from '../services/errors.js';

/** Flask's KeyError answer for a required field: `Missing key: 'job_name'`. */
export function requireKeys(body: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of keys) {
    if (!Object.hasOwn(body, key) || body[key] === undefined) throw new InputError(key, `Missing key: '${key}'`);
  }
}

/** `connector_config` must be a non-empty JSON object with a `bucket_name`. */
export function connectorConfig(raw: unknown): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.keys(raw).length === 0) {
    throw new InputError('connector_config', CONNECTOR_CONFIG_MESSAGE);
  }
  const config = raw as Record<string, unknown>;
  requireKeys(config, ['bucket_name']);
  return config;
}

/**
 * A non-negative whole number from the query string, plain decimal digits only; absent → undefined.
 * Not trimmed: a `+` in a query string decodes to a space, so trimming let `limit=+5` through.
 */
export function queryCount(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new InputError(name, `${name} must be a non-negative integer`);
  return Number(raw);
}
