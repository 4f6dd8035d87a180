import { mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { startLatencyProxy, type LatencyProxy } from './latency-proxy.js';
import { median } from './measure.js';
import { BENCH_BUCKET, type RequestCounts, type S3Fixture } from './s3-fixture.js';
import type { Scenario } from './scenarios.js';
import type { RunTarget, Tool, ToolRun } from './tool.js';

export interface RunRecord extends ToolRun {
  counts: RequestCounts;
  /** Files and bytes found at the destination afterwards (`.partial` files excluded). */
  files: number;
  bytes: number;
}

export interface ToolResult {
  tool: string;
  scenario: string;
  timing: string;
  skipped?: string;
  runs: RunRecord[];
  /** The untimed first sync of a no-op scenario. */
  initial?: RunRecord;
  medianMs?: number;
  mbPerSecond?: number;
  objectsPerSecond?: number;
  gets?: number;
  heads?: number;
  lists?: number;
  peakRssKb?: number | null;
  /** Median CPU time of the tool's process, and of the S3 server while it ran. */
  cpuMs?: number;
  serverCpuMs?: number;
  /** Our sync only: median CPU time of the child during the run itself (start-up left out). */
  runCpuMs?: number;
  checkpointMs?: number;
  processWallMs?: number;
}

/** Files (`.partial` ones left out) and their bytes under `dir`: what a tool left at its destination. */
export async function tree(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.endsWith('.partial')) continue;
    files += 1;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

async function fresh(...dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  }
}

/**
 * Writes and unlinks `bytes` of scratch data beside `dir`, so the tool about to run gets page-cache
 * pages that were just in use. On this class of VM, memory the guest freed more than ~2 s earlier is
 * handed back to the host, and touching it again costs ~2 s of system CPU per GB (measured with a
 * plain write loop). Without this, whichever tool runs first after a pause pays that, and the others
 * reuse the pages the previous tool's deleted output freed: a bias by position in the rotation.
 */
async function warmPageCache(dir: string, bytes: number): Promise<void> {
  const path = join(dir, '..', 'page-cache-warmer');
  const file = await open(path, 'w');
  try {
    const block = Buffer.alloc(Math.min(bytes, 8 * 2 ** 20), 1);
    for (let at = 0; at < bytes; at += block.length) await file.write(block, 0, Math.min(block.length, bytes - at), at);
  } finally {
    await file.close();
    await unlink(path);
  }
}

async function measuredRun(tool: Tool, target: RunTarget, fixture: S3Fixture, verify: boolean, warmBytes = 0): Promise<RunRecord> {
  if (warmBytes > 0) await warmPageCache(target.dest, warmBytes);
  await fixture.counts(true);
  const run = await tool.run(target);
  const served = await fixture.counts(true);
  // A share that is not whole (a later run after a smaller one) scales the counts by objects: a tenth
  // is precision enough for the requests per object, while the LISTs it scales stay approximate.
  const share = run.runsServed ?? 1;
  const perRun = (n: number) => Math.round((10 * n) / share) / 10;
  const counts = { get: perRun(served.get), list: perRun(served.list), head: perRun(served.head), other: perRun(served.other), cpuMs: served.cpuMs / share };
  const found = verify ? await tree(target.dest) : { files: 0, bytes: 0 };
  return { ...run, counts, ...found };
}

function summarise(result: ToolResult, scenario: Scenario): void {
  const ok = result.runs.filter((r) => r.ok);
  if (!ok.length) return;
  const ms = median(ok.map((r) => r.wallMs));
  const bytes = scenario.set.count * scenario.set.size;
  result.medianMs = ms;
  result.mbPerSecond = scenario.noop ? undefined : bytes / 1e6 / (ms / 1000);
  result.objectsPerSecond = scenario.set.count / (ms / 1000);
  result.gets = median(ok.map((r) => r.counts.get));
  result.heads = median(ok.map((r) => r.counts.head));
  result.lists = median(ok.map((r) => r.counts.list));
  const rss = ok.map((r) => r.maxRssKb).filter((v): v is number => v !== null);
  result.peakRssKb = rss.length ? Math.max(...rss) : null;
  const cpu = ok.map((r) => r.cpuMs).filter((v): v is number => v !== null);
  if (cpu.length) result.cpuMs = median(cpu);
  const runCpu = ok.map((r) => r.runCpuMs).filter((v): v is number => v !== undefined);
  if (runCpu.length) result.runCpuMs = median(runCpu);
  result.serverCpuMs = median(ok.map((r) => r.counts.cpuMs));
  const checkpoints = ok.map((r) => r.checkpointMs).filter((v): v is number => v !== undefined);
  if (checkpoints.length) result.checkpointMs = median(checkpoints);
  const process = ok.map((r) => r.processWallMs).filter((v): v is number => v !== undefined);
  if (process.length) result.processWallMs = median(process);
}

