import { createEmptyFile } from '../local/local-files.js';
import { transferChunkedObject } from './chunk-transfer.js';
import { failureReason } from '../local/failure-reason.js';
import { transferSmallObject } from './small-object.js';
import { commitForTransfer, type TransferContext, type TransferOutcome, type WorkItem } from './transfer-context.js';

/**
 * One object, small (one GET) or chunked by its size. When the source changed under the transfer
 * (412 on If-Match: CHANGED), the object's new version is read and fetched once more from byte 0;
 * `onResized` is told how much its size moved.
 */
export async function transferObject(ctx: TransferContext, item: WorkItem, onResized: (bytes: number) => void): Promise<TransferOutcome> {
  const outcome = await transferOnce(ctx, item);
  return outcome.status === 'CHANGED' ? restartChanged(ctx, item, onResized) : outcome;
}

function transferOnce(ctx: TransferContext, item: WorkItem): Promise<TransferOutcome> {
  return item.remote.size <= ctx.chunkSize ? transferSmallObject(ctx, item) : transferChunkedObject(ctx, item);
}

/** The restart after a 412: HEAD the new version, discard the partial file, reset the row, fetch again once. */
async function restartChanged(ctx: TransferContext, item: WorkItem, onResized: (bytes: number) => void): Promise<TransferOutcome> {
  try {
    const current = await ctx.connector.head(ctx.bucket, item.remote.key, ctx.signal);
    await ctx.folder.removePartial(item.partialPath);
    onResized(current.size - item.remote.size);
    item.remote = { ...item.remote, ...current };
    item.lastPosition = 0;
    const update = { etag: current.etag, size: current.size, lastModified: current.lastModified, lastPosition: 0 };
    if (!(await commitForTransfer(ctx, item.remote.key, { ...update, status: 'PENDING' }))) return { status: 'CANCELLED' };
    const again: TransferOutcome =
      current.size === 0 ? (createEmptyFile(ctx.folder, item.finalPath, item.remote.lastModified), { status: 'PROCESSED' }) : await transferOnce(ctx, item);
    return again.status === 'CHANGED' ? { status: 'FAILED', error: 'the object kept changing at the source during the run' } : again;
  } catch (error) {
    if (ctx.signal.aborted) return { status: 'CANCELLED' };
    return { status: 'FAILED', error: `the object changed at the source and could not be re-read: ${failureReason(error)}` };
  }
}
