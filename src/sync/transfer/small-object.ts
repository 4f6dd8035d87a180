import { dirname } from 'node:path';
import { createDigester, verificationFailure, type Digester, type Expected } from '../verify/checksum.js';
import { publishFile, publishVerified } from '../local/local-files.js';
import { createChecksumChoice, failedOutcome, fetchRangeInto, partsAreUniform, type RangeFetchOptions } from './range-fetch.js';
import { failureReason } from '../local/failure-reason.js';
import { IN_MEMORY_MAX_BYTES, MemoryFile, writeSmallFile } from './small-file.js';
import type { TransferContext, TransferOutcome, WorkItem } from './transfer-context.js';

/**
 * The fast path for an object that fits in one chunk: one GET (no Range header) streamed into the
 * .partial file with its checksum computed inline, verified, renamed into place. No intermediate
 * checkpoint; the caller commits the final row in a batch with other small objects, once the file
 * is durable (its own fdatasync, or the batch's file system sync: ctx.smallFileSync).
 */
export async function transferSmallObject(ctx: TransferContext, item: WorkItem): Promise<TransferOutcome> {
  if (item.remote.size <= IN_MEMORY_MAX_BYTES) return transferInMemory(ctx, item);
  const { remote } = item;
  let file;
  try {
    ctx.folder.ensureDir(dirname(item.finalPath));
    const check = createWholeObjectCheck(ctx, item);
    file = await ctx.openPartial(ctx.folder.partial(item.partialPath), 'w');
    const { etagIsNotMd5 } = await fetchRangeInto(ctx, item, file, { start: 0, end: remote.size }, check.fetchOptions);
    // Durable before its row says PROCESSED (the batch commit that follows), like every chunk.
    if (!ctx.smallFileSync.grouped) {
      const syncStarted = performance.now();
      await file.datasync();
      ctx.stats.fileSyncMs += performance.now() - syncStarted;
    }
    await file.close();
    file = undefined;
    const outcome = await publishVerified(ctx.folder, item, await verdict(ctx, item, { ...check.chosen, etagIsNotMd5 }));
    if (outcome.status === 'PROCESSED') ctx.smallFileSync.written();
    return outcome;
  } catch (error) {
    await file?.close().catch(() => {});
    await ctx.folder.removePartial(item.partialPath);
    return failedOutcome(ctx, error);
  }
}

/**
 * A small object is fetched into memory and verified there; only verified bytes are written, by the
 * returned `finish`: open, one write, mtime set on the open file, close, rename; when files are not
 * synced together (ctx.smallFileSync), an fdatasync too, and the open and fdatasync on the thread pool.
 */
async function transferInMemory(ctx: TransferContext, item: WorkItem): Promise<TransferOutcome> {
  const { remote } = item;
  let fetched: MemoryFile;
  try {
    const check = createWholeObjectCheck(ctx, item);
    fetched = new MemoryFile(remote.size);
    ctx.folder.ensureDir(dirname(item.finalPath));
    const { etagIsNotMd5 } = await fetchRangeInto(ctx, item, fetched, { start: 0, end: remote.size }, check.fetchOptions);
    const mismatch = await verdict(ctx, item, { ...check.chosen, etagIsNotMd5 });
    if (mismatch) return { status: 'FAILED', error: `verification failed: ${mismatch}`, restart: true };
  } catch (error) {
    return failedOutcome(ctx, error);
  }
  const finish = async (): Promise<TransferOutcome> => {
    try {
      // Durable before its row says PROCESSED (the batch commit that follows), like every chunk.
      const { grouped } = ctx.smallFileSync;
      ctx.stats.fileSyncMs += await writeSmallFile(ctx.folder.partial(item.partialPath), fetched.memory, remote.lastModified, { datasync: !grouped });
      publishFile(ctx.folder, item, { mtimeSet: true });
      ctx.smallFileSync.written();
      return { status: 'PROCESSED' };
    } catch (error) {
      await ctx.folder.removePartial(item.partialPath);
      return { status: 'FAILED', error: failureReason(ctx.folder.described(error)) };
    }
  };
  return { status: 'FETCHED', finish };
}

/**
 * What a whole object is checked against, chosen when the GET's answer is in (it states the
 * object's full-object checksums and whether it is encrypted so that its ETag is no MD5: no HEAD
 * is then needed for them), then fed the body as it is written.
 */
function createWholeObjectCheck(ctx: TransferContext, item: WorkItem) {
  const choose = createChecksumChoice(ctx, item);
  const chosen: { expected: Expected | null; digester: Digester | null } = { expected: null, digester: null };
  const fetchOptions: RangeFetchOptions = {
    whole: true,
    onAnswer: async (answer) => {
      chosen.expected = await choose(answer);
      chosen.digester = chosen.expected && (await createDigester(chosen.expected));
    },
    onWritten: (data) => chosen.digester?.update(data),
  };
  return { chosen, fetchOptions };
}

/** fetchRangeInto has enforced the size: only the checksum is left to judge. */
function verdict(ctx: TransferContext, item: WorkItem, checked: { expected: Expected | null; digester: Digester | null; etagIsNotMd5: boolean }): Promise<string | null> {
  const { expected, digester, etagIsNotMd5 } = checked;
  return verificationFailure({
    expected,
    compare: async () => (digester ? digester.mismatch() : null),
    etagIsNotMd5,
    partsAreUniform: () => partsAreUniform(ctx, item, expected),
  });
}
