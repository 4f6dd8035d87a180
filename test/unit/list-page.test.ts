import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { ListingFormatError, parseListPage } from '../../src/sync/transport/list-page.js';
import { createS3Connector } from '../../src/sync/transport/s3-connector.js';
import { isRetriableS3Error } from '../../src/sync/transport/retry.js';

/** Keys as S3 writes them in XML (escaped), and one raw CR LF that an XML reader sees as LF. */
const LISTED = [
  'plain/key.txt',
  'a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos;',
  'carriage&#13;return and tab&#9;',
  'references &#xE9; &#233; and a raw 😀',
  'raw é ☃ + %25 ?#',
  'line\r\nbreak and lone\rcr',
  'KeyCount',
];

const page = (truncated: boolean, token?: string) => `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix></Prefix>
  <KeyCount>${LISTED.length}</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <IsTruncated>${truncated}</IsTruncated>${token === undefined ? '' : `\n  <NextContinuationToken>${token}</NextContinuationToken>`}
${LISTED.map(
  (key, i) => `  <Contents>
    <Key>${key}</Key>
    <LastModified>2026-0${1 + (i % 9)}-0${1 + i}T12:34:56.${i}00Z</LastModified>
    ${i === 3 ? '' : `<ETag>&quot;${i}9b2cf535f27731c974343645a3985328${i === 2 ? '-3' : ''}&quot;</ETag>`}
    ${i === 1 ? '<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumAlgorithm>SHA256</ChecksumAlgorithm>' : ''}
    <ChecksumType>FULL_OBJECT</ChecksumType>
    <Size>${i * 1_000_003}</Size>
    <Owner><ID>abc</ID><DisplayName>owner</DisplayName></Owner>
    <StorageClass>STANDARD</StorageClass>
  </Contents>`,
).join('\n')}
</ListBucketResult>`;

