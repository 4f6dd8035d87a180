import { dirname } from 'node:path';
import type { CheckpointStore, StoredObject } from '../checkpoint/checkpoint-store.js';
import type { ListingCheckpoint } from '../checkpoint/listing-checkpoint.js';
import type { JobFolder } from '../local/job-folder.js';
import { isPresent } from '../local/local-files.js';
import { yieldToEventLoop } from '../transfer/limiter.js';
import type { ObjectOutcomes } from './object-outcomes.js';
import type { PageDecision } from './page-plan.js';
import type { RunProgress } from './run-progress.js';
import type { RunTally } from './run-tally.js';

/** A listed folder marker (`k/`, 0 bytes): new or changed (`empty`), or as the last run left it (`unchanged`). */
export type MarkerDecision = Extract<PageDecision, { kind: 'unchanged' | 'empty' }>;

/** The key of the object a folder marker `k/` shares its local path with: `k`. */
export const fileKeyOf = (markerKey: string): string => markerKey.slice(0, -1);

/**
 * Whether the object `k` wins over the folder marker `k/` (both would be the local path `k`): it is
 * listed beside the marker, or the job's file `k` is still in place (until mirror deletes take it).
 * aws s3 sync and rclone keep the file too; neither makes a folder of a 0-byte marker.
 */
export function fileWinsOverMarker(fileListed: boolean, fileRow: StoredObject | undefined): boolean {
  return fileListed || (fileRow !== undefined && fileRow.localPath !== null && fileRow.status !== 'DELETED');
}

/** Markers decided per query of their objects' rows. */
const MARKER_SLICE = 250;

export interface FolderMarkersDeps {
  store: Pick<CheckpointStore, 'load'>;
  listing: Pick<ListingCheckpoint, 'alreadyListed'>;
  folder: JobFolder;
  tally: Pick<RunTally, 'unchanged'>;
  outcomes: Pick<ObjectOutcomes, 'done'>;
  progress: Pick<RunProgress, 'changed'>;
  signal: AbortSignal;
}

/**
 * A run's folder markers, placed once its listing is complete: only then is it known whether an
 * object `k` is listed beside a marker `k/` (S3 lists `k` first, other stores may not; pages and key
 * ranges part them). A marker the file wins over is SKIPPED with no local path and makes no folder;
 * any other becomes its folder (`makeFolder`), as the contract says. Markers wait in memory: they
 * are few beside the files.
 */
export function createFolderMarkers(deps: FolderMarkersDeps, makeFolder: (marker: MarkerDecision) => Promise<void>) {
  const waiting: MarkerDecision[] = [];

  const yieldToFile = (marker: MarkerDecision) => {
    if (marker.kind === 'unchanged' && marker.stored.localPath === null) deps.tally.unchanged(marker.remote);
    else deps.outcomes.done(marker.remote, 'SKIPPED', null);
  };

  const placeFolder = async (marker: MarkerDecision) => {
    const inPlace = marker.kind === 'unchanged' && marker.stored.localPath !== null && deps.folder.reaches(dirname(marker.path)) && isPresent(marker.path, 0, true);
    if (inPlace) deps.tally.unchanged(marker.remote);
    else await makeFolder(marker);
  };

  const settleSlice = async (markers: MarkerDecision[]) => {
    const fileKeys = markers.map((marker) => fileKeyOf(marker.remote.key));
    const [listed, rows] = await Promise.all([deps.listing.alreadyListed(fileKeys), deps.store.load(fileKeys)]);
    for (const marker of markers) {
      if (deps.signal.aborted) return;
      const fileKey = fileKeyOf(marker.remote.key);
      if (fileWinsOverMarker(listed.has(fileKey), rows.get(fileKey))) yieldToFile(marker);
      else await placeFolder(marker);
    }
    deps.progress.changed();
  };

  return {
    defer(marker: MarkerDecision) {
      waiting.push(marker);
    },
    /** Places the markers listed so far: after the listing's last page. */
    async settle() {
      while (waiting.length > 0 && !deps.signal.aborted) {
        await settleSlice(waiting.splice(0, MARKER_SLICE));
        await yieldToEventLoop();
      }
    },
  };
}
