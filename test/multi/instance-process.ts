import { spawn, type ChildProcess } from 'node:child_process';
import { serviceEntry } from '../helpers/service-bundle.js';

export interface InstanceProcess {
  url: string;
  child: ChildProcess;
  /** What it wrote so far (its last megabyte or so of stdout, then stderr). */
  output(): string;
  /** SIGTERM and wait for the exit (graceful stop). */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit. */
  kill9(): Promise<void>;
}

/** One instance started as `npm start` starts it (the built main.js, configuration from the environment), on a free port. */
export async function startInstance(env: Record<string, string>): Promise<InstanceProcess> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', serviceEntry('main')], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = /"port":(\d+)[^\n]*"msg":"listening"/.exec(stdout);
      if (match) resolve(Number(match[1]));
      if (stdout.length > 1_000_000) stdout = stdout.slice(-10_000);
    });
    void exited.then(() => reject(new Error(`instance exited before listening: ${stderr}${stdout.slice(-2000)}`)));
  });
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => stdout + stderr,
    async stop() {
      if (!ended()) child.kill('SIGTERM');
      await exited;
    },
    async kill9() {
      if (!ended()) child.kill('SIGKILL');
      await exited;
    },
  };
}
