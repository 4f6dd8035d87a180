import type { Server } from 'node:http';

/** How long a connection may stay silent before its first request (Node's headersTimeout, for comparison, is 60 s). */
export const IDLE_CONNECTION_MS = 60_000;

/**
 * Closes a connection that sends nothing for `idleMs` before its first request. Node bounds slow
 * headers (headersTimeout, from a request's first byte) and idle keep-alive connections
 * (keepAliveTimeout), but a connection that never sends a byte is kept forever, each one holding a
 * file descriptor. The socket's inactivity timer is set here and cleared once a request begins, so
 * slow responses and event streams are not cut; an upgraded socket (WebSocket) clears it itself.
 */
export function closeSilentConnections(server: Server, idleMs: number): void {
  // Node's own 'timeout' listener destroys a timed-out socket when nobody else handles it.
  server.on('connection', (socket) => socket.setTimeout(idleMs));
  server.prependListener('request', (req) => req.socket.setTimeout(0));
}
