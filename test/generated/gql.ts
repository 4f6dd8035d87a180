/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment JobFields on Job {\n  id\n  name\n  connectorType\n  connectorConfig {\n    bucketName\n    prefix\n  }\n  schedule\n  timezone\n  status\n  createdAt\n  updatedAt\n  nextRunAt\n}\n\nmutation CreateJob($input: CreateJobInput!) {\n  createJob(input: $input) {\n    job {\n      ...JobFields\n    }\n  }\n}\n\nmutation DeleteJob($id: ID!) {\n  deleteJob(id: $id) {\n    deletedJobId\n  }\n}\n\nquery Job($id: ID!) {\n  job(id: $id) {\n    ...JobFields\n    lastRun {\n      id\n      status\n      trigger\n    }\n    objects(first: 5) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          key\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}\n\nquery Jobs($first: Int, $after: String, $status: JobStatus) {\n  jobs(first: $first, after: $after, status: $status) {\n    totalCount\n    edges {\n      cursor\n      node {\n        id\n        name\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n  }\n}": typeof types.JobFieldsFragmentDoc,
    "query Objects($jobId: ID!, $first: Int, $after: String, $status: ObjectStatus) {\n  objects(jobId: $jobId, first: $first, after: $after, status: $status) {\n    totalCount\n    edges {\n      cursor\n      node {\n        id\n        jobId\n        key\n        size\n        lastPosition\n        status\n        localPath\n        etag\n        updatedAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      endCursor\n    }\n  }\n}\n\nquery Runs($jobId: ID!, $first: Int, $after: String) {\n  runs(jobId: $jobId, first: $first, after: $after) {\n    totalCount\n    edges {\n      node {\n        id\n        status\n        trigger\n        startedAt\n        finishedAt\n        objectsTotal\n        objectsDone\n        objectsFailed\n        objectsSkipped\n        bytesTotal\n        bytesDone\n        error\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.ObjectsDocument,
    "subscription SyncProgress($jobId: ID) {\n  syncProgress(jobId: $jobId) {\n    kind\n    jobId\n    runId\n    objectKey\n    bytesTransferred\n    objectSize\n    status\n    runStatus\n    error\n    at\n  }\n}": typeof types.SyncProgressDocument,
};
const documents: Documents = {
    "fragment JobFields on Job {\n  id\n  name\n  connectorType\n  connectorConfig {\n    bucketName\n    prefix\n  }\n  schedule\n  timezone\n  status\n  createdAt\n  updatedAt\n  nextRunAt\n}\n\nmutation CreateJob($input: CreateJobInput!) {\n  createJob(input: $input) {\n    job {\n      ...JobFields\n    }\n  }\n}\n\nmutation DeleteJob($id: ID!) {\n  deleteJob(id: $id) {\n    deletedJobId\n  }\n}\n\nquery Job($id: ID!) {\n  job(id: $id) {\n    ...JobFields\n    lastRun {\n      id\n      status\n      trigger\n    }\n    objects(first: 5) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          key\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}\n\nquery Jobs($first: Int, $after: String, $status: JobStatus) {\n  jobs(first: $first, after: $after, status: $status) {\n    totalCount\n    edges {\n      cursor\n      node {\n        id\n        name\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n  }\n}": types.JobFieldsFragmentDoc,
    "query Objects($jobId: ID!, $first: Int, $after: String, $status: ObjectStatus) {\n  objects(jobId: $jobId, first: $first, after: $after, status: $status) {\n    totalCount\n    edges {\n      cursor\n      node {\n        id\n        jobId\n        key\n        size\n        lastPosition\n        status\n        localPath\n        etag\n        updatedAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      endCursor\n    }\n  }\n}\n\nquery Runs($jobId: ID!, $first: Int, $after: String) {\n  runs(jobId: $jobId, first: $first, after: $after) {\n    totalCount\n    edges {\n      node {\n        id\n        status\n        trigger\n        startedAt\n        finishedAt\n        objectsTotal\n        objectsDone\n        objectsFailed\n        objectsSkipped\n        bytesTotal\n        bytesDone\n        error\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.ObjectsDocument,
    "subscription SyncProgress($jobId: ID) {\n  syncProgress(jobId: $jobId) {\n    kind\n    jobId\n    runId\n    objectKey\n    bytesTransferred\n    objectSize\n    status\n    runStatus\n    error\n    at\n  }\n}": types.SyncProgressDocument,
};

/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = gql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function gql(source: string): unknown;

/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "fragment JobFields on Job {\n  id\n  name\n  connectorType\n  connectorConfig {\n    bucketName\n    prefix\n  }\n  schedule\n  timezone\n  status\n  createdAt\n  updatedAt\n  nextRunAt\n}\n\nmutation CreateJob($input: CreateJobInput!) {\n  createJob(input: $input) {\n    job {\n      ...JobFields\n    }\n  }\n}\n\nmutation DeleteJob($id: ID!) {\n  deleteJob(id: $id) {\n    deletedJobId\n  }\n}\n\nquery Job($id: ID!) {\n  job(id: $id) {\n    ...JobFields\n    lastRun {\n      id\n      status\n      trigger\n    }\n    objects(first: 5) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          key\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}\n\nquery Jobs($first: Int, $after: String, $status: JobStatus) {\n  jobs(first: $first, after: $after, status: $status) {\n    totalCount\n    edges {\n      cursor\n      node {\n        id\n        name\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n  }\n}"): (typeof documents)["fragment JobFields on Job {\n  id\n  name\n  connectorType\n  connectorConfig {\n    bucketName\n    prefix\n  }\n  schedule\n  timezone\n  status\n  createdAt\n  updatedAt\n  nextRunAt\n}\n\nmutation CreateJob($input: CreateJobInput!) {\n  createJob(input: $input) {\n    job {\n      ...JobFields\n    }\n  }\n}\n\nmutation DeleteJob($id: ID!) {\n  deleteJob(id: $id) {\n    deletedJobId\n  }\n}\n\nquery Job($id: ID!) {\n  job(id: $id) {\n    ...JobFields\n    lastRun {\n      id\n      status\n      trigger\n    }\n    objects(first: 5) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          key\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}\n\nquery Jobs($first: Int, $after: String, $status: JobStatus) {\n  jobs(first: $first, after: $after, status: $status) {\n    totalCount\n    edges {\n      cursor\n      node {\n        id\n        name\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      startCursor\n      endCursor\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "query Objects($jobId: ID!, $first: Int, $after: String, $status: ObjectStatus) {\n  objects(jobId: $jobId, first: $first, after: $after, status: $status) {\n    totalCount\n    edges {\n      cursor\n      node {\n        id\n        jobId\n        key\n        size\n        lastPosition\n        status\n        localPath\n        etag\n        updatedAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      endCursor\n    }\n  }\n}\n\nquery Runs($jobId: ID!, $first: Int, $after: String) {\n  runs(jobId: $jobId, first: $first, after: $after) {\n    totalCount\n    edges {\n      node {\n        id\n        status\n        trigger\n        startedAt\n        finishedAt\n        objectsTotal\n        objectsDone\n        objectsFailed\n        objectsSkipped\n        bytesTotal\n        bytesDone\n        error\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query Objects($jobId: ID!, $first: Int, $after: String, $status: ObjectStatus) {\n  objects(jobId: $jobId, first: $first, after: $after, status: $status) {\n    totalCount\n    edges {\n      cursor\n      node {\n        id\n        jobId\n        key\n        size\n        lastPosition\n        status\n        localPath\n        etag\n        updatedAt\n      }\n    }\n    pageInfo {\n      hasNextPage\n      hasPreviousPage\n      endCursor\n    }\n  }\n}\n\nquery Runs($jobId: ID!, $first: Int, $after: String) {\n  runs(jobId: $jobId, first: $first, after: $after) {\n    totalCount\n    edges {\n      node {\n        id\n        status\n        trigger\n        startedAt\n        finishedAt\n        objectsTotal\n        objectsDone\n        objectsFailed\n        objectsSkipped\n        bytesTotal\n        bytesDone\n        error\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The gql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function gql(source: "subscription SyncProgress($jobId: ID) {\n  syncProgress(jobId: $jobId) {\n    kind\n    jobId\n    runId\n    objectKey\n    bytesTransferred\n    objectSize\n    status\n    runStatus\n    error\n    at\n  }\n}"): (typeof documents)["subscription SyncProgress($jobId: ID) {\n  syncProgress(jobId: $jobId) {\n    kind\n    jobId\n    runId\n    objectKey\n    bytesTransferred\n    objectSize\n    status\n    runStatus\n    error\n    at\n  }\n}"];

export function gql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;