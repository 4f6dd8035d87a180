import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/config/secret-box.js';
import { acquireRunLock } from '../../src/sync/local/run-lock.js';
import { ConnectionError, resolveJobConnection, type JobConnectionFields } from '../../src/sync/transport/job-connection.js';

const job = (endpoint: string | null): JobConnectionFields =>
  ({ id: '3f0c0000-0000-4000-8000-000000000000', endpoint, region: null, forcePathStyle: null, requesterPays: false, accessKeyId: null, sealedCredentials: null, sealedSseCustomerKey: null }) as JobConnectionFields;

describe('run lock through a link', () => {
  it('a symlink planted at .dss-partial/run.lock.<pid> does not get its target overwritten', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dss-lock-'));
    const outside = await mkdtemp(join(tmpdir(), 'dss-outside-'));
    try {
      const victim = join(outside, 'important.conf');
      await writeFile(victim, 'precious contents\n');
      await symlink(victim, join(dir, `run.lock.${process.pid}`));
      const lock = await acquireRunLock(dir).catch((e: unknown) => e);
      if (lock && typeof (lock as { release?: unknown }).release === 'function') await (lock as { release(): Promise<void> }).release();
      expect(await readFile(victim, 'utf8')).toBe('precious contents\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe("which *.amazonaws.com endpoints get the process's credentials", () => {
  it.each([
    ['an EC2 public DNS name (anyone can rent one)', 'http://ec2-203-0-113-5.compute-1.amazonaws.com'],
    ['an API Gateway endpoint (anyone can create one)', 'https://abc123.execute-api.us-east-1.amazonaws.com'],
    ['an ELB name chosen by its creator', 'http://evil-1234567890.us-east-1.elb.amazonaws.com'],
  ])('%s: refused', (_label, endpoint) => {
    expect(() => resolveJobConnection(job(endpoint), { forcePathStyle: false }, createSecretBox(undefined))).toThrow(ConnectionError);
  });
  it('real S3 hosts still pass', () => {
    for (const e of ['https://s3.amazonaws.com', 'https://s3.eu-west-1.amazonaws.com', 'https://s3-eu-west-1.amazonaws.com', 'https://s3.dualstack.us-east-1.amazonaws.com', 'https://s3-fips.us-east-1.amazonaws.com', 'https://s3.cn-north-1.amazonaws.com.cn', 'https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com'])
      expect(() => resolveJobConnection(job(e), { forcePathStyle: false }, createSecretBox(undefined)), e).not.toThrow();
  });
  it("the process's endpoint on https:443 does not admit the same host over plain http:80", () => {
    expect(() =>
      resolveJobConnection(job('http://minio.corp'), { forcePathStyle: false, endpoint: 'https://minio.corp' }, createSecretBox(undefined)),
    ).toThrow(ConnectionError);
  });
});
