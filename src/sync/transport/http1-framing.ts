/**
 * HTTP/1.1 response framing (RFC 9112) for http1-client.ts: the status line and headers, then
 * where the body ends: Content-Length, chunked transfer coding, or the connection's close.
 */

/** Headers larger than this are refused (S3 answers with well under 4 KB). */
export const MAX_HEAD_BYTES = 64 * 1024;

export interface ResponseHead {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The server keeps the connection open after this response. */
  keepAlive: boolean;
}

export class HttpProtocolError extends Error {
  override name = 'HttpProtocolError';
  /** A malformed answer is retried like a reset connection. */
  readonly code = 'ECONNRESET';
}

/** Parses one head (status line and header lines, without the empty line that ends it). */
export function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (!status) throw new HttpProtocolError(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  // No prototype: a header named `__proto__` or `constructor` is data like any other.
  const headers = Object.create(null) as Record<string, string>;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpProtocolError('a malformed header line');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
  }
  const connection = (headers.connection ?? '').toLowerCase();
  const keepAlive = status[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
  return { status: Number(status[2]), headers, keepAlive };
}

/** Where a body ends. `feed` passes body bytes to `emit` and returns how much of `data` it used. */
export interface BodyFramer {
  /** Returns the bytes of `data` that belonged to this body; `done` is then set if it ended. */
  feed(data: Buffer, emit: (piece: Buffer) => void): number;
  readonly done: boolean;
  /** The body lasts until the server closes the connection. */
  readonly untilClose: boolean;
}

/** The framing of a GET's final answer (a 1xx is skipped by the caller). */
export function framerFor(head: ResponseHead): BodyFramer {
  const { status, headers } = head;
  if (status === 204 || status === 304 || status < 200) return fixedLength(0);
  const coding = headers['transfer-encoding'];
  if (coding !== undefined) {
    if (/(?:^|,)\s*chunked\s*$/i.test(coding)) return chunked();
    return untilClose();
  }
  const length = headers['content-length'];
  if (length !== undefined) {
    if (!/^\d+$/.test(length)) throw new HttpProtocolError(`a bad Content-Length: ${JSON.stringify(length.slice(0, 40))}`);
    return fixedLength(Number(length));
  }
  return untilClose();
}

function fixedLength(length: number): BodyFramer {
  let left = length;
  return {
    feed(data, emit) {
      const used = Math.min(left, data.length);
      if (used > 0) emit(used === data.length ? data : data.subarray(0, used));
      left -= used;
      return used;
    },
    get done() {
      return left === 0;
    },
    untilClose: false,
  };
}

function untilClose(): BodyFramer {
  return {
    feed(data, emit) {
      if (data.length > 0) emit(data);
      return data.length;
    },
    done: false,
    untilClose: true,
  };
}

/** Chunked transfer coding: hex size line, data, CRLF; a zero size, optional trailers, CRLF. */
function chunked(): BodyFramer {
  type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';
  let state: State = 'size';
  let line = '';
  let left = 0;
  const readLine = (data: Buffer, at: number): { end: number; complete: boolean } => {
    const newline = data.indexOf(0x0a, at);
    const end = newline < 0 ? data.length : newline + 1;
    line += data.toString('latin1', at, end);
    if (line.length > 4096) throw new HttpProtocolError('a chunk size or trailer line too long');
    return { end, complete: newline >= 0 };
  };
  return {
    feed(data, emit) {
      let at = 0;
      while (at < data.length && state !== 'done') {
        if (state === 'data') {
          const used = Math.min(left, data.length - at);
          emit(data.subarray(at, at + used));
          at += used;
          left -= used;
          if (left === 0) state = 'data-end';
          continue;
        }
        const { end, complete } = readLine(data, at);
        at = end;
        if (!complete) continue;
        const text = line.trim();
        line = '';
        if (state === 'data-end') {
          if (text !== '') throw new HttpProtocolError('a chunk not followed by CRLF');
          state = 'size';
        } else if (state === 'size') {
          const size = /^([0-9a-f]+)(?:;.*)?$/i.exec(text);
          if (!size || size[1]!.length > 12) throw new HttpProtocolError('a bad chunk size line');
          left = parseInt(size[1]!, 16);
          state = left === 0 ? 'trailer' : 'data';
        } else if (text === '') {
          state = 'done';
        }
      }
      return at;
    },
    get done() {
      return state === 'done';
    },
    untilClose: false,
  };
}
