import dns from 'node:dns';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

/** Listens on 127.0.0.1 at a free port; `stop` ends open connections and closes the server, once. */
export async function listenOnLoopback(server: Server): Promise<{ port: number; stop: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
  return { port, stop };
}

/**
 * For the rest of the test file: `<anything>.localhost` resolves to 127.0.0.1, as RFC 6761 says it
 * is loopback (this sandbox's resolver does not know it), for virtual-hosted buckets on loopback.
 */
export function resolveLocalhostSubdomains(): void {
  const lookup = dns.lookup;
  beforeAll(() => {
    dns.lookup = ((host: string, ...rest: unknown[]) =>
      (lookup as (...args: unknown[]) => void).call(dns, host.endsWith('.localhost') ? '127.0.0.1' : host, ...rest)) as typeof dns.lookup;
  });
  afterAll(() => {
    dns.lookup = lookup;
  });
}