/**
 * Scenarios with at least this many files keep every run's destination until the benchmark ends.
 * This VM's ext4 has no journal, and without one the kernel skips, at every file it creates, the
 * inodes deleted in the last 60 s (360 s while their table block is dirty): after the previous
 * tool's 2,000 files were unlinked, each new file scanned past them under the group's lock, and
 * `perf` put ~45% of a small-object run's samples there (`recently_deleted`, `find_get_block`, the
 * lock's spinning), in every tool, by how recently and how close by files had been deleted. Real
 * destinations do not lose thousands of files a few seconds before each sync.
 */
const KEEP_DESTINATIONS_FROM_FILES = 1000;

/** Runs every tool on one scenario, round-robin (run 1 of each tool, then run 2 …) so drift hits all alike. */
export async function runScenario(
  scenario: Scenario,
  tools: { tool: Tool; skipped: string | null }[],
  fixture: S3Fixture,
  root: string,
  log: (line: string) => void,
): Promise<ToolResult[]> {
  let proxy: LatencyProxy | undefined;
  if (scenario.latencyMs) proxy = await startLatencyProxy(fixture.port, scenario.latencyMs);
  if (scenario.statesChecksums) await fixture.statesChecksums(true);
  const endpoint = proxy?.endpoint ?? fixture.endpoint;
  const expected = { files: scenario.set.count, bytes: scenario.set.count * scenario.set.size };
  const results = tools.map(({ tool, skipped }): ToolResult => ({
    tool: tool.name,
    scenario: scenario.id,
    timing: tool.timing,
    runs: [],
    ...(skipped ? { skipped } : {}),
  }));
  const targets = tools.map(({ tool }, i): RunTarget => {
    const base = join(root, 'runs', `${scenario.id}-${i}-${tool.name.replace(/\W+/g, '-')}`);
    return { endpoint, bucket: BENCH_BUCKET, prefix: scenario.set.prefix, dest: join(base, 'dest'), workDir: join(base, 'work'), inflight: scenario.rawInflight, timeoutMs: scenario.timeoutMs };
  });
  const writes = (tool: Tool) => !tool.name.startsWith('raw');
  // Kept destinations are removed with the benchmark's folder, once every scenario has run.
  const keep = scenario.set.count >= KEEP_DESTINATIONS_FROM_FILES;
  const runTarget = (i: number, n: number): RunTarget =>
    keep && !scenario.noop ? { ...targets[i]!, dest: join(targets[i]!.dest, '..', `dest-${n + 1}`) } : targets[i]!;
  try {
    if (scenario.noop) {
      for (const [i, { tool }] of tools.entries()) {
        const result = results[i]!;
        if (result.skipped || !writes(tool)) continue;
        await fresh(targets[i]!.dest, targets[i]!.workDir);
        result.initial = await measuredRun(tool, targets[i]!, fixture, true);
        log(`  ${tool.name}: initial sync ${(result.initial.wallMs / 1000).toFixed(2)} s${result.initial.ok ? '' : ` FAILED ${result.initial.error}`}`);
        if (!result.initial.ok) result.skipped = `initial sync failed: ${result.initial.error}`;
      }
    }
    // An untimed pass of the raw-GET baseline first: the server then serves round 1 as warm as the
    // others, where the tool first in the rotation (this service) used to pay its first touch of the
    // scenario's objects (~1 s more server CPU on 2000 × 4 KB).
    const warmer = tools.findIndex(({ tool, skipped }) => !writes(tool) && !skipped);
    if (!scenario.noop && warmer >= 0) await tools[warmer]!.tool.run(targets[warmer]!);
    for (let n = 0; n < scenario.runs; n += 1) {
      for (const [i, { tool }] of tools.entries()) {
        const result = results[i]!;
        if (result.skipped) continue;
        const target = runTarget(i, n);
        if (!scenario.noop) await fresh(target.dest, target.workDir);
        else await mkdir(target.workDir, { recursive: true });
        const record = await measuredRun(tool, target, fixture, writes(tool), scenario.noop ? 0 : expected.bytes);
        if (record.ok && writes(tool) && (record.files !== expected.files || record.bytes !== expected.bytes)) {
          record.ok = false;
          record.error = `destination holds ${record.files} files / ${record.bytes} bytes, expected ${expected.files} / ${expected.bytes}`;
        }
        result.runs.push(record);
        // Unlinked at once, a tool's dirty pages are dropped instead of being written back during the next tool's run.
        if (!scenario.noop && !keep) await rm(target.dest, { recursive: true, force: true });
        const c = record.counts;
        const cpu = record.cpuMs === null ? '' : `, CPU ${(record.cpuMs / 1000).toFixed(2)} s (server ${(c.cpuMs / 1000).toFixed(2)} s)`;
        log(`  ${tool.name} run ${n + 1}: ${(record.wallMs / 1000).toFixed(3)} s, GET ${c.get} HEAD ${c.head} LIST ${c.list}${cpu}${record.ok ? '' : ` FAILED ${record.error}`}`);
      }
    }
  } finally {
    if (scenario.statesChecksums) await fixture.statesChecksums(false);
    await proxy?.stop();
    if (!keep) for (const target of targets) await rm(join(target.dest, '..'), { recursive: true, force: true });
  }
  for (const result of results) summarise(result, scenario);
  return results;
}
