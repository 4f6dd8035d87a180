import type { ApiResult } from './api-bench.js';
import type { ToolResult } from './harness.js';
import { median } from './measure.js';
import { NODE_FLOOR, NODE_FLOOR_NO_SYNC } from './node-floor.js';
import { OURS_PER_FILE_SYNC, OURS_SECOND_RUN } from './our-sync.js';

export const PEERS = ['aws s3 sync', 'rclone copy'];
export const OURS = 'this service';
const isRaw = (tool: string) => tool.startsWith('raw');

export interface Target {
  name: string;
  verdict: 'PASS' | 'MISS' | 'N/A';
  detail: string;
}

const find = (results: ToolResult[], scenario: string, tool: string) =>
  results.find((r) => r.scenario === scenario && r.tool === tool && r.medianMs !== undefined);

function bestPeerMs(results: ToolResult[], scenario: string): number | undefined {
  const times = PEERS.map((p) => find(results, scenario, p)?.medianMs).filter((v): v is number => v !== undefined);
  return times.length ? Math.min(...times) : undefined;
}

function rawMs(results: ToolResult[], scenario: string): number | undefined {
  return results.find((r) => r.scenario === scenario && isRaw(r.tool) && r.medianMs !== undefined)?.medianMs;
}

/** Speed ratio: how many times faster `ms` is than `reference` (> 1: faster). */
const ratio = (reference: number | undefined, ms: number | undefined) => (reference && ms ? reference / ms : undefined);
const fixed = (v: number | undefined | null, digits = 2) => (v === undefined || v === null ? '–' : v.toFixed(digits));

export function ratios(results: ToolResult[], r: ToolResult) {
  return { vsBestPeer: ratio(bestPeerMs(results, r.scenario), r.medianMs), vsRaw: ratio(rawMs(results, r.scenario), r.medianMs) };
}

