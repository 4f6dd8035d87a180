import { createRequire } from 'node:module';
import type { TestS3Server } from './s3-server.js';

const require = createRequire(import.meta.url);

interface S3rverStore {
  putObject(object: unknown): Promise<{ size: number; md5: string }>;
}
/** s3rver's own storage and object model: what its PUT Object handler hands a request's body and headers to. */
const FilesystemStore = require('s3rver/lib/stores/filesystem.js') as new (directory: string) => S3rverStore;
const S3Object = require('s3rver/lib/models/object.js') as new (bucket: string, key: string, content: Buffer, headers: Record<string, string>) => unknown;

/**
 * Stores objects in a test server's bucket as its PUT Object handler would (the object, its MD5 and
 * its metadata files, through s3rver's own store), without an HTTP request, SDK call and signature
 * each: for arranging many objects, whose PUTs would cost a test more CPU than its sync. The server
 * lists and serves them as objects it was sent; the ETag is their MD5, the LastModified their
 * file's time.
 */
export async function storeObjects(s3: TestS3Server, entries: Iterable<[key: string, body: Buffer | string]>, concurrency = 16): Promise<void> {
  const store = new FilesystemStore(s3.directory);
  const iterator = entries[Symbol.iterator]();
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const [key, body] = next.value;
      // The Content-Type the SDK's PutObject sends with a body of bytes or text.
      await store.putObject(new S3Object(s3.bucket, key, Buffer.from(body), { 'content-type': 'application/octet-stream' }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
