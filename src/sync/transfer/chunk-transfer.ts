import { type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createWaiters } from '../../config/waiters.js';
import { createDigester, createFileDigestFollower, isEtagMd5, verificationFailure, type AnswerFacts, type Expected } from '../verify/checksum.js';
import { ContiguousPrefix, planSpans, resumeOffset, type ByteRange } from './chunk-plan.js';
import { isFolderWithEntries, isInPlace, publishVerified, sizeOf } from '../local/local-files.js';
import { failureReason, PATH_IS_FOLDER } from '../local/failure-reason.js';
import { preallocate } from '../local/linux-fs.js';
import type { HashFollower } from '../verify/hash-worker.js';
import { createChecksumChoice, failedOutcome, fetchRangeInto, isGoneAtSource, partsAreUniform } from './range-fetch.js';
import { commitForTransfer, type TransferContext, type TransferOutcome, type WorkItem } from './transfer-context.js';

/**
 * One object larger than a chunk: ranged GETs of spans (`getSpan` bytes, whole chunks), several in flight, each written at its
 * offset in its partial file. Whenever the contiguous prefix grows, the file is fdatasync'ed, then
 * `last_position` is committed, then a CHUNK event is published (group commit: one checkpoint may
 * cover several finished chunks). Resumes from the stored checkpoint when the partial file holds it.
 */
export async function transferChunkedObject(ctx: TransferContext, item: WorkItem): Promise<TransferOutcome> {
  const { remote } = item;
  let file: FileHandle | undefined;
  // Set by `decide` below, from the first GET's answer (a closure, which TypeScript's narrowing does not follow).
  let follower = null as HashFollower | null;
  // Read by the failure path: how far the row's checkpoint got.
  let checkpointer: Checkpointer | undefined;
  try {
    ctx.folder.ensureDir(dirname(item.finalPath));
    // Before any byte is fetched: an empty folder (a folder marker's) gives way when the file is published.
    if (isFolderWithEntries(item.finalPath)) {
      return { status: 'FAILED', error: PATH_IS_FOLDER };
    }
    const partialSize = await sizeOf(ctx.folder.partial(item.partialPath));
    if (partialSize === undefined && item.lastPosition === remote.size && isInPlace(item)) {
      return { status: 'PROCESSED' };
    }
    const from = resumeOffset(item.lastPosition, partialSize, remote.size);
    file = await ctx.openPartial(ctx.folder.partial(item.partialPath), from > 0 ? 'r+' : 'w+');
    // Full size and blocks up front: a full disk fails here, before any GET, and later fdatasyncs
    // have no size change to journal nor blocks to allocate. On resume, only the holes are allocated.
    await preallocate(file, remote.size, from);
    if (!(await commitForTransfer(ctx, remote.key, { status: 'PROCESSING', lastPosition: from, error: null }))) return { status: 'CANCELLED' };
    const checkpoints = (checkpointer = createCheckpointer(ctx, item, file, from));
    let etagIsNotMd5 = false;
    const prefix = new ContiguousPrefix(from);
    const chunkDone = (chunk: ByteRange) => {
      const end = prefix.complete(chunk);
      follower?.advance(end);
      checkpoints.request(end);
    };
    // What the bytes are checked against is chosen beside the first GETs, not before them: its HEADs
    // (a checksum S3 keeps, a multipart ETag's part 1) overlap their round trip. The first answer may
    // also say the object is encrypted (SSE-KMS, SSE-C), so that an ETag taken for its MD5 is none:
    // the check is then chosen again. Every span waits for the choice before its body.
    const choose = createChecksumChoice(ctx, item);
    const chosenBeforeAnswer = choose();
    chosenBeforeAnswer.catch(() => {}); // awaited by `decide`; a GET failing first ends the transfer
    let expected = null as Expected | null;
    let decided: Promise<void> | undefined;
    const decide = async (answer?: AnswerFacts) => {
      expected = await chosenBeforeAnswer;
      if (answer?.etagIsNotMd5 && expected && isEtagMd5(expected)) expected = await choose(answer);
      follower = expected ? await createFollower(ctx, item, file!, expected) : null;
      follower?.advance(prefix.end);
    };
    const onAnswer = (answer: AnswerFacts) => (decided ??= decide(answer));
    // No span starts further than the spans in flight ahead of the checkpoint: only the contiguous
    // prefix is checkpointed, so a crash fetches again at most that window, not every span that ran
    // ahead of a slow first one. Nor further than one more window ahead of the committed checkpoint:
    // while its commit waits (a database outage) the fetching stops instead of running to the end.
    const window = ctx.spansPerObject * ctx.getSpan;
    const failure = await runLimited(planSpans(remote.size, ctx.getSpan, from), ctx, async (span) => {
      await prefix.reached(span.start - window, ctx.signal);
      await checkpoints.committedReaches(span.start - 2 * window, ctx.signal);
      if (ctx.signal.aborted || checkpoints.stopped) return;
      const release = await ctx.spanSlots.acquire();
      const chunks = chunkBoundaries(span, ctx.chunkSize, chunkDone, ctx.signal);
      const result = await fetchRangeInto(ctx, item, file!, span, { onAnswer, onWritten: chunks.written }).finally(release);
      etagIsNotMd5 ||= result.etagIsNotMd5;
    });
    await ctx.checkpointWaits.time(checkpoints.idle());
    if (failure !== undefined) throw failure;
    if (checkpoints.gone || prefix.end < remote.size) {
      follower?.close();
      await file.close();
      return { status: 'CANCELLED' };
    }
    // A download resumed complete (no span left to fetch) had no answer: the check is chosen now.
    await (decided ??= decide());

    const written = (await file.stat()).size;
    const check = follower;
    follower = null;
    const mismatch = await verificationFailure({
      size: { expected: remote.size, actual: written },
      expected,
      compare: async () => (check ? check.finish(remote.size) : null),
      etagIsNotMd5,
      partsAreUniform: () => partsAreUniform(ctx, item, expected),
    }).finally(() => check?.close());
    await file.close();
    file = undefined;
    return await publishVerified(ctx.folder, item, mismatch);
  } catch (error) {
    follower?.close();
    await file?.close().catch(() => {});
    // A version gone from the source can never be resumed: its bytes so far go with it.
    if (isGoneAtSource(error) && !ctx.signal.aborted) {
      await ctx.folder.removePartial(item.partialPath);
      return { status: 'FAILED', error: failureReason(error), restart: true };
    }
    const outcome = failedOutcome(ctx, error);
    // Without a checkpoint the partial file holds nothing a later run resumes from, and a FAILED row
    // at last_position 0 is not one whose partial is looked for once the object leaves the source:
    // it goes now. A cancelled transfer's stays (its claim may have gone to another session, writing
    // the same file). After a checkpoint both stay: the next run resumes from there.
    const checkpointed = checkpointer ? checkpointer.committed : item.lastPosition;
    if (checkpointed === 0 && outcome.status !== 'CANCELLED') await ctx.folder.removePartial(item.partialPath);
    return outcome;
  }
}