export function table(results: ToolResult[], titles: Map<string, string>): string {
  const header = ['scenario', 'tool', 'median s', 'MB/s', 'obj/s', 'GET', 'HEAD', 'LIST', 'peak RSS MB', 'CPU s (server)', 'commit ms (%)', '× best peer', '× raw'];
  const rows: string[][] = [];
  for (const r of results) {
    const title = titles.get(r.scenario) ?? r.scenario;
    if (r.skipped || r.medianMs === undefined) {
      rows.push([title, r.tool, `skipped: ${r.skipped ?? r.runs.find((x) => !x.ok)?.error ?? 'no successful run'}`.slice(0, 100)]);
      continue;
    }
    const { vsBestPeer, vsRaw } = ratios(results, r);
    const ckpt = r.checkpointMs === undefined ? '–' : `${r.checkpointMs.toFixed(0)} (${((100 * r.checkpointMs) / r.medianMs).toFixed(1)}%)`;
    rows.push([
      title,
      r.tool,
      fixed(r.medianMs / 1000, 3),
      fixed(r.mbPerSecond, 1),
      fixed(r.objectsPerSecond, 0),
      String(r.gets ?? '–'),
      String(r.heads ?? '–'),
      String(r.lists ?? '–'),
      r.peakRssKb ? (r.peakRssKb / 1024).toFixed(0) : '–',
      r.cpuMs === undefined ? '–' : `${fixed(r.cpuMs / 1000, 2)} (${fixed((r.serverCpuMs ?? Number.NaN) / 1000, 2)})`,
      ckpt,
      fixed(vsBestPeer),
      isRaw(r.tool) ? '1.00' : fixed(vsRaw),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.filter((row) => row.length > 3).map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.length <= 3 ? `| ${cells[0]!.padEnd(widths[0]!)} | ${cells[1]!.padEnd(widths[1]!)} | ${cells[2]}` : `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function verdict(name: string, value: number | undefined, pass: (v: number) => boolean, detail: (v: number) => string): Target {
  if (value === undefined || Number.isNaN(value)) return { name, verdict: 'N/A', detail: 'not measured' };
  return { name, verdict: pass(value) ? 'PASS' : 'MISS', detail: detail(value) };
}

export function targets(results: ToolResult[], api: ApiResult | undefined): Target[] {
  const ours = (scenario: string) => find(results, scenario, OURS);
  const out: Target[] = [];
  for (const scenario of ['large', 'huge']) {
    const o = ours(scenario);
    const vsRaw = ratio(rawMs(results, scenario), o?.medianMs);
    out.push(verdict(`${scenario}: ≥ 0.9× raw GET`, vsRaw, (v) => v >= 0.9, (v) => `${v.toFixed(2)}×`));
    const vsRclone = ratio(find(results, scenario, 'rclone copy')?.medianMs, o?.medianMs);
    out.push(verdict(`${scenario}: ≥ 1.2× rclone`, vsRclone, (v) => v >= 1.2, (v) => `${v.toFixed(2)}×`));
  }
  // Beyond the list, shown when measured: the same objects with the checksum S3 now keeps for each.
  for (const scenario of ['large-crc64', 'huge-crc64'].filter((id) => results.some((r) => r.scenario === id))) {
    const vsRclone = ratio(find(results, scenario, 'rclone copy')?.medianMs, ours(scenario)?.medianMs);
    out.push(verdict(`${scenario}: ≥ 1.2× rclone`, vsRclone, (v) => v >= 1.2, (v) => `${v.toFixed(2)}×`));
  }
  const small = ratio(find(results, 'small', 'rclone copy')?.medianMs, ours('small')?.medianMs);
  out.push(verdict('small: ≥ 1.5× rclone', small, (v) => v >= 1.5, (v) => `${v.toFixed(2)}×`));
  out.push(...cpuTargets(results));
  const noop = ours('noop');
  out.push(verdict('no-op rerun < 0.5 s', noop?.medianMs, (v) => v < 500, (v) => `${(v / 1000).toFixed(3)} s`));
  out.push(verdict('no-op rerun: zero GETs', noop?.gets, (v) => v === 0, (v) => `${v} GETs, ${noop?.heads ?? 0} HEADs`));
  const huge = ours('huge')?.peakRssKb ?? undefined;
  out.push(verdict('huge: peak RSS < 150 MB', huge, (v) => v < 150 * 1024, (v) => `${(v / 1024).toFixed(0)} MB`));
  for (const scenario of ['large', 'huge']) {
    const o = ours(scenario);
    if (!o?.medianMs || o.checkpointMs === undefined) {
      out.push(verdict(`${scenario}: checkpoints < 5% of sync time`, undefined, () => false, () => ''));
      continue;
    }
    const summed = (100 * o.checkpointMs) / o.medianMs;
    const medianMs = o.medianMs;
    const share = (key: string) => {
      const values = o.runs.filter((r) => r.ok).map((r) => r.engine?.[key]);
      return values.every((v) => v !== undefined) ? (100 * median(values as number[])) / medianMs : undefined;
    };
    // Judged on the wall time during which some object waited for its last checkpoint, when the
    // engine reports it (checkpoints overlap the downloads); the summed figures are shown beside it.
    const wait = share('checkpointWaitMs');
    const waitsSummed = share('checkpointWaitSummedMs');
    const detail = (v: number) =>
      wait === undefined
        ? `${v.toFixed(1)}% (summed durations)`
        : `run waited ${v.toFixed(1)}%` +
          (waitsSummed === undefined ? '' : `; objects' waits summed ${waitsSummed.toFixed(1)}%`) +
          `; durations summed over objects ${summed.toFixed(1)}%`;
    out.push(verdict(`${scenario}: checkpoints < 5% of sync time`, wait ?? summed, (v) => v < 5, detail));
  }
  out.push(verdict('API p99 < 20 ms idle', api?.idleP99, (v) => v < 20, (v) => `${v.toFixed(1)} ms (worst of GraphQL and REST)`));
  out.push(verdict('API p99 < 50 ms during a sync', api?.busyP99, (v) => v < 50, (v) => `${v.toFixed(1)} ms (worst of GraphQL and REST)`));
  return out;
}

/**
 * CPU per GB (large objects) and per 1,000 objects (small ones) of our process against rclone's on the
 * same data: whole processes, start-up included, as /usr/bin/time counts them. Our CPU during the run
 * alone (what a scheduled run costs a service that is already up) is shown beside it.
 */
function cpuTargets(results: ToolResult[]): Target[] {
  // Thousands of objects and GB (10^9 bytes) moved in the median run: rate × its seconds / 1,000.
  const thousands = (r: ToolResult) => (r.objectsPerSecond! * r.medianMs!) / 1000 / 1000;
  const gigabytes = (r: ToolResult) => (r.mbPerSecond! * r.medianMs!) / 1000 / 1000;
  const units = [
    { scenario: 'small', unit: 'per 1,000 objects', per: thousands },
    { scenario: 'large', unit: 'per GB', per: gigabytes },
    { scenario: 'huge', unit: 'per GB', per: gigabytes },
    // Beyond the list: shown only when measured.
    { scenario: 'large-crc64', unit: 'per GB', per: gigabytes, optional: true },
    { scenario: 'huge-crc64', unit: 'per GB', per: gigabytes, optional: true },
  ];
  return units.flatMap(({ scenario, unit, per, optional }) => {
    if (optional && !results.some((r) => r.scenario === scenario)) return [];
    const o = find(results, scenario, OURS);
    const rclone = find(results, scenario, 'rclone copy');
    const name = `${scenario}: CPU ${unit} ≤ rclone's`;
    if (!o?.cpuMs || !rclone?.cpuMs) return verdict(name, undefined, () => false, () => '');
    const seconds = (cpuMs: number, r: ToolResult) => cpuMs / 1000 / per(r);
    const ours = seconds(o.cpuMs, o);
    const theirs = seconds(rclone.cpuMs, rclone);
    const inRun = o.runCpuMs === undefined ? '' : `; during the run alone ${seconds(o.runCpuMs, o).toFixed(2)} s (${(seconds(o.runCpuMs, o) / theirs).toFixed(2)}×)`;
    const floor = [OURS_SECOND_RUN, OURS_PER_FILE_SYNC, NODE_FLOOR, NODE_FLOOR_NO_SYNC]
      .map((tool) => {
        const run = find(results, scenario, tool);
        const floorSeconds = run?.cpuMs ? seconds(run.cpuMs, run) : undefined;
        return floorSeconds === undefined ? '' : `; ${tool} ${floorSeconds.toFixed(2)} s (${(floorSeconds / theirs).toFixed(2)}×)`;
      })
      .join('');
    return verdict(name, ours / theirs, (v) => v <= 1, (v) => `ours ${ours.toFixed(2)} s, rclone ${theirs.toFixed(2)} s (${v.toFixed(2)}×)${inRun}${floor}`);
  });
}

export function targetLines(list: Target[]): string {
  return list.map((t) => `${t.verdict.padEnd(4)} ${t.name}: ${t.detail}`).join('\n');
}
