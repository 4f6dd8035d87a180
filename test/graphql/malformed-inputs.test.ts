import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidTimezone, parseSchedule } from '../../src/scheduler/schedule.js';
import { isJobId } from '../../src/services/ids.js';
import { CreateJobDocument, JobDocument, JobsDocument, ObjectsDocument } from '../generated/graphql.js';
import { gql, type GqlResponse } from '../helpers/clients.js';
import { countJobs, startGraphqlApp, validInput, type GraphqlTestApp } from './graphql-env.js';

let api: GraphqlTestApp;
beforeAll(async () => {
  api = await startGraphqlApp();
});
afterAll(async () => {
  await api.stop();
});

/** Every answer to bad input: an HTTP 200/400 with one or more errors that say something, no data written. */
function expectClientError(response: GqlResponse<unknown>) {
  expect([200, 400]).toContain(response.status);
  const errors = response.body.errors ?? [];
  expect(errors.length).toBeGreaterThan(0);
  for (const error of errors) {
    expect(error.message.length).toBeGreaterThan(3);
    expect(error.message).not.toBe('Unexpected error.');
    expect(error.message).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
    expect(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']).toContain(error.extensions?.code);
  }
}

// NaN and ±Infinity are left out: JSON sends them as null, which is a different case (covered by fc.constant(null)).
const notAString = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
/** Characters as the old Flask service counted them (Python `len`): Unicode code points, not UTF-16 units. */
const characters = (s: string) => [...s.trim()].length;

/** One field of an otherwise valid input made bad, so each case tests exactly one rule. */
const badInput = fc.oneof(
  fc.record({ name: fc.oneof(notAString, text.filter((s) => characters(s) < 3 || characters(s) > 25), fc.string({ minLength: 26, maxLength: 300 }).filter((s) => characters(s) > 25)) }),
  fc.record({ connectorType: fc.oneof(notAString, text.filter((s) => s.trim().toUpperCase() !== 'S3')) }),
  fc.record({ schedule: fc.oneof(notAString, text.filter((s) => !parseSchedule(s).ok)) }),
  fc.record({ timezone: fc.oneof(fc.integer(), fc.boolean(), text.filter((s) => s.trim() !== '' && !isValidTimezone(s.trim()))) }),
  fc.record({ connectorConfig: fc.oneof(notAString, fc.record({ bucketName: fc.oneof(notAString, text.filter((s) => !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s.trim()))) })) }),
  fc.record({ connectorConfig: fc.record({ bucketName: fc.constant('good-bucket'), prefix: fc.oneof(notAString.filter((v) => v !== null), fc.constant('a\0b'), fc.constant('x'.repeat(1025))) }) }),
  fc.record({ paused: fc.oneof(fc.integer(), text) }),
  fc.record({ unknownField: fc.string() }),
);

describe('malformed input never crashes the API or writes a row', () => {
  it('createJob: 80 generated bad inputs', async () => {
    await fc.assert(
      fc.asyncProperty(badInput, async (bad) => {
        expectClientError(await gql(api, CreateJobDocument, { input: validInput({ paused: true, ...bad }) as never }));
      }),
      { numRuns: 80 },
    );
    expect(await countJobs(api.app)).toBe(0);
  });

  it('createJob: the whole input replaced by arbitrary JSON (40 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 2 }), async (input) => {
        expectClientError(await gql(api, CreateJobDocument, { input: input as never }));
      }),
      { numRuns: 40 },
    );
    expect(await countJobs(api.app)).toBe(0);
  });

  it('job(id) and objects(jobId, first, after): 60 generated bad arguments', async () => {
    const badId = fc.oneof(text, fc.uuid().map((u) => `${u}x`), fc.integer().map(String)).filter((s) => !isJobId(s));
    const argument = fc.oneof(
      badId.map((id) => () => gql(api, JobDocument, { id })),
      badId.map((jobId) => () => gql(api, ObjectsDocument, { jobId })),
      fc.oneof(fc.integer({ min: 1001 }), fc.integer({ max: -1 })).map((first) => () => gql(api, JobsDocument, { first })),
      text.filter((s) => s.length > 0).map((after) => () => gql(api, JobsDocument, { after: `!${after}` })),
      fc.oneof(fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }), fc.string({ minLength: 1 }), fc.boolean()).map((first) => () => gql(api, JobsDocument, { first: first as never })),
    );
    await fc.assert(fc.asyncProperty(argument, async (call) => expectClientError(await call())), { numRuns: 60 });
  });

  it('jobs(after) with a forged [number, string] cursor (60 cases): a page or "after is not a valid cursor", never a 500', async () => {
    // Any number (no Date holds 1e300; PostgreSQL keeps no timestamp before 4713 BC), any UTF-16 text (lone surrogates, NUL).
    const number = fc.oneof(fc.double(), fc.integer(), fc.maxSafeInteger(), fc.constantFrom(1e300, -1e300, 9e15, 8.64e15, -8.64e15, -210866803200001, 1700000000000));
    const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 8 });
    const cursor = fc.tuple(number, fc.oneof(utf16, fc.uuid())).map((values) => Buffer.from(JSON.stringify(values)).toString('base64url'));
    await fc.assert(
      fc.asyncProperty(cursor, async (after) => {
        const { status, body } = await gql(api, JobsDocument, { after });
        expect(status).toBe(200);
        if (body.errors) {
          expect(body.errors).toEqual([expect.objectContaining({ message: 'after is not a valid cursor', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after' }) })]);
        } else {
          expect(body.data?.jobs).toMatchObject({ totalCount: 0 });
        }
      }),
      { numRuns: 60 },
    );
  });

  it('arbitrary query text (30 cases) is a parse or validation error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }).filter((s) => !/^\s*[{]?\s*(__typename)?\s*[}]?\s*$/.test(s)), async (query) => {
        expectClientError(await gql(api, `${query} {`));
      }),
      { numRuns: 30 },
    );
  });

  it('still serves afterwards', async () => {
    const { status, body } = await gql(api, JobsDocument, {});
    expect(status).toBe(200);
    expect(body).toEqual({ data: { jobs: expect.objectContaining({ totalCount: 0, edges: [] }) } });
  });
});