/** Large objects are hashed by the process's hash pool (native or worker threads); smaller ones on this thread from the page cache. */
async function createFollower(ctx: TransferContext, item: WorkItem, file: FileHandle, expected: Expected): Promise<HashFollower | null> {
  if (item.remote.size >= ctx.workerHashMinBytes) return ctx.hashPool.follow(ctx.folder.partial(item.partialPath), expected);
  const digester = await createDigester(expected);
  return digester ? { ...createFileDigestFollower(file, digester), close: () => {} } : null;
}

/**
 * Splits one GET's span into chunks (at multiples of `chunkSize`, and the span's end): `done` is called
 * for each chunk once all its bytes are written, so checkpoints keep the chunk's granularity whatever
 * the size of the GET. Once `signal` aborts, the GET stops at the next chunk boundary (if the
 * abort has not already ended it: the signal also cuts the request itself).
 */
function chunkBoundaries(span: ByteRange, chunkSize: number, done: (chunk: ByteRange) => void, signal: AbortSignal) {
  let start = span.start;
  const nextBoundary = () => Math.min(span.end, (Math.floor(start / chunkSize) + 1) * chunkSize);
  let boundary = nextBoundary();
  return {
    written(_data: Buffer, end: number): 'stop' | undefined {
      let crossed = false;
      while (start < span.end && end >= boundary) {
        done({ start, end: boundary });
        start = boundary;
        boundary = nextBoundary();
        crossed = true;
      }
      return crossed && signal.aborted ? 'stop' : undefined;
    },
  };
}

/**
 * Runs `task` over the spans with at most `ctx.spansPerObject` in flight; stops starting new
 * ones after the first failure or once the run is aborted. Returns the first failure.
 */
async function runLimited(
  ranges: ByteRange[],
  ctx: TransferContext,
  task: (range: ByteRange) => Promise<void>,
): Promise<unknown> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < ranges.length && failure === undefined && !ctx.signal.aborted) {
      const range = ranges[next++]!;
      try {
        await task(range);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(ctx.spansPerObject, ranges.length) }, worker));
  return failure;
}

type Checkpointer = ReturnType<typeof createCheckpointer>;

/** Serial group commit of checkpoints: fdatasync, then the row, then the CHUNK event. */
function createCheckpointer(ctx: TransferContext, item: WorkItem, file: FileHandle, committed: number) {
  let wanted = committed;
  let published = committed;
  let running: Promise<void> | null = null;
  let gone = false;
  let failure: unknown;
  const waiters = createWaiters<number>();
  const stopped = () => gone || failure !== undefined;
  const wakeWaiters = () => waiters.wake((position) => stopped() || position <= committed);

  const loop = async () => {
    try {
      while (wanted > committed && !gone && failure === undefined) {
        const target = wanted;
        const started = performance.now();
        await file.datasync();
        const goesOn = await commitForTransfer(ctx, item.remote.key, { lastPosition: target, status: 'PROCESSING' });
        ctx.stats.checkpointMs += performance.now() - started;
        ctx.stats.checkpoints += 1;
        if (!goesOn) {
          gone = true;
          return;
        }
        committed = target;
        wakeWaiters();
        if (target > published) {
          published = target;
          ctx.publish('CHUNK', item.remote, target, 'PROCESSING');
        }
      }
    } catch (error) {
      failure = error;
    }
  };
  // `.finally` always runs asynchronously, so `running` is set before it is cleared; a request that
  // arrived after the loop's last check starts a new loop.
  const start = () => {
    running = loop().finally(() => {
      running = null;
      wakeWaiters();
      if (wanted > committed && !gone && failure === undefined) start();
    });
  };

  return {
    get gone() {
      return gone;
    },
    /** No checkpoint is committed any more: the claim went to another session, or a commit failed. */
    get stopped() {
      return stopped();
    },
    /** Resolves once the committed checkpoint reaches `position`, the checkpoints stop, or `signal` aborts. */
    committedReaches(position: number, signal: AbortSignal): Promise<void> {
      if (committed >= position || stopped() || signal.aborted) return Promise.resolve();
      return waiters.wait(position, signal);
    },
    /** The position last committed to the row. */
    get committed() {
      return committed;
    },
    request(end: number) {
      if (end <= wanted) return;
      wanted = end;
      if (!running) start();
    },
    /** Waits for pending checkpoints; throws when one could not be written. */
    async idle() {
      while (running) await running;
      if (failure !== undefined) throw failure;
    },
  };
}
