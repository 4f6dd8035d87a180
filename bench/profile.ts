// `node --openssl-legacy-provider --import tsx bench/profile.ts [small|large|huge|noop] ['<tuning json>'] [--threads-only]`: seeds
// one scenario, runs our sync once under `node --cpu-prof` (compiled, as in the benchmark) and prints where the CPU went,
// by package and by function (self time). The .cpuprofile stays in the printed folder for Chrome DevTools.
// `--threads-only` skips the profiler (it samples wall time and slows the run) and prints only CPU per thread.
// PROFILE_NODE_FLAGS='--max-semi-space-size=4' adds node/V8 flags to the child; PROFILE_WRAP='perf stat -e task-clock --'
// starts the child under another command (perf record, strace -c…).
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildChildren, childCommand, SERVICE_ENV } from './build-children.js';
import type { OurSyncOptions, OurSyncStats } from './our-sync-child.js';
import { CHUNK_SIZE, CONCURRENCY } from './our-sync.js';
import { ensureMigratedDatabase, removeDatabaseTemplate } from './migrated-db.js';
import { BENCH_BUCKET, startS3Fixture } from './s3-fixture.js';
import { FULL } from './scenarios.js';
import { seedObjects } from './seed.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
}

const sourceMaps = new Map<string, SourceMap | null>();

/** Where a frame of the bundle came from (the source or package file), through the bundle's `.map` files. */
function originalPosition(frame: CallFrame): { url: string; lineNumber: number } {
  // A bundle run through the code cache (node:vm) is named by its path, an ES module by its URL.
  const path = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  if (!path.startsWith('/') || !/\.c?js$/.test(path)) return frame;
  let map = sourceMaps.get(frame.url);
  if (map === undefined) {
    const file = `${path}.map`;
    map = existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8')) as SourceMapPayload) : null;
    sourceMaps.set(frame.url, map);
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber);
  return entry && 'originalSource' in entry ? { url: entry.originalSource, lineNumber: entry.originalLine } : frame;
}

const id = process.argv[2] ?? 'small';
const threadsOnly = process.argv.includes('--threads-only');
/** Optional engine tuning as JSON, as `--tuning=` of bench/run.ts. */
const tuningArg = process.argv.slice(3).find((a) => !a.startsWith('--'));
const tuning = tuningArg ? (JSON.parse(tuningArg) as Record<string, number>) : undefined;
const scenario = FULL.scenarios.find((s) => s.id === id);
if (!scenario) throw new Error(`unknown scenario ${id}; one of ${FULL.scenarios.map((s) => s.id).join(', ')}`);
const root = await mkdtemp(join(tmpdir(), 'dss-profile-'));
const profiles = join(root, 'profiles');
const fixture = await (async () => {
  await seedObjects(join(root, 'server'), BENCH_BUCKET, scenario.set, 0);
  return startS3Fixture(join(root, 'server'));
})();
try {
  const build = await buildChildren();
  const run = async (label: string, job = jobId, dest = 'dest') => {
    const options: OurSyncOptions = {
      dbFile: join(root, 'bench.db'),
      downloadRoot: join(root, dest),
      endpoint: fixture.endpoint,
      bucket: BENCH_BUCKET,
      prefix: scenario.set.prefix,
      chunkSize: CHUNK_SIZE,
      concurrency: CONCURRENCY,
      jobId: job,
      statsFile: join(root, 'stats.json'),
      sampleThreads: true,
      tuning,
    };
    await ensureMigratedDatabase(options.dbFile);
    // Every start has the same flags (the code cache is kept per set of Node flags); only the last one's profile is kept.
    const profile = threadsOnly ? [] : ['--cpu-prof', `--cpu-prof-dir=${profiles}`];
    await rm(profiles, { recursive: true, force: true });
    await mkdir(profiles, { recursive: true });
    const words = (value: string | undefined) => (value ? value.split(' ') : []);
    const command = [...words(process.env.PROFILE_WRAP), process.execPath, ...words(process.env.PROFILE_NODE_FLAGS), ...profile, ...childCommand(build, 'our-sync-child'), JSON.stringify(options)];
    const result = spawnSync(command[0]!, command.slice(1), { stdio: 'inherit', env: SERVICE_ENV });
    const stats = JSON.parse(await readFile(options.statsFile, 'utf8')) as OurSyncStats;
    console.log(`${label}: exit ${result.status}, run ${stats.runMs.toFixed(0)} ms, CPU during the run ${JSON.stringify(stats.runCpuMs)} ms, ${JSON.stringify(stats.engine)}`);
    console.log(`  CPU by thread during the run (ms): ${JSON.stringify(stats.threadCpuMs)}`);
    console.log(`  peak RSS ${(stats.maxRssKb / 1024).toFixed(0)} MB (${(stats.baselineRssKb / 1024).toFixed(0)} MB before the run); memory at the peak (MB): ${JSON.stringify(stats.memoryAtPeak)}`);
    return stats;
  };
  const jobId = randomUUID();
  // The first start after a build compiles the bundle and writes its code cache; measured are later starts.
  // Its files stay until the end: unlinked now, they would slow the next run's file creations on a
  // file system without a journal (see KEEP_DESTINATIONS_FROM_FILES in harness.ts).
  await run('first start after the build (another job)', randomUUID(), 'dest-first');
  if (scenario.noop) await run('initial');
  const [windowStart, windowEnd] = (await run('profiled')).runWindowUs;

  // One .cpuprofile per thread: CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile, thread 0 is the main one.
  const files = (await readdir(profiles)).filter((f) => f.endsWith('.cpuprofile')).sort();
  for (const file of files) {
    const thread = Number(file.split('.')[4]);
    await summarise(join(profiles, file), thread === 0 ? 'main thread' : `worker thread ${thread}`, thread === 0 ? 30 : 8, [windowStart, windowEnd]);
  }
  console.log(`\nprofiles kept in ${profiles} (open them in Chrome DevTools); the rest of ${root} is removed`);
} finally {
  await removeDatabaseTemplate();
  await fixture.stop();
  await rm(join(root, 'server'), { recursive: true, force: true });
  await rm(join(root, 'dest'), { recursive: true, force: true });
  await rm(join(root, 'dest-first'), { recursive: true, force: true });
}

/** Self time of the samples taken during the run (start-up and the database open are left out). */
async function summarise(path: string, label: string, functions: number, [from, to]: number[]): Promise<void> {
  const data = JSON.parse(await readFile(path, 'utf8')) as { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };
  const msById = new Map<number, number>();
  let at = data.startTime;
  for (const [i, nodeId] of data.samples.entries()) {
    const delta = data.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= from! && at <= to!) msById.set(nodeId, (msById.get(nodeId) ?? 0) + delta / 1000);
  }
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  for (const node of data.nodes) {
    const ms = msById.get(node.id) ?? 0;
    if (!ms) continue;
    const { functionName } = node.callFrame;
    const { url, lineNumber } = originalPosition(node.callFrame);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/src/') ? 'src (ours)' : url.startsWith('node:') ? 'node core' : url ? 'other' : functionName);
    add(byPackage, pkg, ms);
    add(byFunction, `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|bench)\//, '$1/')}:${lineNumber + 1}`, ms);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, ms]) => `  ${ms.toFixed(0).padStart(6)} ms  ${k}`).join('\n');
  console.log(`\n${label}, self time during the run (${((to! - from!) / 1000).toFixed(0)} ms), by package:\n${top(byPackage, functions === 30 ? 15 : 5)}`);
  console.log(`${label}, by function:\n${top(byFunction, functions)}`);
}
