import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/config/secret-box.js';
import { ConnectionError, resolveJobConnection, type JobConnectionFields } from '../../src/sync/transport/job-connection.js';

const job = (endpoint: string | null): JobConnectionFields =>
  ({ id: '3f0c0000-0000-4000-8000-000000000000', endpoint, region: null, forcePathStyle: null, requesterPays: false, accessKeyId: null, sealedCredentials: null, sealedSseCustomerKey: null }) as JobConnectionFields;

const processS3 = (extra: { endpoint?: string; endpointAllowedHosts?: string[] | null } = {}) => ({ forcePathStyle: false, ...extra });

describe("which endpoints of a job without credentials get the process's", () => {
  it.each([
    ['no endpoint of its own', null, processS3()],
    ["AWS's own hosts", 'https://s3.eu-west-1.amazonaws.com', processS3()],
    ['AWS in China', 'https://s3.cn-north-1.amazonaws.com.cn', processS3()],
    ["the process's endpoint, another path", 'http://minio.internal:9000/other', processS3({ endpoint: 'http://minio.internal:9000' })],
    ['a host of S3_ENDPOINT_ALLOWED_HOSTS', 'http://a.storage.internal:9000', processS3({ endpointAllowedHosts: ['*.storage.internal'] })],
  ])('%s: yes', (_label, endpoint, s3) => {
    expect(() => resolveJobConnection(job(endpoint), s3, createSecretBox(undefined))).not.toThrow();
  });

  it.each([
    ['any other host', 'http://collector.example.net', processS3()],
    ["the process's host on another port", 'http://minio.internal:9001', processS3({ endpoint: 'http://minio.internal:9000' })],
    ['a host that only ends like AWS', 'https://s3.amazonaws.com.evil.example', processS3()],
    ['a host off the allow-list', 'http://other.internal', processS3({ endpointAllowedHosts: ['*.storage.internal'] })],
  ])('%s: no, the run fails saying how to allow it', (_label, endpoint, s3) => {
    expect(() => resolveJobConnection(job(endpoint), s3, createSecretBox(undefined))).toThrow(ConnectionError);
    expect(() => resolveJobConnection(job(endpoint), s3, createSecretBox(undefined))).toThrow(/S3_ENDPOINT_ALLOWED_HOSTS/);
  });
});
