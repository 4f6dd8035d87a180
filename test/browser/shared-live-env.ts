import { afterAll, afterEach, beforeAll } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startLiveEnv, type LiveEnv } from '../live/live-env.js';

export interface SharedLiveEnv extends LiveEnv {
  /** Between the app and s3rver; forwards untouched until a test sets its rule. */
  proxy: FaultProxy;
}

/**
 * The app and s3rver, a fault proxy between them, started once for a file's tests, not once per
 * test: each app loads the engine afresh on its engine thread at its first run. A test sets the
 * proxy rule it needs; after each test its jobs are deleted (a running sync is cancelled first) and
 * the rule is cleared, so the next test starts with no job and nothing in flight. Call in the
 * file's describe block: its hooks run only when the tests do (Chromium present).
 */
export function useSharedLiveEnv(appEnv: Record<string, string> = {}): () => SharedLiveEnv {
  let shared: SharedLiveEnv | undefined;
  beforeAll(async () => {
    let proxy: FaultProxy | undefined;
    const env = await startLiveEnv({
      env: appEnv,
      s3Endpoint: async (s3) => {
        proxy = await startFaultProxy(s3.endpoint, { bucket: s3.bucket });
        return proxy.endpoint;
      },
    });
    const stop = async () => {
      await env.stop();
      await proxy!.stop();
    };
    shared = { ...env, proxy: proxy!, stop, [Symbol.asyncDispose]: stop };
  });
  afterEach(async () => {
    if (!shared) return;
    for (const job of await shared.app.services.jobs.listAll()) await shared.app.services.jobs.delete(job.id);
    shared.proxy.setRule(undefined);
  });
  afterAll(async () => {
    await shared?.stop();
  });
  return () => shared!;
}
