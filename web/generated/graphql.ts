/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type ConnectorType =
  | 'S3';

export type CreateJobInput = {
  connectorConfig: S3ConnectorConfigInput;
  connectorType: ConnectorType;
  /** 3 to 25 characters, trimmed */
  name: string;
  /** Create the job paused: no first run, no schedule until resumed */
  paused?: boolean | null | undefined;
  /** quinqueminutely, decaminutely, half-hourly, hourly, daily, weekly, monthly, or a 5/6-field cron expression */
  schedule: string;
  /** IANA zone for a cron schedule, default UTC */
  timezone?: string | null | undefined;
  /** At most 10; run outcomes are POSTed to them */
  webhooks?: Array<WebhookInput> | null | undefined;
};

export type JobStatus =
  | 'CANCELLED'
  | 'FAILED'
  | 'PAUSED'
  | 'PENDING'
  | 'RUNNING'
  | 'SCHEDULED'
  | 'SKIPPED';

/** SKIPPED: an empty object or a folder marker, nothing to fetch */
export type ObjectStatus =
  | 'DELETED'
  | 'EXCLUDED'
  | 'FAILED'
  | 'PENDING'
  | 'PROCESSED'
  | 'PROCESSING'
  | 'SKIPPED';

export type ProgressKind =
  | 'CHUNK'
  | 'OBJECT_DELETED'
  | 'OBJECT_DONE'
  | 'OBJECT_FAILED'
  | 'OBJECT_SKIPPED'
  | 'RUN_FINISHED'
  | 'RUN_STARTED';

/** FAILED: at least one object failed or the listing failed */
export type RunStatus =
  | 'CANCELLED'
  | 'FAILED'
  | 'RUNNING'
  | 'SKIPPED'
  | 'SUCCEEDED';

export type RunTrigger =
  | 'CATCH_UP'
  | 'CLI'
  | 'CREATED'
  | 'MANUAL'
  | 'RESUME'
  | 'SCHEDULE'
  | 'UPDATE';

export type S3ConnectorConfigInput = {
  /** Bytes per second across this job’s transfers, e.g. 20971520 or "20MiB" */
  bandwidthLimit?: number | string | null | undefined;
  bucketName: string;
  /** Static credentials; on update, null removes them */
  credentials?: S3CredentialsInput | null | undefined;
  /** An S3-compatible server for this job, http(s):// URL */
  endpoint?: string | null | undefined;
  /** Glob patterns; a key matching any is not synced */
  exclude?: Array<string> | null | undefined;
  /** Path-style addressing for this job */
  forcePathStyle?: boolean | null | undefined;
  /** Glob patterns relative to the prefix: * within a segment, ** across, ?, [abc], {a,b} */
  include?: Array<string> | null | undefined;
  /** Objects in flight for this job (at most SYNC_CONCURRENCY) */
  maxConcurrency?: number | null | undefined;
  /** Mirror deletes remove nothing when they would remove more than this percentage of local files (0 to 100); default 50 */
  maxDeletePercent?: number | null | undefined;
  /** Move local files whose object is gone (or excluded) to .dss-trash/<run id>/; default false */
  mirrorDeletes?: boolean | null | undefined;
  /** Defaults to "" (the whole bucket) */
  prefix?: string | null | undefined;
  /** The bucket's region */
  region?: string | null | undefined;
  /** The bucket is requester-pays: send x-amz-request-payer on every request; default false */
  requesterPays?: boolean | null | undefined;
  /** The SSE-C key (base64 of 32 bytes) the objects were encrypted with: write-only, stored encrypted under SECRETS_KEY; on update, null removes it */
  sseCustomerKey?: string | null | undefined;
};

/** Static credentials of a job: stored encrypted under SECRETS_KEY, never returned */
export type S3CredentialsInput = {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | null | undefined;
};

/** RUN_SUCCEEDED, RUN_FAILED, RUN_CANCELLED: a run ended so; DELETES_BLOCKED: a mirror-delete run refused to remove files */
export type WebhookEvent =
  | 'DELETES_BLOCKED'
  | 'RUN_CANCELLED'
  | 'RUN_FAILED'
  | 'RUN_SUCCEEDED';

