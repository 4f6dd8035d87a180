// `npm run bench` / `npm run bench:quick`: see the Benchmarks section of the README.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runApiBench, type ApiResult } from './api-bench.js';
import { buildChildren } from './build-children.js';
import { runScenario, type ToolResult } from './harness.js';
import { median } from './measure.js';
import { awsCli, rclone } from './peers.js';
import { ourSync, CHUNK_SIZE, CONCURRENCY } from './our-sync.js';
import { nodeFloor } from './node-floor.js';
import { rawGet } from './raw-get.js';
import { ratios, table, targetLines, targets } from './report.js';
import { BENCH_BUCKET, startS3Fixture, type S3Fixture } from './s3-fixture.js';
import { FULL, QUICK } from './scenarios.js';
import { runHugeListing } from './huge-listing.js';
import { runInstancesBench } from './instances.js';
import { runChecksumSpeed } from './checksum-speed.js';
import { seedObjects, shardPrefix } from './seed.js';
import { removeDatabaseTemplate } from './migrated-db.js';

const args = process.argv.slice(2);
const profile = args.includes('--quick') ? QUICK : FULL;
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const skipApi = args.includes('--no-api');
/** `--no-peers`: only this service and the raw-GET baseline (no aws, rclone or Node floor), for quicker tuning rounds. */
const skipPeers = args.includes('--no-peers');
const numberArg = (name: string) => {
  const value = args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  return value === undefined ? undefined : Number(value);
};
/** `--chunk-mib=16 --concurrency=4`: try other settings than the defaults (8 MiB, 8). */
const chunkSize = (numberArg('chunk-mib') ?? CHUNK_SIZE / 2 ** 20) * 2 ** 20;
const concurrency = numberArg('concurrency') ?? CONCURRENCY;
/** `--tuning='{"getSpanBytes":8388608}'`: the engine's SyncTuning (src/sync/transfer/sync-tuning.ts), to explore its knobs. */
const tuningArg = args.find((a) => a.startsWith('--tuning='))?.slice('--tuning='.length);
const tuning = tuningArg ? (JSON.parse(tuningArg) as Record<string, number>) : undefined;
/** `--runs=7`: runs per tool and scenario (3 in the full profile, 1 in the quick one); the median is reported. */
const runs = numberArg('runs');
const scenarios = profile.scenarios.filter((s) => !only || only.includes(s.id)).map((s) => (runs ? { ...s, runs } : s));
const log = (line: string) => console.log(line);
const started = Date.now();

// A scenario of its own: N generated keys on the synthetic S3 server, nothing seeded on disk.
if (only?.includes('huge-listing')) {
  await runHugeListing(args, log);
  if (only.length === 1) process.exit(0);
}
// The checksums' speed on one core, nothing else running.
if (only?.includes('checksums')) {
  await runChecksumSpeed(log);
  if (only.length === 1) process.exit(0);
}
// Several instances on a throwaway PostgreSQL + Redis sharing one run.
if (only?.includes('instances')) {
  await runInstancesBench(args, log);
  if (only.length === 1) process.exit(0);
}

const seedBytes = profile.sets.reduce((sum, set) => sum + set.count * (set.size + 4096), 0);
const largest = Math.max(...profile.sets.map((set) => set.count * set.size));
const needed = seedBytes + 2 * largest + (skipApi ? 0 : seedBytes);
const disk = await statfs(tmpdir());
if (disk.bavail * disk.bsize < needed * 1.1) {
  console.error(`not enough free disk under ${tmpdir()}: need ~${(needed / 1e9).toFixed(1)} GB`);
  process.exit(1);
}

