import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy on loopback that forwards everything to `upstream` but lets response bodies through
 * at `bytesPerSecond` in total (shared by all connections), so a person can watch a sync progress.
 * The Host header is forwarded unchanged, so SigV4 signatures stay valid.
 */
export async function startThrottleProxy(upstream: string, bytesPerSecond: number): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const target = new URL(upstream);
  let linkFreeAt = 0;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const upstreamReq = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        // 'end' can come while the last chunk still waits for its turn: end after it is written.
        let written: Promise<void> = Promise.resolve();
        upstreamRes.on('data', (chunk: Buffer) => {
          upstreamRes.pause();
          const now = Date.now();
          linkFreeAt = Math.max(linkFreeAt, now) + (chunk.length / bytesPerSecond) * 1000;
          written = new Promise((resolve) =>
            setTimeout(() => {
              if (!res.destroyed) res.write(chunk);
              upstreamRes.resume();
              resolve();
            }, linkFreeAt - now),
          );
        });
        upstreamRes.on('end', () => void written.then(() => res.end()));
        upstreamRes.on('error', () => res.destroy());
      },
    );
    upstreamReq.on('error', () => res.destroy());
    res.on('close', () => upstreamReq.destroy());
    req.pipe(upstreamReq);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