/** A URL the service POSTs run outcomes to (signed with WEBHOOK_SECRET) */
export type WebhookInput = {
  /** Default [RUN_FAILED] */
  events?: Array<WebhookEvent> | null | undefined;
  /** An http(s) URL without credentials, at most 2048 characters */
  url: string;
};

export type RunFieldsFragment = { id: string, status: RunStatus, trigger: RunTrigger, startedAt: string | null, finishedAt: string | null, objectsTotal: number, objectsDone: number, objectsFailed: number, objectsSkipped: number, bytesTotal: number, bytesDone: number, error: string | null };

export type InProgressObjectsFragment = { inProgress: { edges: Array<{ node: { key: string, size: number, lastPosition: number, runId: string | null } }> } };

export type JobFieldsFragment = { id: string, name: string, status: JobStatus, schedule: string, timezone: string | null, nextRunAt: string | null, connectorConfig: { bucketName: string, prefix: string }, lastRun: { id: string, status: RunStatus, trigger: RunTrigger, startedAt: string | null, finishedAt: string | null, objectsTotal: number, objectsDone: number, objectsFailed: number, objectsSkipped: number, bytesTotal: number, bytesDone: number, error: string | null } | null };

export type DashboardJobsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type DashboardJobsQuery = { jobs: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, name: string, status: JobStatus, schedule: string, timezone: string | null, nextRunAt: string | null, connectorConfig: { bucketName: string, prefix: string }, lastRun: { id: string, status: RunStatus, trigger: RunTrigger, startedAt: string | null, finishedAt: string | null, objectsTotal: number, objectsDone: number, objectsFailed: number, objectsSkipped: number, bytesTotal: number, bytesDone: number, error: string | null } | null } }> } };

export type DashboardJobQueryVariables = Exact<{
  jobId: string;
  runs?: number | null | undefined;
}>;


export type DashboardJobQuery = { job: { createdAt: string, id: string, name: string, status: JobStatus, schedule: string, timezone: string | null, nextRunAt: string | null, connectorConfig: { bucketName: string, prefix: string }, lastRun: { id: string, status: RunStatus, trigger: RunTrigger, startedAt: string | null, finishedAt: string | null, objectsTotal: number, objectsDone: number, objectsFailed: number, objectsSkipped: number, bytesTotal: number, bytesDone: number, error: string | null } | null } | null, runs: { totalCount: number, edges: Array<{ node: { id: string, status: RunStatus, trigger: RunTrigger, startedAt: string | null, finishedAt: string | null, objectsTotal: number, objectsDone: number, objectsFailed: number, objectsSkipped: number, bytesTotal: number, bytesDone: number, error: string | null, failures: Array<{ key: string, error: string | null }> } }> }, inProgress: { edges: Array<{ node: { key: string, size: number, lastPosition: number, runId: string | null } }> } };

export type DashboardLatestRunQueryVariables = Exact<{
  jobId: string;
}>;


export type DashboardLatestRunQuery = { job: { id: string, lastRun: { id: string, status: RunStatus, trigger: RunTrigger, startedAt: string | null, finishedAt: string | null, objectsTotal: number, objectsDone: number, objectsFailed: number, objectsSkipped: number, bytesTotal: number, bytesDone: number, error: string | null } | null } | null, inProgress: { edges: Array<{ node: { key: string, size: number, lastPosition: number, runId: string | null } }> } };

export type DashboardObjectsQueryVariables = Exact<{
  jobId: string;
  first?: number | null | undefined;
  after?: string | null | undefined;
  status?: ObjectStatus | null | undefined;
  keyPrefix?: string | null | undefined;
}>;


export type DashboardObjectsQuery = { objects: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, key: string, size: number, lastPosition: number, status: ObjectStatus, localPath: string | null, error: string | null, updatedAt: string } }> } };

export type DashboardCreateJobMutationVariables = Exact<{
  input: CreateJobInput;
}>;


