/** What a ranged GET's wrong answer named: enough for the caller to tell another version from a broken server. */
export class RangeAnswerError extends Error {
  override name = 'RangeAnswerError';

  constructor(
    message: string,
    /** The answer's ETag, as sent. */
    readonly etag: string | undefined,
    /** The object size its Content-Range stated (absent when it stated none, or `*`). */
    readonly total: number | undefined,
  ) {
    super(message);
  }
}

/**
 * A ranged GET must be answered with that range: 206 and a Content-Range naming its first and last
 * byte. Otherwise the bytes would be written at the wrong place (a server that answers from another
 * offset), and only a checksum of the whole object could tell; one that answers 200 ignores ranges.
 * Not retried: such a server answers the same way again. A store that ignores If-Match answers
 * with another version's range too, which the caller tells apart by the ETag or the total.
 */
export function checkRangeAnswer(
  answer: { status: number | undefined; contentRange: string | undefined; etag: string | undefined },
  start: number,
  end: number,
  discard: () => void,
): void {
  const { status, contentRange } = answer;
  const answered = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange?.trim() ?? '');
  if (status === 206 && answered && Number(answered[1]) === start && Number(answered[2]) === end - 1) return;
  discard();
  const got = status === 206 ? `Content-Range ${JSON.stringify(contentRange ?? '')}` : `HTTP ${status ?? 'without a status'}, not the range`;
  const total = answered && answered[3] !== '*' ? Number(answered[3]) : undefined;
  throw new RangeAnswerError(`the server answered bytes=${start}-${end - 1} with ${got}`, answer.etag, total);
}
