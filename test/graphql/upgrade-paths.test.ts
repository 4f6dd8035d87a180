import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startGraphqlApp, TOKEN } from './graphql-env.js';

/** A WebSocket upgrade as curl sends it (the README's repro), on a raw socket. */
const upgradeRequest = (path: string) =>
  [
    `GET ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Protocol: graphql-transport-ws',
    '',
    '',
  ].join('\r\n');

/** Everything the server sends until it closes the connection. */
function answerUntilClosed(url: string, path: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(upgradeRequest(path)));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (received += text));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

/** The status line of the server's answer, then the socket is closed by the client. */
function statusLine(url: string, path: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(upgradeRequest(path)));
    socket.setEncoding('utf8');
    socket.once('data', (text: string) => {
      socket.destroy();
      resolve(text.split('\r\n')[0]!);
    });
    socket.on('error', reject);
  });
}

function parse(answer: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n', 2);
  const [status, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status, headers, body };
}

describe('WebSocket upgrades on other paths than /graphql', () => {
  it.each<Record<string, string>>([{}, { API_TOKEN: TOKEN }])('are answered 404 with a JSON message, then closed; /graphql still upgrades (env %j)', async (env) => {
    await using api = await startGraphqlApp(env);
    for (const path of ['/nope', '/api/v1/jobs', '/graphql/extra']) {
      const { status, headers, body } = parse(await answerUntilClosed(api.app.url, path));
      expect({ path, status, contentType: headers['content-type'] }).toEqual({ path, status: 'HTTP/1.1 404 Not Found', contentType: 'application/json' });
      expect(JSON.parse(body)).toEqual({ message: 'WebSocket subscriptions are served on /graphql' });
    }
    // Unauthenticated too: the token is checked on the socket's connection_init (4401), as before.
    expect(await statusLine(api.app.url, '/graphql')).toBe('HTTP/1.1 101 Switching Protocols');
    expect(await statusLine(api.app.url, '/graphql?from=test')).toBe('HTTP/1.1 101 Switching Protocols');
  });
});
