import { listenOnLoopback } from './loopback.js';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** The raw body text, exactly as received (what the signature covers). */
  body: string;
  /** The body parsed as JSON. */
  json: Record<string, unknown>;
  /** `Date.now()` when the request's body had arrived. */
  receivedAt: number;
}

/** How the receiver answers one request: an HTTP status, one with headers, or `hang` (never answers until stopped). */
export type Answer = number | { status: number; headers: Record<string, string> } | 'hang';

export interface WebhookReceiver extends AsyncDisposable {
  /** `http://127.0.0.1:<port>/hook` */
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** Requests being held by `hang` answers. */
  hanging: number;
  /** Answers for the next requests, in order; once used up, `fallback` answers. */
  answers: Answer[];
  fallback: Answer;
  stop(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1:0 that records every webhook POST and answers as told. */
export async function startWebhookReceiver(answers: Answer[] = [], fallback: Answer = 200): Promise<WebhookReceiver> {
  const held = new Set<ServerResponse>();
  const receiver = { received: [] as ReceivedWebhook[], answers: [...answers], fallback, hanging: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        // recorded as is; the test's assertions on `json` then fail
      }
      receiver.received.push({ headers: req.headers, body, json, receivedAt: Date.now() });
      const answer = receiver.answers.shift() ?? receiver.fallback;
      if (answer === 'hang') {
        held.add(res);
        receiver.hanging = held.size;
        res.on('close', () => {
          held.delete(res);
          receiver.hanging = held.size;
        });
        return;
      }
      const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(status < 300 ? 'ok' : 'no');
    });
  });
  const listening = await listenOnLoopback(server);
  const { port } = listening;
  const stop = async () => {
    for (const res of held) res.destroy();
    await listening.stop();
  };
  return Object.assign(receiver, { url: `http://127.0.0.1:${port}/hook`, port, stop, [Symbol.asyncDispose]: stop });
}
