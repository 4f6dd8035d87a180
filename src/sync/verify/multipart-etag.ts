/**
 * A multipart upload's ETag is `<MD5 of its parts' MD5s>-<parts>`: a hash of the bytes once the part
 * boundaries are known. Uploaders (the AWS CLI and SDKs, rclone, most others) cut every part but the
 * last at one size, which a HEAD of part 1 tells; the ETag is then checked like a single-part one
 * (hashers.ts computes it part by part), as is a COMPOSITE checksum, the same construction in
 * another algorithm.
 */

/** An ETag as S3 sends it (quoted, perhaps weak: `W/"…"`) without the quotes and the weak marker. */
export function bareEtag(etag: string): string {
  return etag.replace(/^W\//, '').replaceAll('"', '');
}

/** The hash and part count of a multipart ETag (`"<32 hex>-<n>"`), else null. */
export function multipartEtag(etag: string): { hex: string; parts: number } | null {
  const match = /^([0-9a-f]{32})-(\d{1,5})$/i.exec(bareEtag(etag));
  const parts = Number(match?.[2]);
  return match && parts >= 1 && parts <= 10_000 ? { hex: match[1]!.toLowerCase(), parts } : null;
}

/** Whether `size` bytes can be `parts` parts of `partSize` bytes each but a shorter, non-empty last one. */
export function fitsUniformParts(size: number, parts: number, partSize: number): boolean {
  return Number.isSafeInteger(partSize) && partSize > 0 && partSize * (parts - 1) < size && size <= partSize * parts;
}

/** The size of each part of an object cut as `fitsUniformParts` describes. */
export function uniformPartSize(size: number, parts: number, partSize: number, partNumber: number): number {
  return partNumber < parts ? partSize : size - partSize * (parts - 1);
}
