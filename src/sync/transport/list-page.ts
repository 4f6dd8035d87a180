import { readAll } from './byte-source.js';
import type { Http1Response } from './http1-client.js';
import type { SignedGetRequest } from './signed-get.js';
import { decodeXmlText, XmlTextError } from './xml-text.js';

/** An object as listed: plain data, no SDK types. */
export interface RemoteObject {
  key: string;
  size: number;
  /** As S3 sends it, quotes included. */
  etag: string;
  lastModified: Date | null;
  /** Algorithms of the checksums S3 stored with the object (ask HEAD for their values). */
  checksumAlgorithms: string[];
}

export interface ListPage {
  objects: RemoteObject[];
  /** Where the next page starts; undefined after the last one. */
  nextToken: string | undefined;
}

export interface ListPageRequest {
  bucket: string;
  prefix: string;
  token?: string;
  startAfter?: string;
  maxKeys?: number;
}

/** A listing answer this parser cannot read, or one that contradicts itself: not retried. */
export class ListingFormatError extends Error {
  override name = 'ListingFormatError';
}

/** Far above a page of 1,000 keys of 1,024 bytes with every character escaped. */
const MAX_LISTING_BYTES = 64 * 1024 * 1024;

/**
 * One ListObjectsV2 page through the hand-signed sender (signed-get.ts), read by `parseListPage`;
 * null when the bucket needs the SDK (an auth scheme other than SigV4). The SDK's generic XML
 * deserializer cost ~12 µs of CPU per key listed, on the main thread between one page and the
 * request for the next; this reader, a tenth of that.
 */
export async function listPageSigned(
  send: (request: SignedGetRequest) => Promise<Http1Response | null>,
  { bucket, prefix, token, startAfter, maxKeys }: ListPageRequest,
  signal?: AbortSignal,
): Promise<ListPage | null> {
  const query = {
    'list-type': '2',
    prefix: prefix || undefined,
    'continuation-token': token,
    'start-after': token ? undefined : startAfter,
    'max-keys': maxKeys?.toString(),
    // Keys percent-encoded: XML cannot carry some characters (a CR reads as LF, C0 controls).
    'encoding-type': 'url',
  };
  const response = await send({ bucket, query, headers: {}, signal });
  if (!response) return null;
  const tooLong = () => new ListingFormatError(`the listing page is over ${MAX_LISTING_BYTES} bytes`);
  return parseListPage((await readAll(response.body, MAX_LISTING_BYTES, tooLong)).toString('utf8'));
}

/**
 * Reads a ListObjectsV2 answer as S3 writes it: `<Contents>` elements with `<Key>`, `<Size>`,
 * `<ETag>`, `<LastModified>` and `<ChecksumAlgorithm>` children, `<IsTruncated>` and
 * `<NextContinuationToken>` at the top. Text is XML-decoded (line ends normalised, the five named
 * entities, character references), as the SDK's parser does. A key's text cannot hold `<` (S3
 * escapes it, and writes no CDATA), so finding tags by name cannot be fooled by a key's content.
 */
export function parseListPage(xml: string): ListPage {
  if (!xml.includes('<ListBucketResult')) throw new ListingFormatError('the listing answer is not a ListBucketResult');
  // A body cut short (a connection closed mid-answer, a lying proxy) can end between two <Contents>:
  // read as it is, the keys after the cut would be taken for deleted. Retried like a network fault.
  if (!/<\/ListBucketResult>\s*$/.test(xml)) {
    throw Object.assign(new ListingFormatError('the listing answer was cut short (no closing </ListBucketResult>)'), { $retryable: {} });
  }
  const objects: RemoteObject[] = [];
  // Only when the answer says so: a server that ignores encoding-type sends keys as they are.
  const urlEncoded = childText(xml, 'EncodingType') === 'url';
  let at = 0;
  for (;;) {
    const start = xml.indexOf('<Contents>', at);
    if (start < 0) break;
    const end = xml.indexOf('</Contents>', start);
    if (end < 0) throw new ListingFormatError('the listing answer ends inside a <Contents> element');
    const object = objectOf(xml.slice(start + '<Contents>'.length, end));
    if (urlEncoded) object.key = decodeUrlEncodedKey(object.key);
    objects.push(object);
    at = end + '</Contents>'.length;
  }
  const truncated = childText(xml, 'IsTruncated') === 'true';
  return { objects, nextToken: nextTokenOf(truncated, childText(xml, 'NextContinuationToken')) };
}

/**
 * The next page's token, or undefined after the last page. A truncated page without a token is an
 * error: ending the listing there would take the unlisted keys for deleted (mirror deletes).
 */
export function nextTokenOf(truncated: boolean | undefined, token: string | undefined): string | undefined {
  if (!truncated) return undefined;
  if (!token) throw new ListingFormatError('the listing says it is truncated but gives no continuation token');
  return token;
}

function objectOf(block: string): RemoteObject {
  const key = childText(block, 'Key');
  if (key === undefined) throw new ListingFormatError('a listed object has no <Key>');
  const sizeText = childText(block, 'Size') ?? '0';
  if (!/^\d+$/.test(sizeText)) throw new ListingFormatError(`the listed size of "${key}" is not a byte count: "${sizeText}"`);
  const modified = childText(block, 'LastModified');
  const time = modified === undefined ? Number.NaN : Date.parse(modified);
  return {
    key,
    size: Number(sizeText),
    etag: childText(block, 'ETag') ?? '',
    lastModified: Number.isNaN(time) ? null : new Date(time),
    checksumAlgorithms: childTexts(block, 'ChecksumAlgorithm'),
  };
}

/** The decoded text of the first `<tag>` in `xml` (`<tag/>` is empty); undefined when there is none. */
function childText(xml: string, tag: string): string | undefined {
  return textsOf(xml, tag, true)[0];
}

function childTexts(xml: string, tag: string): string[] {
  return textsOf(xml, tag, false);
}

function textsOf(xml: string, tag: string, firstOnly: boolean): string[] {
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  const empty = `<${tag}/>`;
  const texts: string[] = [];
  let at = 0;
  while (!(firstOnly && texts.length > 0)) {
    const start = xml.indexOf(`<${tag}`, at);
    if (start < 0) break;
    if (xml.startsWith(empty, start)) {
      texts.push('');
      at = start + empty.length;
    } else if (xml.startsWith(open, start)) {
      const end = xml.indexOf(close, start);
      if (end < 0) throw new ListingFormatError(`the listing answer has an unclosed <${tag}>`);
      texts.push(decodedValue(xml.slice(start + open.length, end)));
      at = end + close.length;
    } else {
      // Another tag starting with this name (<KeyCount> when looking for <Key>).
      at = start + 1;
    }
  }
  return texts;
}

function decodedValue(raw: string): string {
  try {
    return decodeXmlText(raw);
  } catch (error) {
    throw error instanceof XmlTextError ? new ListingFormatError(`the listing answer has ${error.message}`) : error;
  }
}

/** A key as S3's encoding-type=url writes it: form-style percent-encoding ("+" for a space). */
export function decodeUrlEncodedKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new ListingFormatError(`the listing answer has a key that is not URL-encoded: "${encoded.slice(0, 64)}"`);
  }
}
