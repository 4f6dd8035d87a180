import { chooseExpected, partsOf, type AnswerFacts, type ChecksumLookups, type Expected } from '../verify/checksum.js';
import type { ObjectChecksum, RemoteObject } from '../transport/s3-connector.js';
import { RangeAnswerError } from '../transport/range-answer.js';
import { bareEtag, uniformPartSize } from '../verify/multipart-etag.js';
import type { ByteRange } from './chunk-plan.js';
import { createBatchWriter, WRITE_BATCH_BYTES, type PositionalFile, type WrittenListener } from './batch-writer.js';
import { httpStatusOf, isRetriableS3Error, TruncatedBodyError, withRetry } from '../transport/retry.js';
import type { TransferContext, TransferOutcome, WorkItem } from './transfer-context.js';
import { failureReason } from '../local/failure-reason.js';

/** The object changed at the source since it was listed (HTTP 412 on If-Match). */
export class SourceChangedError extends Error {
  override name = 'SourceChangedError';
}

export function isPreconditionFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'PreconditionFailed' || httpStatusOf(error) === 412;
}

/** The object (or its bucket) is gone from the source: a 404 on a GET or HEAD. */
export function isGoneAtSource(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'NoSuchKey' || httpStatusOf(error) === 404;
}

/** The one reading of a 412 on a request pinned to the listed ETag (GET or HEAD): the source changed. */
export function sourceChangedOr(error: unknown): unknown {
  return isPreconditionFailed(error) ? new SourceChangedError('the object changed at the source (412)', { cause: error }) : error;
}

/**
 * A GET's failure read like S3's answers: a 412 says the object changed; so does a 416 to a range
 * inside the listed size, the answer of a store that ignores If-Match once the object shrank, and
 * the wrong range such a store sends from another version (a shorter one holding the range's start):
 * its ETag is not the listed one, or its Content-Range states another size. The wrong range of the
 * listed version stays a server's error.
 */
function getFailure(error: unknown, listed: RemoteObject): unknown {
  if (httpStatusOf(error) === 416) return new SourceChangedError('the object changed at the source (416: now shorter than listed)', { cause: error });
  if (error instanceof RangeAnswerError && (answersAnotherVersion(listed.etag, error.etag) || (error.total !== undefined && error.total !== listed.size))) {
    return new SourceChangedError(`the object changed at the source (${error.message}, ETag ${error.etag ?? 'none'})`, { cause: error });
  }
  return sourceChangedOr(error);
}

/**
 * Reads a HEAD's failure: a 4xx other than 412 means the store refuses what was asked (`partNumber`,
 * the checksum mode), which reads as `refused`; a 412 means the source changed; the rest is thrown.
 */
function whenRefused<T>(refused: T): (error: unknown) => T {
  return (error) => {
    const status = httpStatusOf(error) ?? 0;
    if (status >= 400 && status < 500 && !isPreconditionFailed(error)) return refused;
    return rethrowSourceChanged(error);
  };
}

/** A store that refuses `partNumber` leaves the part layout unknown: the size decides. */
const partsUnknown = whenRefused<{ size: number; partsCount: number | null }>({ size: -1, partsCount: null });
/** A store that refuses a HEAD in checksum mode keeps no checksum we can use: the ETag or the size decides. */
const noneKept = whenRefused<readonly ObjectChecksum[]>([]);

/**
 * Chooses what one object's bytes are checked against (checksum.ts), with what a GET's answer said
 * when it is in; the HEADs it may take are pinned to the listed ETag. A chunked object's check may
 * be chosen twice (before its first answer, then again if that answer says it is encrypted): each
 * HEAD is sent once and its answer reused.
 */
export function createChecksumChoice(ctx: TransferContext, item: WorkItem): (answer?: AnswerFacts) => Promise<Expected | null> {
  const { bucket, connector, signal } = ctx;
  const { key, etag } = item.remote;
  let kept: Promise<readonly ObjectChecksum[]> | undefined;
  let firstPart: Promise<{ size: number; partsCount: number | null }> | undefined;
  const lookups: ChecksumLookups = {
    headChecksums: () => (kept ??= connector.headChecksums(bucket, key, etag, signal).catch(noneKept)),
    headFirstPart: () => (firstPart ??= connector.headPart(bucket, key, etag, 1, signal).catch(partsUnknown)),
    multipartEtagsAreMd5: connector.multipartEtagsAreMd5,
  };
  return (answer) => chooseExpected(item.remote, lookups, answer);
}

