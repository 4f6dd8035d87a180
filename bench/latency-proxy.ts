// TCP proxy adding latency the way toxiproxy's `latency` toxic does: every chunk coming back from the
// server is held `delayMs` before it is passed on (order kept, chunks pipelined), so each request's first
// byte arrives `delayMs` later. Upstream reads pause while more than `maxQueuedBytes` wait, bounding memory.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface LatencyProxy {
  endpoint: string;
  stop(): Promise<void>;
}

function delayed(from: Socket, to: Socket, delayMs: number, maxQueuedBytes: number): void {
  const queue: { at: number; data: Buffer }[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length && queue[0]!.at <= now) {
      const { data } = queue.shift()!;
      queued -= data.length;
      to.write(data);
    }
    if (queued <= maxQueuedBytes / 2 && from.isPaused()) from.resume();
    if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0]!.at - now));
    else if (ended) to.end();
  };
  from.on('data', (data: Buffer) => {
    queue.push({ at: performance.now() + delayMs, data });
    queued += data.length;
    if (queued > maxQueuedBytes) from.pause();
    timer ??= setTimeout(flush, delayMs);
  });
  from.on('end', () => {
    ended = true;
    if (!queue.length && !timer) to.end();
  });
}

export async function startLatencyProxy(targetPort: number, delayMs: number, maxQueuedBytes = 16 * 1024 * 1024): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    delayed(upstream, client, delayMs, maxQueuedBytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
