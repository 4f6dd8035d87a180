import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/test-app.js';

const TOKEN = 'test-token-0123456789abcdef';
const MiB = 1 << 20;
const LIMIT = 64 * MiB;

/**
 * Sends `head`, then a chunked body of up to LIMIT bytes as fast as the server reads it. Resolves
 * with the response head and how many body bytes were written before the server closed the
 * connection (all of them when it read the whole body and kept the connection).
 */
function flood(port: number, head: string): Promise<{ response: string; sent: number }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let sent = 0;
    let response = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ response, sent });
    };
    socket.on('data', (d) => (response += String(d)));
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(head);
    const framed = Buffer.concat([Buffer.from(`${MiB.toString(16)}\r\n`), Buffer.alloc(MiB, 0x20), Buffer.from('\r\n')]);
    const pump = () => {
      while (!done && sent < LIMIT) {
        sent += MiB;
        if (!socket.write(framed)) return void socket.once('drain', pump);
      }
      // The whole body went through: the server read it. Ends once its answer is in.
      if (!done) socket.end('0\r\n\r\n', () => setTimeout(finish, 200));
    };
    pump();
  });
}

const post = (path: string, headers = '') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n${headers}\r\n`;

/**
 * A refused request used to keep its connection, so Node read and dropped its whole body however
 * large (an unauthenticated 4 GiB POST was read in full after its 401). A refusal of a request whose
 * body is still arriving now closes the connection.
 */
describe('a refused request does not read its body', () => {
  it.each([
    ['REST without a token: 401', post('/api/v1/scheduler/create_job'), 'HTTP/1.1 401'],
    ['GraphQL without a token: 401', post('/graphql'), 'HTTP/1.1 401'],
    ['an unknown path: 404', post('/api/v1/nowhere', `Authorization: Bearer ${TOKEN}\r\n`), 'HTTP/1.1 404'],
    ['a wrong media type: 415', post('/api/v1/scheduler/create_job', `Authorization: Bearer ${TOKEN}\r\n`).replace('application/json', 'text/plain'), 'HTTP/1.1 415'],
  ])('%s, and the connection closed', async (_name, head, status) => {
    await using app = await startTestApp({ env: { API_TOKEN: TOKEN } });
    const { response, sent } = await flood(Number(new URL(app.url).port), head);
    expect(response.split('\r\n')[0]).toMatch(new RegExp(`^${status}`));
    expect(response.toLowerCase()).toContain('connection: close');
    expect(sent, 'body bytes written before the server closed').toBeLessThan(LIMIT);
  });

  it('a refusal of a request without a body keeps the connection', async () => {
    await using app = await startTestApp({ env: { API_TOKEN: TOKEN } });
    const response = await fetch(`${app.url}/api/v1/scheduler/list_jobs`);
    expect(response.status).toBe(401);
    expect(response.headers.get('connection')).toBe('keep-alive');
  });
});
