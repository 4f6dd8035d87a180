import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Answers an HTTP upgrade request with `status` and a JSON `{ message }`, as the router answers
 * plain requests, then closes the socket. An upgrade's socket has left Node's HTTP machinery (no
 * ServerResponse, no error handling), so the answer is written by hand.
 */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  // A client that resets now would otherwise raise an unhandled 'error'.
  socket.on('error', () => socket.destroy());
  const body = JSON.stringify({ message });
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'connection: close',
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}
