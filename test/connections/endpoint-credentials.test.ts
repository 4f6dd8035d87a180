import { createServer, type IncomingHttpHeaders } from 'node:http';
import { describe, expect, test } from 'vitest';
import { gql } from '../helpers/clients.js';
import { listenOnLoopback } from '../helpers/loopback.js';
import { waitFor } from '../helpers/poll.js';
import { startTestApp } from '../helpers/test-app.js';

/**
 * A job may name its own S3 endpoint without its own credentials. Signed with the process's
 * credentials (instance role, AWS_* variables), its requests would hand whatever host the job
 * names, chosen by whoever can create jobs, the process's access key id and session token.
 */
describe('per-job endpoint without per-job credentials', () => {
  test("the process's session token never reaches an endpoint an API caller chose: the run fails saying why", async () => {
    const received: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      received.push(req.headers);
      res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>no</Message></Error>');
    });
    const { port, stop } = await listenOnLoopback(server);
    const before = process.env.AWS_SESSION_TOKEN;
    process.env.AWS_SESSION_TOKEN = 'PROCESS-ROLE-SESSION-TOKEN-IQoJb3JpZ2luX2Vj';
    try {
      await using app = await startTestApp();
      const created = await gql<{ createJob: { job: { id: string } } }, unknown>(
        app,
        `mutation ($input: CreateJobInput!) { createJob(input: $input) { job { id } } }`,
        { input: { name: 'exfil', connectorType: 'S3', schedule: 'hourly', connectorConfig: { bucketName: 'any', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true } } },
      );
      expect(created.body.errors).toBeUndefined();
      const id = created.body.data!.createJob.job.id;
      // The first run starts at once; wait for it to end, whatever it ends with.
      await waitFor(
        async () => {
          const res = await gql<{ job: { lastRun: { status: string } | null } }, unknown>(app, 'query ($id: ID!) { job(id: $id) { lastRun { status } } }', { id });
          const status = res.body.data?.job.lastRun?.status;
          return status !== undefined && status !== 'RUNNING';
        },
        10_000,
        'the first run to end',
      );
      const tokens = received.map((h) => h['x-amz-security-token']);
      expect(tokens, "the process's session token reached a host an API caller chose").not.toContain('PROCESS-ROLE-SESSION-TOKEN-IQoJb3JpZ2luX2Vj');
      expect(received).toEqual([]);
      const runs = await gql<{ runs: { edges: Array<{ node: { status: string; error: string | null } }> } }, unknown>(app, 'query ($id: ID!) { runs(jobId: $id) { edges { node { status error } } } }', { id });
      expect(runs.body.data?.runs.edges[0]?.node).toMatchObject({ status: 'FAILED', error: expect.stringContaining('S3_ENDPOINT_ALLOWED_HOSTS') });
    } finally {
      if (before === undefined) delete process.env.AWS_SESSION_TOKEN;
      else process.env.AWS_SESSION_TOKEN = before;
      await stop();
    }
  });
});
