import type { RunTrigger } from '../db/entities/statuses.js';

/** The triggers whose due time is the schedule's, shared by every instance: spaced by MIN_SCHEDULE_INTERVAL. */
export const SCHEDULED_TRIGGERS: readonly RunTrigger[] = ['SCHEDULE', 'CATCH_UP'];

/**
 * The triggers whose due time any instance may record, one row per job and due time (a unique index):
 * the schedule's, and a job's first run, due at the job's creation.
 */
export const DUE_TIME_TRIGGERS: readonly RunTrigger[] = [...SCHEDULED_TRIGGERS, 'CREATED'];
