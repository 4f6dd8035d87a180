import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, test } from 'vitest';
import { encodeKey } from '../../src/sync/transport/signed-get.js';
import { canonicalQuery, signGet, type SigningCredentials } from '../../src/sync/transport/sigv4.js';

/** A small deterministic generator, so a failure names a reproducible case. */
function random(seed: number) {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick };
}

const KEY_PARTS = ['a', 'dir/', 'ünï', '☃', ' ', '+', '%', '~', '*', "'", '(', ')', '!', '&', '=', '?', '#', '..', '.', '//', 'Z9_-'];
const CREDENTIALS: SigningCredentials[] = [
  { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'other/secret+key', sessionToken: 'IQoJb3JpZ2luX2VjE//token==' },
];
const HEADER_VALUES = ['bytes=0-8388607', 'non\u00a0breaking\vfeed\f', '"9b2cf535f27731c974343645a3985328"', '  padded\tvalue  ', 'line\r\nbreak', 'a  \t b'];

describe('the GET signer (sigv4.ts) against the SDK signer (@smithy/signature-v4)', () => {
  test('signs 500 random GETs, listings among them, to the same headers, signature included', async () => {
    const { next, pick } = random(14);
    for (let i = 0; i < 500; i++) {
      const key = Array.from({ length: 1 + Math.floor(next() * 6) }, () => pick(KEY_PARTS)).join('');
      const path = `${pick(['', '/base', '/base/path'])}/${pick(['bucket', 'my.bucket'])}/${encodeKey(key)}`;
      const headers: Record<string, string> = { host: pick(['127.0.0.1:4569', 's3.eu-west-1.amazonaws.com', 'bucket.s3.amazonaws.com', '[::1]:9000']) };
      if (next() < 0.6) headers.range = `bytes=${Math.floor(next() * 1e6)}-${Math.floor(next() * 1e9)}`;
      if (next() < 0.5) headers['if-match'] = pick(HEADER_VALUES);
      if (next() < 0.3) headers['x-amz-expected-bucket-owner'] = pick(HEADER_VALUES);
      if (next() < 0.2) headers['user-agent'] = 'unsigned/1.0';
      if (next() < 0.1) headers['proxy-authorization'] = 'unsigned';
      const credentials = pick(CREDENTIALS);
      const region = pick(['us-east-1', 'eu-west-1', 'auto']);
      const service = pick(['s3', 's3-object-lambda']);
      const date = new Date(Date.UTC(2026, Math.floor(next() * 12), 1 + Math.floor(next() * 28), Math.floor(next() * 24), Math.floor(next() * 60), Math.floor(next() * 60), Math.floor(next() * 1000)));

      // A listing's parameters, some of them with characters that need escaping.
      const query: Record<string, string> = {};
      if (next() < 0.4) {
        query['list-type'] = '2';
        for (const name of ['prefix', 'continuation-token', 'start-after', 'max-keys', 'a-b', 'a']) {
          if (next() < 0.5) query[name] = Array.from({ length: Math.floor(next() * 4) }, () => pick(KEY_PARTS)).join('');
        }
      }

      const sdk = new SignatureV4({ service, region, credentials, sha256: Sha256, uriEscapePath: false });
      const expected = await sdk.sign({ method: 'GET', protocol: 'https:', hostname: 'ignored', path, query, headers: { ...headers } }, { signingRegion: region, signingDate: date });
      expect(signGet({ path, query: canonicalQuery(query), headers }, credentials, { region, service, date }), `case ${i}: ${path}?${canonicalQuery(query)}`).toEqual(expected.headers);
    }
  });

  test('refuses credentials without a key id or secret, as the SDK does', () => {
    const broken = { accessKeyId: undefined, secretAccessKey: 's' } as unknown as SigningCredentials;
    expect(() => signGet({ path: '/b/k', headers: { host: 'h' } }, broken, { region: 'us-east-1', service: 's3', date: new Date() })).toThrow(
      'Resolved credential object is not valid',
    );
  });
});
