import type { RunTrigger } from '../db/entities/statuses.js';

/** The triggers whose due time is the schedule's, shared by every instance: unique per job. */
export const SCHEDULED_TRIGGERS: readonly RunTrigger[] = ['SCHEDULE', 'CATCH_UP'];