const root = await mkdtemp(join(tmpdir(), 'dss-bench-'));
let fixture: S3Fixture | undefined;
const cleanup = async () => {
  await fixture?.stop();
  await removeDatabaseTemplate();
  await rm(root, { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  const loadAtStart = loadavg();
  const git = (cmd: string[]) => spawnSync('git', cmd, { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).stdout?.trim() ?? '';
  const revision = { commit: git(['rev-parse', '--short', 'HEAD']), srcChanged: git(['status', '--porcelain', 'src']).split('\n').filter(Boolean) };
  log(`measuring src/ at ${revision.commit}${revision.srcChanged.length ? ` plus uncommitted changes: ${revision.srcChanged.join(', ')}` : ''}`);
  log(`bench (${profile.name}) in ${root}; ${cpus().length} CPUs, node ${process.version}, load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
  const seedStart = performance.now();
  for (const [i, set] of profile.sets.entries()) await seedObjects(join(root, 'server'), BENCH_BUCKET, set, i * 100_000);
  log(`seeded ${(seedBytes / 1e9).toFixed(2)} GB in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  await mkdir(join(root, 'server'), { recursive: true });
  fixture = await startS3Fixture(join(root, 'server'));

  const build = await buildChildren();
  log(build ? 'our code compiled to JS for the run (as npm start runs it)' : 'our code runs through tsx');
  const tools = [ourSync(build, chunkSize, concurrency, tuning), ...(skipPeers ? [] : [awsCli, rclone])];
  if (tuning) log(`engine tuning: ${JSON.stringify(tuning)}`);
  const available = await Promise.all(tools.map(async (tool) => ({ tool, skipped: await tool.unavailable() })));
  for (const { tool, skipped } of available) if (skipped) log(`skipping ${tool.name}: ${skipped}`);

  const results: ToolResult[] = [];
  for (const scenario of scenarios) {
    log(`\n${scenario.title} (${scenario.runs} run${scenario.runs > 1 ? 's' : ''})`);
    const raw = { tool: rawGet(scenario.noop), skipped: null };
    // The floor is about CPU on this machine: the scenarios without a proxy, where there are bytes to
    // write; it checks the MD5, so not where the server states a faster checksum.
    // Beside it, the same without fdatasync: what durability costs, which the peers do not pay.
    const floorRuns = skipPeers || scenario.noop || scenario.latencyMs || scenario.statesChecksums;
    const floor = floorRuns ? [] : [true, false].map((durable) => ({ tool: nodeFloor(build, concurrency, durable), skipped: null }));
    // Where files are many, ours again with each small file fdatasync'ed: what the group sync saves.
    const perFileSync = floorRuns || scenario.set.count < 1000 ? [] : [{ tool: ourSync(build, chunkSize, concurrency, tuning, 'file'), skipped: null }];
    // Ours again on a run after another in one process: what a running service's scheduled run costs,
    // without the process's start-up and the hash workers'. Where files are many, the run before it
    // takes one shard of them (a twentieth): thousands of files to delete after it would slow the next
    // tool's file creations on this VM.
    const warmUpPrefix = scenario.set.count >= 1000 ? shardPrefix(scenario.set, 0) : undefined;
    const laterRun = scenario.noop || scenario.latencyMs || scenario.statesChecksums ? [] : [{ tool: ourSync(build, chunkSize, concurrency, tuning, { warmUpPrefix }), skipped: null }];
    results.push(...(await runScenario(scenario, [...available, ...perFileSync, ...laterRun, ...floor, raw], fixture, root, log)));
  }

  let api: ApiResult | undefined;
  if (!skipApi && (!only || only.includes('api'))) {
    log('\nAPI benchmark');
    api = await runApiBench({ root, fixture, rows: profile.apiRows, seconds: profile.apiSeconds, build, log }).catch((err: unknown) => {
      log(`  API benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
  }

  const titles = new Map(profile.scenarios.map((s) => [s.id, s.title]));
  const verdicts = targets(results, api);
  log(`\nResults (${profile.name}; median of ${profile.name === 'full' ? 3 : 1} run(s); chunk ${chunkSize / 2 ** 20} MiB, concurrency ${concurrency})`);
  if (results.length) {
    log(table(results, titles));
    log('× best peer / × raw: speed relative to the fastest of aws and rclone / to the raw-GET baseline (> 1 = faster).');
    log('commit ms: chunk checkpoints (fdatasync + row commit), small files\' file system syncs (or fdatasyncs) and batched row commits, summed over objects in flight.');
    for (const tool of [...tools, ourSync(build, chunkSize, concurrency, tuning, {}), nodeFloor(build, concurrency), nodeFloor(build, concurrency, false), rawGet(false)]) log(`  ${tool.name}: time = ${tool.timing}`);
  }
  const ours = results.filter((r) => r.tool === 'this service' && r.processWallMs !== undefined);
  if (ours.length) log(`  this service, process spawn to exit: ${ours.map((r) => `${r.scenario} ${(r.processWallMs! / 1000).toFixed(2)} s`).join(', ')}`);
  const listing = ours.map((r) => ({ scenario: r.scenario, ms: median(r.runs.filter((x) => x.ok).map((x) => x.engine?.listMs ?? 0)) }));
  if (listing.length) log(`  this service, time waiting for listings: ${listing.map((l) => `${l.scenario} ${(l.ms / 1000).toFixed(2)} s`).join(', ')}`);
  if (api) {
    log(`\nAPI (${api.rows} rows, ${api.connections} connection, ${api.seconds} s each): deep page (offset ${Math.floor(api.rows * 0.9)})`);
    for (const m of api.measurements) {
      const loop = m.loopDelay ? `  event-loop delay p99 ${m.loopDelay.p99} ms, max ${m.loopDelay.max} ms` : '';
      log(`  ${m.route.padEnd(7)} ${m.phase.padEnd(11)} p50 ${m.p50} ms  p99 ${m.p99} ms  max ${m.max} ms  ${m.requestsPerSecond.toFixed(0)} req/s  non-2xx ${m.non2xx}${loop}`);
    }
    for (const note of api.notes) log(`  note: ${note}`);
  }
  log(`\nTargets (reported, not asserted)\n${targetLines(verdicts)}`);
  const loadAtEnd = loadavg();
  log(`\ntook ${((Date.now() - started) / 1000).toFixed(0)} s; load average ${loadAtEnd.map((l) => l.toFixed(2)).join(' ')} (the benchmark alone keeps about 2 processes runnable; well above the CPU count, other work shared the CPUs and the figures are noisy)`);

  const resultsDir = new URL('./results/', import.meta.url);
  await mkdir(resultsDir, { recursive: true });
  const json = {
    profile: profile.name,
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadAtStart, loadAtEnd },
    settings: { chunkSize, concurrency, tuning },
    revision,
    scenarios: profile.scenarios.filter((s) => scenarios.includes(s)).map((s) => ({ ...s, timeoutMs: undefined })),
    results: results.map((r) => ({ ...r, ...ratios(results, r) })),
    api,
    targets: verdicts,
    tookSeconds: (Date.now() - started) / 1000,
  };
  await writeFile(new URL('latest.json', resultsDir), `${JSON.stringify(json, null, 2)}\n`);
  log('wrote bench/results/latest.json');
} finally {
  await cleanup();
}