describe('the listing reader (list-page.ts)', () => {
  let server: Server;
  let endpoint: string;
  let answer = page(false);
  let status = 200;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      // Written in two pieces, so the body comes chunked (as S3 sends listings), split inside an element.
      const cut = answer.indexOf('<Key>') + 3;
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.write(answer.slice(0, cut));
      res.end(answer.slice(cut));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sdkClient = () =>
    new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' }, maxAttempts: 1 });

  const connector = () => {
    const { s3 } = loadConfig({ S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: 'true' });
    return createS3Connector({ s3, credentials: { accessKeyId: 'k', secretAccessKey: 's' }, retry: { count: 2, delaySeconds: 0.001, backoff: 1 }, maxSockets: 2 });
  };

  test.each([
    ['the last page', false, undefined],
    ['a truncated page', true, 'token&amp;with/odd+chars=='],
  ])('reads %s as the SDK does: keys, sizes, ETags, times, checksum algorithms, the next token', async (_, truncated, token) => {
    answer = page(truncated, token);
    const client = sdkClient();
    const sdk = await client.send(new ListObjectsV2Command({ Bucket: 'bucket' }));
    client.destroy();
    const expected = (sdk.Contents ?? []).map((item) => ({
      key: item.Key ?? '',
      size: Number(item.Size ?? 0),
      etag: item.ETag ?? '',
      lastModified: item.LastModified ?? null,
      checksumAlgorithms: (item.ChecksumAlgorithm ?? []) as string[],
    }));
    const ours = parseListPage(answer);
    expect(ours.objects).toEqual(expected);
    expect(ours.objects.map((o) => o.key)).toContain('carriage\rreturn and tab\t');
    expect(ours.objects.map((o) => o.key)).toContain('line\nbreak and lone\ncr');
    expect(ours.nextToken).toBe(sdk.IsTruncated ? sdk.NextContinuationToken : undefined);
    expect(ours.nextToken).toBe(truncated ? 'token&with/odd+chars==' : undefined);
  });

  test("the connector lists through the signed sender with the SDK's query, and follows the token", async () => {
    requests.length = 0;
    answer = page(true, 'next page');
    const s3 = connector();
    const pages = s3.listPages('bucket', 'pre fix/', undefined, 'after+this')[Symbol.asyncIterator]();
    const first = await pages.next();
    answer = page(false);
    const second = await pages.next();
    expect((await pages.next()).done).toBe(true);
    s3.destroy();
    expect(first.value).toEqual(parseListPage(page(true, 'next page')).objects);
    expect(second.value).toHaveLength(LISTED.length);
    expect(requests).toEqual([
      '/bucket/?encoding-type=url&list-type=2&prefix=pre%20fix%2F&start-after=after%2Bthis',
      '/bucket/?continuation-token=next%20page&encoding-type=url&list-type=2&prefix=pre%20fix%2F',
    ]);
  });

  test('a truncated page without a continuation token fails the listing at once (no retry), rather than ending it early', async () => {
    requests.length = 0;
    answer = page(true);
    const s3 = connector();
    const listing = async () => {
      for await (const objects of s3.listPages('bucket', '')) void objects;
    };
    await expect(listing()).rejects.toThrow(new ListingFormatError('the listing says it is truncated but gives no continuation token'));
    s3.destroy();
    expect(requests).toHaveLength(1);
  });

  test.each([
    ['decoded as the listing is', 'Access to caf&#233; &amp; &#x1F600; denied', 'Access to café & 😀 denied'],
    ['kept as sent when it is not well-formed', 'Access to 50&percnt; &amp; more denied', 'Access to 50&percnt; &amp; more denied'],
  ])("an error answer's message is %s", async (_, written, shown) => {
    status = 403;
    answer = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${written}</Message><RequestId>R&amp;1</RequestId></Error>`;
    const s3 = connector();
    const listing = async () => {
      for await (const objects of s3.listPages('bucket', '')) void objects;
    };
    try {
      await expect(listing()).rejects.toMatchObject({ name: 'AccessDenied', message: shown, $metadata: { httpStatusCode: 403, requestId: 'R&1' } });
    } finally {
      s3.destroy();
      status = 200;
    }
  });

  test.each([
    ['<Error><Code>Odd</Code></Error>', 'the listing answer is not a ListBucketResult'],
    ['<ListBucketResult><Contents><Size>12</Size></Contents></ListBucketResult>', 'a listed object has no <Key>'],
    ['<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>', 'the listed size of "k" is not a byte count: "-1"'],
    ['<ListBucketResult><Contents><Key>a&nbsp;b</Key></Contents></ListBucketResult>', 'the listing answer has an unknown reference "&nbsp;"'],
    ['<ListBucketResult><Contents><Key>a&amp b</Key></Contents></ListBucketResult>', 'the listing answer has an unterminated reference "&amp b"'],
    ['<ListBucketResult><Contents><Key>a</Contents></ListBucketResult>', 'the listing answer has an unclosed <Key>'],
    ['<ListBucketResult><Contents><Key>a<!-- b -->c</Key></Contents></ListBucketResult>', 'the listing answer has markup inside a value: "<!-- b -->c"'],
  ])('refuses %s with a reason', (xml, reason) => {
    expect(() => parseListPage(xml)).toThrow(new ListingFormatError(reason));
  });

  test.each([['<ListBucketResult><Contents><Key>k</Key><Size>12</Size>'], ['<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>12</Size></Contents>']])(
    'refuses %s (cut short) as a fault worth another attempt, not a page with fewer keys',
    (xml) => {
      expect(() => parseListPage(xml)).toThrow(expect.objectContaining({ name: 'ListingFormatError', message: 'the listing answer was cut short (no closing </ListBucketResult>)' }));
      let caught: unknown;
      try {
        parseListPage(xml);
      } catch (error) {
        caught = error;
      }
      expect(isRetriableS3Error(caught)).toBe(true);
    },
  );

  test("a character reference beyond U+FFFF is that character (the SDK's reader keeps only its low 16 bits)", () => {
    const [listed] = parseListPage('<ListBucketResult><Contents><Key>&#x1F600;&#128512;</Key></Contents></ListBucketResult>').objects;
    expect(listed?.key).toBe('😀😀');
  });

  test('a CDATA section is taken as it is, references and all', () => {
    const [listed] = parseListPage('<ListBucketResult><Contents><Key>a &amp; <![CDATA[b &amp; <c>\r\n]]>d</Key></Contents></ListBucketResult>').objects;
    expect(listed?.key).toBe('a & b &amp; <c>\nd');
  });

  test('an empty page, and empty elements written as <Tag/>', () => {
    expect(parseListPage('<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>')).toEqual({ objects: [], nextToken: undefined });
    expect(parseListPage('<ListBucketResult><Contents><Key>k</Key><ETag/><Size>0</Size></Contents></ListBucketResult>').objects).toEqual([
      { key: 'k', size: 0, etag: '', lastModified: null, checksumAlgorithms: [] },
    ]);
  });
});
