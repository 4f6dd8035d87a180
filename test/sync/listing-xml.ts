const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface ListedEntry {
  key: string;
  etag: string;
  size: number;
  checksumAlgorithm?: string;
}

/**
 * A ListObjectsV2 answer, served by the fault proxy's `respond` fault: for keys s3rver cannot hold
 * (it resolves `..` on its own disk, names over ~240 bytes) and for checksum metadata it does not keep.
 */
export function listingXml(bucket: string, entries: ListedEntry[]): string {
  const contents = entries
    .map(
      (e) =>
        `<Contents><Key>${xml(e.key)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>${xml(e.etag)}</ETag>` +
        (e.checksumAlgorithm ? `<ChecksumAlgorithm>${e.checksumAlgorithm}</ChecksumAlgorithm>` : '') +
        `<Size>${e.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix></Prefix><KeyCount>${entries.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`;
}
