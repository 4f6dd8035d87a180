import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The one command that installs what the PostgreSQL/Redis test pass needs. */
export const INSTALL_HINT = 'apt-get install -y postgresql redis-server';

/** Debian keeps the PostgreSQL server binaries out of PATH, under /usr/lib/postgresql/<major>/bin. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  const dir = majors.map((m) => join(root, m, 'bin')).find((bin) => existsSync(join(bin, 'initdb')));
  return dir ?? null;
}

export function findRedisServer(): string | null {
  return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p)) ?? null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

function ownedByServerUser(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  chownSync(dir, uid, gid);
}

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface ThrowawayServer {
  url: string;
  /** The server's process id, when known. */
  pid(): number | null;
  stop(): Promise<void>;
}

/** The postmaster's pid from its data directory (first line of postmaster.pid), or null. */
function postmasterPid(data: string): number | null {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export interface ThrowawayPostgres extends ThrowawayServer {
  /** Stops the server (fast shutdown: clients are cut off) and starts it again on the same data directory and port. */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  /** The postmaster's process id (its backends are its children), or null when it is not running. */
  pid(): number | null;
}

const TMPFS_MAGIC = 0x01021994;
const MEMORY_FOR_DATA = 8 * 2 ** 30;

/**
 * Where a throwaway PostgreSQL keeps its data: in memory (/dev/shm) when that has room, else the
 * temp folder. The PostgreSQL pass creates a database per test app, gigabytes by its end: on disk,
 * creating them and removing the folder in the last step of the run cost more than the room in
 * memory does (README, "Tests").
 */
function dataParent(): string {
  try {
    const shm = statfsSync('/dev/shm');
    if (shm.type === TMPFS_MAGIC && shm.bavail * shm.bsize >= MEMORY_FOR_DATA) return '/dev/shm';
  } catch {
    // No /dev/shm here.
  }
  return tmpdir();
}

/**
 * A PostgreSQL server for tests only: a temp data directory, loopback, a free port, no durability
 * (fsync off: a crash of the test machine loses nothing we keep). The superuser `postgres` trusts
 * local connections, so the URL carries no password.
 */
export async function startThrowawayPostgres(bin: string): Promise<ThrowawayPostgres> {
  const dir = mkdtempSync(join(dataParent(), 'dss-pg-'));
  ownedByServerUser(dir);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = asServerUser(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  execFileSync(initCmd, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '500',
    shared_buffers: '64MB',
  };
  const args = ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const [readyCmd, readyArgs] = [join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres']];

  async function launch(): Promise<ChildProcess> {
    const [cmd, cmdArgs] = asServerUser(join(bin, 'postgres'), args);
    const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitUntil(() => {
        if (child.exitCode !== null) throw new Error(`postgres exited: ${stderr.slice(-2000)}`);
        try {
          execFileSync(readyCmd, readyArgs, { stdio: 'ignore' });
          return true;
        } catch {
          return false;
        }
      }, 'the throwaway PostgreSQL');
    } catch (error) {
      await stopChild(child, 'SIGQUIT');
      throw error;
    }
    return child;
  }

  // Fast shutdown (disconnects clients, no checkpoint wait), sent to the postmaster itself:
  // runuser, the child when the tests run as root, does not pass SIGINT on, and would wait forever.
  async function shutDown(child: ChildProcess): Promise<void> {
    const postmaster = postmasterPid(data);
    const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    const signal = (name: NodeJS.Signals) => {
      try {
        if (postmaster) process.kill(postmaster, name);
        else child.kill(name);
      } catch {
        // already gone
      }
    };
    signal('SIGINT');
    const timer = setTimeout(() => signal('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  let child: ChildProcess;
  try {
    child = await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    pid: () => postmasterPid(data),
    async restart(whileDown) {
      await shutDown(child);
      await whileDown?.();
      child = await launch();
    },
    async stop() {
      await shutDown(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis server for tests only: loopback, a free port, no persistence. */
export async function startThrowawayRedis(binary: string): Promise<ThrowawayServer> {
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await waitUntil(async () => {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output.slice(-2000)}`);
    return new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }, 'the throwaway Redis');
  return { url: `redis://127.0.0.1:${port}`, pid: () => child.pid ?? null, stop: () => stopChild(child, 'SIGTERM') };
}
