import { CloseCode } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { Logger } from '../config/logger.js';
import { MAX_BODY_BYTES } from '../http/body.js';

type SendCallback = (error?: Error) => void;
type Send = (data: unknown, options: object, callback?: SendCallback) => void;

/**
 * A socket's faults, handled as a service should: graphql-ws's `useServer` prints each with
 * console.error, stack and all, outside the log. Installed on every socket it serves.
 * - A socket error: the one a client can cause, a message over maxPayload, has already closed the
 *   socket with 1009 and is logged as a refusal; anything else closes the socket as graphql-ws
 *   would (1011), logged without a stack.
 * - A send that fails: the peer is gone (its reset arrived while an event was being written, the
 *   network dropped). graphql-ws would reject the operation's send and print "Internal error
 *   occurred during message handling"; here the socket is terminated instead, which ends its
 *   subscriptions, the send counts as done, and the log says so once.
 */
export function handleSocketFaults(socket: WebSocket, logger: Logger): void {
  socket.removeAllListeners('error');
  socket.on('error', (error: Error & { code?: string }) => {
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      logger.info({ limitBytes: MAX_BODY_BYTES }, 'WebSocket message over the size limit; socket closed (1009)');
      return;
    }
    logger.warn({ err: error.message }, 'WebSocket socket error; socket closed');
    socket.close(CloseCode.InternalServerError, 'Internal server error');
  });

  const send = socket.send.bind(socket) as Send;
  let peerGone = false;
  const sendOrDrop = (data: unknown, optionsOrCallback?: object | SendCallback, callback?: SendCallback) => {
    const done = typeof optionsOrCallback === 'function' ? optionsOrCallback : callback;
    const options = typeof optionsOrCallback === 'object' ? optionsOrCallback : {};
    send(data, options, (error) => {
      if (error && !peerGone) {
        peerGone = true;
        logger.info({ err: error.message }, 'WebSocket peer gone while an event was being sent; socket closed');
        socket.terminate();
      }
      done?.();
    });
  };
  socket.send = sendOrDrop as WebSocket['send'];
}
