import type { Readable } from 'node:stream';

/**
 * A response body handed over piece by piece, without a stream in between: the hot path reads
 * sockets into one reused buffer (http1-client.ts), so a piece is valid only during the `onData`
 * call that carries it. Whoever keeps bytes copies them, unless they were read in place (`readInto`).
 */
export interface ByteSource {
  /**
   * Passes the body to `onData` in order. Resolves once the last byte was passed; rejects when the
   * body is cut, fails or is destroyed. Called once.
   */
  pipeTo(onData: (piece: Buffer) => void): Promise<void>;
  /** Asks for no more pieces until `resume` (the piece being passed may still be followed by none). */
  pause(): void;
  resume(): void;
  /** Ends the body now: `pipeTo` rejects with `error` (or a plain "destroyed" error). */
  destroy(error?: Error): void;
  /**
   * Offers the consumer's memory for the socket's next reads: `region` is asked after each read for
   * where the next may land (null: the source's own buffer), and a piece passed to `onData` may then
   * lie at the start of that region, already where the consumer wants it. Sources that cannot read in
   * place leave this out.
   */
  readInto?(region: () => Buffer | null): void;
}

/** A Node stream (the SDK's GetObject body, a test's stream) as a ByteSource. */
export function sourceFromReadable(stream: Readable): ByteSource {
  return {
    pipeTo(onData) {
      return new Promise<void>((resolve, reject) => {
        stream.on('data', (piece: Buffer) => onData(piece));
        stream.once('end', resolve);
        stream.once('error', reject);
        stream.once('close', () => {
          if (!stream.readableEnded) reject(Object.assign(new Error('the body ended early'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
        });
      });
    },
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    destroy: (error) => stream.destroy(error ?? new Error('the body was destroyed')),
  };
}

/**
 * The whole body in memory (error answers, listings, tests). Past `limit` bytes the rest is read and
 * dropped, or, with `overLimit`, the body is ended with that error.
 */
export async function readAll(source: ByteSource, limit = Number.POSITIVE_INFINITY, overLimit?: () => Error): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let length = 0;
  await source.pipeTo((piece) => {
    if (overLimit && length + piece.length > limit) return source.destroy(overLimit());
    if (length >= limit) return;
    const kept = Buffer.from(piece.subarray(0, limit - length));
    pieces.push(kept);
    length += kept.length;
  });
  return Buffer.concat(pieces);
}
