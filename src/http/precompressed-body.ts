import { createHash } from 'node:crypto';
import zlib from 'node:zlib';

export type ContentEncoding = 'br' | 'gzip' | 'identity';

/** Brotli's quality 5: a fraction of a second on GraphiQL's page, where 11 takes seconds for a few percent less. */
const BROTLI_QUALITY = 5;

function compress(bytes: Buffer<ArrayBuffer>, encoding: 'br' | 'gzip'): Promise<Buffer<ArrayBuffer>> {
  // The callback forms run on libuv's thread pool: the event loop keeps answering meanwhile.
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result: Buffer<ArrayBuffer>) => (error ? reject(error) : resolve(result));
    if (encoding === 'br') {
      const params = { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length };
      zlib.brotliCompress(bytes, { params }, done);
    } else {
      zlib.gzip(bytes, done);
    }
  });
}

/** br, else gzip, else identity, as `Accept-Encoding` allows (`q=0` refuses a coding, `*` stands for any other). */
export function preferredEncoding(acceptEncoding: string | null | undefined): ContentEncoding {
  const weights = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((param) => /^\s*q\s*=\s*([\d.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
    if (name) weights.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const weight = (encoding: string) => weights.get(encoding) ?? weights.get('*') ?? 0;
  if (weight('br') > 0 && weight('br') >= weight('gzip')) return 'br';
  return weight('gzip') > 0 ? 'gzip' : 'identity';
}

/** `If-None-Match` names this (weak) entity tag, or is `*`. */
export function matchesEntityTag(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

/**
 * A body that never changes, served in each content coding from bytes compressed once: the first
 * request for a coding compresses (off the event loop), later ones and concurrent ones share it.
 * One weak entity tag for all codings: they are the same content.
 */
export interface PrecompressedBody {
  etag: string;
  encoded(encoding: ContentEncoding): Promise<Buffer<ArrayBuffer>>;
}

export function precompressedBody(bytes: Buffer<ArrayBuffer>): PrecompressedBody {
  const etag = `W/"${createHash('sha256').update(bytes).digest('base64url')}"`;
  const compressed = new Map<'br' | 'gzip', Promise<Buffer<ArrayBuffer>>>();
  return {
    etag,
    encoded(encoding) {
      if (encoding === 'identity') return Promise.resolve(bytes);
      let pending = compressed.get(encoding);
      if (!pending) {
        pending = compress(bytes, encoding);
        // A failure is not kept: the next request tries again.
        pending.catch(() => compressed.delete(encoding));
        compressed.set(encoding, pending);
      }
      return pending;
    },
  };
}
