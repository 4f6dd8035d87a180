import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = () => new HttpError(413, `Request body too large, the limit is ${MAX_BODY_BYTES} bytes (1 MiB)`);

/**
 * Above this a refused body is cut off at once; up to it the excess is read and dropped, so a client
 * that is still sending receives its 413 cleanly instead of a reset connection.
 */
const DRAIN_LIMIT = 16 * MAX_BODY_BYTES;

/** The request declares a body: a length above zero, or a transfer coding (chunked). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * A body is still arriving and nobody reads it. Answering such a request, Node reads and drops the
 * rest to keep the connection, however large it is: a refusal closes the connection instead.
 */
export function hasUnreadBody(req: IncomingMessage): boolean {
  return hasBody(req) && !req.complete;
}

/** Reads the whole body, refusing more than `limit` bytes without buffering the excess. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > DRAIN_LIMIT) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT) {
        req.destroy();
        reject(tooLarge());
      } else if (size <= limit) {
        chunks.push(chunk);
      }
    });
    req.on('end', () => (size > limit ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/** Parses a JSON body; anything that is not JSON is a 400 naming the problem, never a 500. */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = utf8Text(await readBody(req, limit));
  if (text.trim() === '') throw new HttpError(400, 'Request body must be a JSON object, got an empty body');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'Request body must be valid JSON');
  }
}

/**
 * The body as UTF-8 (JSON's encoding; a leading byte-order mark is allowed). Bytes that are not UTF-8
 * are refused: decoded leniently they would become U+FFFD, and a job would be stored with a name or a
 * prefix the client never sent.
 */
function utf8Text(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new HttpError(400, 'Request body must be valid JSON in UTF-8');
  }
}

/** A JSON object body (not an array, string or null), as the REST routes expect. */
export async function readJsonObject(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  const body = await readJsonBody(req, limit);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
