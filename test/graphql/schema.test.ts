import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';
import type { GraphQLNamedType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema.js';

// Node (and so Pothos, here as in production) loads graphql's CommonJS build; vitest would hand this
// file the ESM build, whose functions refuse the schema's types ("from another module or realm").
const { buildSchema, isInputObjectType, isObjectType, lexicographicSortSchema, printSchema } = createRequire(import.meta.url)(
  'graphql',
) as typeof GraphQL;

/** The names clients rely on, copied from the API contract (§3). Our schema may add more. */
const CONTRACT = /* GraphQL */ `
  scalar DateTime
  type Query {
    jobs(first: Int, after: String, status: JobStatus): JobConnection!
    job(id: ID!): Job
    objects(jobId: ID!, first: Int, after: String, status: ObjectStatus, keyPrefix: String): SyncObjectConnection!
    runs(jobId: ID!, first: Int, after: String): SyncRunConnection!
  }
  type Mutation {
    createJob(input: CreateJobInput!): CreateJobPayload!
    deleteJob(id: ID!): DeleteJobPayload!
  }
  type Subscription { syncProgress(jobId: ID): SyncProgressEvent! }
  type CreateJobPayload { job: Job! }
  type DeleteJobPayload { deletedJobId: ID! }
  type JobConnection { totalCount: Int! }
  type SyncObjectConnection { totalCount: Int! }
  type SyncRunConnection { totalCount: Int! }
  input CreateJobInput { name: String!, connectorType: ConnectorType!, schedule: String!, timezone: String,
                         connectorConfig: S3ConnectorConfigInput! }
  input S3ConnectorConfigInput { bucketName: String!, prefix: String }
  type S3ConnectorConfig { bucketName: String! prefix: String! }
  type Job { id: ID!  name: String!  connectorType: ConnectorType!  connectorConfig: S3ConnectorConfig!
             schedule: String!  status: JobStatus!  createdAt: DateTime!  updatedAt: DateTime!
             nextRunAt: DateTime  lastRun: SyncRun  objects(first: Int, after: String): SyncObjectConnection! }
  type SyncObject { id: ID!  key: String!  size: Float!  lastPosition: Float!  status: ObjectStatus!
                    localPath: String  etag: String  updatedAt: DateTime! }
  type SyncRun { id: ID!  status: RunStatus!  startedAt: DateTime  finishedAt: DateTime
                 objectsTotal: Int!  objectsDone: Int!  bytesTotal: Float!  bytesDone: Float!  error: String }
  type SyncProgressEvent { kind: ProgressKind!  jobId: ID!  runId: ID  objectKey: String
                           bytesTransferred: Float!  objectSize: Float  status: ObjectStatus  at: DateTime! }
  enum ProgressKind { RUN_STARTED CHUNK OBJECT_DONE OBJECT_FAILED OBJECT_SKIPPED RUN_FINISHED }
  enum ConnectorType { S3 }
  enum JobStatus { SCHEDULED PENDING RUNNING PAUSED FAILED CANCELLED SKIPPED }
  enum ObjectStatus { PENDING PROCESSING PROCESSED SKIPPED FAILED }
  enum RunStatus { RUNNING SUCCEEDED FAILED CANCELLED SKIPPED }
`;

/** `Type.field(arg: T): R` lines for the contract's fields, enum values as `Enum.VALUE`. */
function signatures(type: GraphQLNamedType): string[] {
  if (isObjectType(type)) {
    return Object.values(type.getFields()).map(
      (f) => `${type.name}.${f.name}(${f.args.map((a) => `${a.name}: ${String(a.type)}`).sort().join(', ')}): ${String(f.type)}`,
    );
  }
  if (isInputObjectType(type)) return Object.values(type.getFields()).map((f) => `${type.name}.${f.name}: ${String(f.type)}`);
  if ('getValues' in type) return type.getValues().map((v) => `${type.name}.${v.name}`);
  return [type.name];
}

describe('schema', () => {
  it('schema/schema.graphql is the printed schema (npm run codegen rewrites it)', () => {
    const committed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(`${printSchema(lexicographicSortSchema(schema))}\n`);
  });

  it('has every type, field, argument and enum value of the contract, with the same types', () => {
    const contract = buildSchema(CONTRACT);
    const ours = new Set(Object.values(schema.getTypeMap()).flatMap(signatures));
    const wanted = Object.values(contract.getTypeMap())
      .filter((t) => !t.name.startsWith('__') && !['String', 'Int', 'Float', 'Boolean', 'ID'].includes(t.name))
      .flatMap(signatures);
    expect(wanted.length).toBeGreaterThan(80);
    // Our Job.objects also takes the status and keyPrefix filters, and deleteJob an optional purgeFiles: compare arguments the contract names only.
    const extended = new Map([
      ['Job.objects(after: String, first: Int): SyncObjectConnection!', 'Job.objects(after: String, first: Int, keyPrefix: String, status: ObjectStatus): SyncObjectConnection!'],
      ['Mutation.deleteJob(id: ID!): DeleteJobPayload!', 'Mutation.deleteJob(id: ID!, purgeFiles: Boolean): DeleteJobPayload!'],
    ]);
    const missing = wanted.filter((s) => !ours.has(s) && !extended.has(s));
    expect(missing).toEqual([]);
    for (const signature of extended.values()) expect(ours).toContain(signature);
  });
});
