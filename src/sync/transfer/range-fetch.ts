import { chooseExpected, type Expected } from '../verify/checksum.js';
import type { ByteRange } from './chunk-plan.js';
import { TruncatedBodyError, withRetry } from '../transport/retry.js';
import type { TransferContext, TransferOutcome, WorkItem } from './transfer-context.js';
import { failureReason } from '../local/failure-reason.js';

/** Bytes gathered from the response stream before one positional write. */
const WRITE_BATCH = 256 * 1024;

/** The object changed at the source since it was listed (HTTP 412 on If-Match). */
export class SourceChangedError extends Error {
  override name = 'SourceChangedError';
}

export function isPreconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412;
}

/** The one reading of a 412 on a request pinned to the listed ETag (GET or HEAD): the source changed. */
export function sourceChangedOr(error: unknown): unknown {
  return isPreconditionFailed(error) ? new SourceChangedError('the object changed at the source (412)', { cause: error }) : error;
}

/** What the object's bytes are checked against (checksum.ts); the HEAD it may take is pinned to the listed ETag. */
export function expectedChecksum(ctx: TransferContext, item: WorkItem): Promise<Expected | null> {
  return chooseExpected(item.remote, () =>
    ctx.connector.headChecksum(ctx.bucket, item.remote.key, item.remote.etag, ctx.signal).catch((error: unknown) => {
      throw sourceChangedOr(error);
    }),
  );
}

/** How a transfer that threw ended: the source changed (412), the run was aborted, or it failed. */
export function failedOutcome(ctx: Pick<TransferContext, 'signal'>, error: unknown): TransferOutcome {
  if (error instanceof SourceChangedError) return { status: 'CHANGED' };
  if (ctx.signal.aborted) return { status: 'CANCELLED' };
  return { status: 'FAILED', error: failureReason(error) };
}

/** Where fetched bytes go: a FileHandle, or memory for a small object (see small-file.ts). */
export interface PositionalFile {
  writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
}

export interface RangeFetchOptions {
  /** Send the first GET without a Range header (a whole small object). */
  whole?: boolean;
  /**
   * Sees every byte once, in order, after it is written (inline checksums); `end` is the offset after
   * `data`. Returning 'stop' ends the GET there: the rest of the range is not fetched.
   */
  onWritten?: (data: Buffer, end: number) => void | 'stop';
}

/**
 * Streams bytes [range.start, range.end) of the object into `file` at their own offsets, pinned to
 * the listed ETag. Retried as one unit: after a reset or a body cut mid-stream, the next attempt
 * asks only for the bytes not yet written. Memory: one write batch per call.
 */
export async function fetchRangeInto(
  ctx: TransferContext,
  item: WorkItem,
  file: PositionalFile,
  range: ByteRange,
  options: RangeFetchOptions = {},
): Promise<{ etagIsNotMd5: boolean }> {
  let position = range.start;
  let etagIsNotMd5 = false;
  let stopped = false;
  await withRetry(
    async (attempt) => {
      ctx.stats.gets += 1;
      let response;
      try {
        const whole = options.whole === true && attempt === 0 && position === 0;
        response = await ctx.connector.getRange(
          ctx.bucket,
          item.remote.key,
          { etag: item.remote.etag, start: position, end: whole ? undefined : range.end },
          ctx.signal,
        );
      } catch (error) {
        throw sourceChangedOr(error);
      }
      etagIsNotMd5 ||= response.etagIsNotMd5;
      const expected = range.end - position;
      if (response.contentLength !== expected) {
        response.body.destroy();
        throw new Error(`the server sent ${response.contentLength} bytes where ${expected} were asked for`);
      }
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const writePending = async () => {
        if (pendingBytes === 0) return;
        const buffers = pending;
        pending = [];
        pendingBytes = 0;
        await writeAll(file, buffers, position);
        for (const buffer of buffers) {
          position += buffer.length;
          if (options.onWritten?.(buffer, position) === 'stop') stopped = true;
        }
      };
      try {
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          ctx.stats.bytesFetched += chunk.length;
          if (position + pendingBytes + chunk.length > range.end) throw new Error('the server sent more bytes than asked for');
          pending.push(chunk);
          pendingBytes += chunk.length;
          if (pendingBytes >= WRITE_BATCH) await writePending();
          if (stopped) {
            response.body.destroy();
            return;
          }
        }
      } finally {
        // What arrived before a cut is good data: keep it so the retry asks only for the rest.
        await writePending();
      }
      if (position < range.end && !stopped) {
        throw new TruncatedBodyError(`the response ended at byte ${position} of ${range.end}`);
      }
    },
    ctx.retry,
    {
      signal: ctx.signal,
      onRetry: (error, attempt, delayMs) => {
        ctx.stats.retries += 1;
        ctx.onRetry?.(error);
        ctx.logger.debug({ key: item.remote.key, attempt, delayMs, err: failureReason(error) }, 'retrying GET');
      },
    },
  );
  return { etagIsNotMd5 };
}

async function writeAll(file: PositionalFile, buffers: Buffer[], position: number) {
  const total = buffers.reduce((sum, b) => sum + b.length, 0);
  let { bytesWritten } = await file.writev(buffers, position);
  if (bytesWritten === total) return;
  // A short vectored write (rare on regular files): finish byte-exactly with plain writes.
  const rest = Buffer.concat(buffers).subarray(bytesWritten);
  let offset = 0;
  while (offset < rest.length) {
    ({ bytesWritten } = await file.write(rest, offset, rest.length - offset, position + total - rest.length + offset));
    offset += bytesWritten;
  }
}
