import { DATABASE_UNAVAILABLE, isWorthWaitingFor } from '../db/database-outage.js';
import { HttpError } from '../http/http-error.js';
import type { RouteResult } from '../http/route.js';
import { ConflictError, InputError, NotFoundError, UnauthenticatedError } from '../services/errors.js';

/** Service errors → the old service's status codes and `{ "message": … }` bodies. Unknown errors never leak. */
export function mapRestError(error: unknown): RouteResult {
  if (error instanceof HttpError) return { status: error.status, body: { message: error.message } };
  if (error instanceof InputError) return { status: 400, body: { message: error.message } };
  if (error instanceof NotFoundError) return { status: 404, body: { message: error.message } };
  if (error instanceof ConflictError) return { status: 409, body: { message: error.message } };
  if (error instanceof UnauthenticatedError) return { status: 401, body: { message: 'Unauthorized' } };
  // Unreachable, or SQLite locked by another process's write: the same request goes through later.
  if (isWorthWaitingFor(error)) return { status: 503, body: { message: DATABASE_UNAVAILABLE }, headers: { 'retry-after': '5' } };
  return { status: 500, body: { message: 'Internal server error' } };
}

/** Same mapping with the `{ "error": … }` key that the objects route used. */
export function mapRestErrorAsError(error: unknown): RouteResult {
  const result = mapRestError(error);
  const { message } = result.body as { message: string };
  return { ...result, body: { error: message } };
}
