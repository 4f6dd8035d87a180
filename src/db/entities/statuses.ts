export const JOB_STATUSES = ['SCHEDULED', 'PENDING', 'RUNNING', 'PAUSED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** EXCLUDED: no longer matched by the job's filters; DELETED: its local file was moved to the run's trash (mirror deletes). */
export const OBJECT_STATUSES = ['PENDING', 'PROCESSING', 'PROCESSED', 'SKIPPED', 'FAILED', 'EXCLUDED', 'DELETED'] as const;
export type ObjectStatus = (typeof OBJECT_STATUSES)[number];

export const RUN_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * Why a run started: shown in run history so an operator can tell schedule from manual from recovery.
 * UPDATE: the job's prefix changed during a run, which was cancelled and started again.
 */
export const RUN_TRIGGERS = ['CREATED', 'SCHEDULE', 'MANUAL', 'CATCH_UP', 'RESUME', 'CLI', 'UPDATE'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const CONNECTOR_TYPES = ['S3'] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];