export type DashboardCreateJobMutation = { createJob: { job: { id: string } } };

export type DashboardTriggerJobMutationVariables = Exact<{
  id: string;
}>;


export type DashboardTriggerJobMutation = { triggerJob: { run: { id: string, status: RunStatus } } };

export type DashboardPauseJobMutationVariables = Exact<{
  id: string;
}>;


export type DashboardPauseJobMutation = { pauseJob: { job: { id: string, status: JobStatus } } };

export type DashboardResumeJobMutationVariables = Exact<{
  id: string;
}>;


export type DashboardResumeJobMutation = { resumeJob: { job: { id: string, status: JobStatus } } };

export type DashboardCancelRunMutationVariables = Exact<{
  jobId: string;
}>;


export type DashboardCancelRunMutation = { cancelRun: { job: { id: string, status: JobStatus } } };

export type DashboardDeleteJobMutationVariables = Exact<{
  id: string;
}>;


export type DashboardDeleteJobMutation = { deleteJob: { deletedJobId: string } };

export type DashboardProgressSubscriptionVariables = Exact<{
  jobId?: string | null | undefined;
}>;


export type DashboardProgressSubscription = { syncProgress: { kind: ProgressKind, jobId: string, runId: string | null, objectKey: string | null, bytesTransferred: number, objectSize: number | null, status: ObjectStatus | null, runStatus: RunStatus | null, error: string | null, at: string } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const InProgressObjectsFragmentDoc = new TypedDocumentString(`
    fragment InProgressObjects on Query {
  inProgress: objects(jobId: $jobId, status: PROCESSING, first: 300) {
    edges {
      node {
        key
        size
        lastPosition
        runId
      }
    }
  }
}
    `, {"fragmentName":"InProgressObjects"}) as unknown as TypedDocumentString<InProgressObjectsFragment, unknown>;
export const RunFieldsFragmentDoc = new TypedDocumentString(`
    fragment RunFields on SyncRun {
  id
  status
  trigger
  startedAt
  finishedAt
  objectsTotal
  objectsDone
  objectsFailed
  objectsSkipped
  bytesTotal
  bytesDone
  error
}
    `, {"fragmentName":"RunFields"}) as unknown as TypedDocumentString<RunFieldsFragment, unknown>;
export const JobFieldsFragmentDoc = new TypedDocumentString(`
    fragment JobFields on Job {
  id
  name
  status
  schedule
  timezone
  nextRunAt
  connectorConfig {
    bucketName
    prefix
  }
  lastRun {
    ...RunFields
  }
}
    fragment RunFields on SyncRun {
  id
  status
  trigger
  startedAt
  finishedAt
  objectsTotal
  objectsDone
  objectsFailed
  objectsSkipped
  bytesTotal
  bytesDone
  error
}`, {"fragmentName":"JobFields"}) as unknown as TypedDocumentString<JobFieldsFragment, unknown>;
export const DashboardJobsDocument = new TypedDocumentString(`
    query DashboardJobs($first: Int, $after: String) {
  jobs(first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        ...JobFields
      }
    }
  }
}
    fragment RunFields on SyncRun {
  id
  status
  trigger
  startedAt
  finishedAt
  objectsTotal
  objectsDone
  objectsFailed
  objectsSkipped
  bytesTotal
  bytesDone
  error
}
fragment JobFields on Job {
  id
  name
  status
  schedule
  timezone
  nextRunAt
  connectorConfig {
    bucketName
    prefix
  }
  lastRun {
    ...RunFields
  }
}`) as unknown as TypedDocumentString<DashboardJobsQuery, DashboardJobsQueryVariables>;
export const DashboardJobDocument = new TypedDocumentString(`
    query DashboardJob($jobId: ID!, $runs: Int) {
  ...InProgressObjects
  job(id: $jobId) {
    ...JobFields
    createdAt
  }
  runs(jobId: $jobId, first: $runs) {
    totalCount
    edges {
      node {
        ...RunFields
        failures(first: 3) {
          key
          error
        }
      }
    }
  }
}
    fragment RunFields on SyncRun {
  id
  status
  trigger
  startedAt
  finishedAt
  objectsTotal
  objectsDone
  objectsFailed
  objectsSkipped
  bytesTotal
  bytesDone
  error
}
fragment InProgressObjects on Query {
  inProgress: objects(jobId: $jobId, status: PROCESSING, first: 300) {
    edges {
      node {
        key
        size
        lastPosition
        runId
      }
    }
  }
}
fragment JobFields on Job {
  id
  name
  status
  schedule
  timezone
  nextRunAt
  connectorConfig {
    bucketName
    prefix
  }
  lastRun {
    ...RunFields
  }
}`) as unknown as TypedDocumentString<DashboardJobQuery, DashboardJobQueryVariables>;
export const DashboardLatestRunDocument = new TypedDocumentString(`
    query DashboardLatestRun($jobId: ID!) {
  ...InProgressObjects
  job(id: $jobId) {
    id
    lastRun {
      ...RunFields
    }
  }
}
    fragment RunFields on SyncRun {
  id
  status
  trigger
  startedAt
  finishedAt
  objectsTotal
  objectsDone
  objectsFailed
  objectsSkipped
  bytesTotal
  bytesDone
  error
}
fragment InProgressObjects on Query {
  inProgress: objects(jobId: $jobId, status: PROCESSING, first: 300) {
    edges {
      node {
        key
        size
        lastPosition
        runId
      }
    }
  }
}`) as unknown as TypedDocumentString<DashboardLatestRunQuery, DashboardLatestRunQueryVariables>;
export const DashboardObjectsDocument = new TypedDocumentString(`
    query DashboardObjects($jobId: ID!, $first: Int, $after: String, $status: ObjectStatus, $keyPrefix: String) {
  objects(
    jobId: $jobId
    first: $first
    after: $after
    status: $status
    keyPrefix: $keyPrefix
  ) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        key
        size
        lastPosition
        status
        localPath
        error
        updatedAt
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardObjectsQuery, DashboardObjectsQueryVariables>;
export const DashboardCreateJobDocument = new TypedDocumentString(`
    mutation DashboardCreateJob($input: CreateJobInput!) {
  createJob(input: $input) {
    job {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardCreateJobMutation, DashboardCreateJobMutationVariables>;
export const DashboardTriggerJobDocument = new TypedDocumentString(`
    mutation DashboardTriggerJob($id: ID!) {
  triggerJob(id: $id) {
    run {
      id
      status
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardTriggerJobMutation, DashboardTriggerJobMutationVariables>;
export const DashboardPauseJobDocument = new TypedDocumentString(`
    mutation DashboardPauseJob($id: ID!) {
  pauseJob(id: $id) {
    job {
      id
      status
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardPauseJobMutation, DashboardPauseJobMutationVariables>;
export const DashboardResumeJobDocument = new TypedDocumentString(`
    mutation DashboardResumeJob($id: ID!) {
  resumeJob(id: $id) {
    job {
      id
      status
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardResumeJobMutation, DashboardResumeJobMutationVariables>;
export const DashboardCancelRunDocument = new TypedDocumentString(`
    mutation DashboardCancelRun($jobId: ID!) {
  cancelRun(jobId: $jobId) {
    job {
      id
      status
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardCancelRunMutation, DashboardCancelRunMutationVariables>;
export const DashboardDeleteJobDocument = new TypedDocumentString(`
    mutation DashboardDeleteJob($id: ID!) {
  deleteJob(id: $id) {
    deletedJobId
  }
}
    `) as unknown as TypedDocumentString<DashboardDeleteJobMutation, DashboardDeleteJobMutationVariables>;
export const DashboardProgressDocument = new TypedDocumentString(`
    subscription DashboardProgress($jobId: ID) {
  syncProgress(jobId: $jobId) {
    kind
    jobId
    runId
    objectKey
    bytesTransferred
    objectSize
    status
    runStatus
    error
    at
  }
}
    `) as unknown as TypedDocumentString<DashboardProgressSubscription, DashboardProgressSubscriptionVariables>;