/** Whether every part of a multipart object has the size its ETag or COMPOSITE checksum was checked with: a HEAD per part, from part 2. */
export async function partsAreUniform(ctx: TransferContext, item: WorkItem, expected: Expected | null): Promise<boolean> {
  const parts = expected && partsOf(expected);
  if (!parts) return false;
  const { count, size } = parts;
  for (let partNumber = 2; partNumber <= count; partNumber++) {
    const part = await ctx.connector.headPart(ctx.bucket, item.remote.key, item.remote.etag, partNumber, ctx.signal).catch(partsUnknown);
    if (part.size !== uniformPartSize(item.remote.size, count, size, partNumber)) return false;
  }
  return true;
}

/**
 * Whether an answer's ETag names another version than the listed one. S3 answers a changed object
 * with 412 to If-Match; a store that ignores If-Match serves the new version under its new ETag,
 * which reads the same way. An answer without an ETag says nothing.
 */
function answersAnotherVersion(listed: string, answered: string | undefined): boolean {
  return answered !== undefined && answered !== '' && bareEtag(answered).toLowerCase() !== bareEtag(listed).toLowerCase();
}

function rethrowSourceChanged(error: unknown): never {
  throw sourceChangedOr(error);
}

/** How a transfer that threw ended: the source changed (412), the run was aborted, or it failed. */
export function failedOutcome(ctx: Pick<TransferContext, 'signal' | 'folder'>, error: unknown): TransferOutcome {
  if (error instanceof SourceChangedError) return { status: 'CHANGED' };
  if (ctx.signal.aborted) return { status: 'CANCELLED' };
  return { status: 'FAILED', error: failureReason(ctx.folder.described(error)) };
}

export interface RangeFetchOptions {
  /** Send the first GET without a Range header (a whole small object), asking for its checksums. */
  whole?: boolean;
  /** Called once, with the first answer's facts, before any of its body is written (and so passed to onWritten). */
  onAnswer?: (answer: AnswerFacts) => Promise<void>;
  onWritten?: WrittenListener;
}

/**
 * Streams bytes [range.start, range.end) of the object into `file` at their own offsets, pinned to
 * the listed ETag. Retried as one unit: after a reset or a body cut mid-stream, the next attempt
 * asks only for the bytes not yet written. Memory: two or three write batches per call (batch-writer.ts).
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
  let onAnswer = options.onAnswer;
  let answerFailure: unknown;
  await withRetry(
    async (attempt) => {
      ctx.stats.gets += 1;
      let response;
      try {
        const whole = options.whole === true && attempt === 0 && position === 0;
        response = await ctx.connector.getRange(
          ctx.bucket,
          item.remote.key,
          { etag: item.remote.etag, start: position, end: whole ? undefined : range.end, checksums: whole },
          ctx.signal,
        );
      } catch (error) {
        throw getFailure(error, item.remote);
      }
      if (answersAnotherVersion(item.remote.etag, response.etag)) {
        response.body.destroy();
        throw new SourceChangedError(`the object changed at the source (its answer names ETag ${response.etag})`);
      }
      etagIsNotMd5 ||= response.etagIsNotMd5;
      const expected = range.end - position;
      if (response.contentLength !== expected) {
        response.body.destroy();
        throw new Error(`the server sent ${response.contentLength} bytes where ${expected} were asked for`);
      }
      if (onAnswer) {
        try {
          await onAnswer({ etagIsNotMd5: response.etagIsNotMd5, checksums: response.checksums });
        } catch (error) {
          response.body.destroy();
          // Its HEADs were retried already: the fetch ends here, as it did when they came first.
          answerFailure = sourceChangedOr(error);
          throw answerFailure;
        }
        onAnswer = undefined;
      }
      const body = response.body;
      const writer = createBatchWriter(file, position, Math.max(1, Math.min(WRITE_BATCH_BYTES, expected)), body, options.onWritten);
      let arrived = position;
      let overrun = false;
      const received = body.pipeTo((piece) => {
        ctx.stats.bytesFetched += piece.length;
        arrived += piece.length;
        if (arrived > range.end) {
          overrun = true;
          body.destroy();
        } else writer.take(piece);
      });
      try {
        await received.catch((error: unknown) => {
          if (!writer.stopped && !overrun) throw error;
        });
      } finally {
        // What arrived before a cut is good data: keep it so the retry asks only for the rest.
        await writer.flush().finally(() => {
          position = writer.written;
          stopped = writer.stopped;
        });
      }
      if (overrun) throw new Error('the server sent more bytes than asked for');
      if (position < range.end && !stopped) {
        throw new TruncatedBodyError(`the response ended at byte ${position} of ${range.end}`);
      }
    },
    ctx.retry,
    {
      signal: ctx.signal,
      classify: (error) => error !== answerFailure && isRetriableS3Error(error),
      onRetry: (error, attempt, delayMs) => {
        ctx.stats.retries += 1;
        ctx.onRetry?.(error);
        ctx.logger.debug({ key: item.remote.key, attempt, delayMs, err: failureReason(error) }, 'retrying GET');
      },
    },
  );
  return { etagIsNotMd5 };
}
