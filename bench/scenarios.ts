import type { ObjectSet } from './seed.js';

export interface Scenario {
  id: string;
  title: string;
  set: ObjectSet;
  /** Measures a rerun over an already-synced destination (each tool syncs it once first, untimed). */
  noop: boolean;
  /** Latency added by a proxy in front of the server, 0 for none. */
  latencyMs: number;
  /** The server keeps and states a full-object CRC-64/NVME per object, as S3 does for every object uploaded since 2025. */
  statesChecksums?: boolean;
  runs: number;
  /** Requests the raw-GET baseline keeps in flight. */
  rawInflight: number;
  timeoutMs: number;
}

export interface Profile {
  name: 'full' | 'quick';
  sets: ObjectSet[];
  scenarios: Scenario[];
  /** Seconds autocannon runs per API measurement. */
  apiSeconds: number;
  apiRows: number;
}

const KB = 1024;
const MB = 1024 * 1024;

function profile(name: Profile['name'], scale: { small: number; large: [number, number]; huge: number; noop: number }): Profile {
  const runs = name === 'full' ? 3 : 1;
  const small: ObjectSet = { prefix: 'small/', count: scale.small, size: 4 * KB };
  const large: ObjectSet = { prefix: 'large/', count: scale.large[0], size: scale.large[1] };
  const huge: ObjectSet = { prefix: 'huge/', count: 1, size: scale.huge };
  const noop: ObjectSet = { prefix: 'noop/', count: scale.noop, size: 4 * KB };
  const mb = (n: number) => (n >= 1024 * MB ? `${n / (1024 * MB)} GB` : `${n / MB} MB`);
  return {
    name,
    sets: [small, large, huge, noop],
    apiSeconds: name === 'full' ? 5 : 2,
    apiRows: name === 'full' ? 100_000 : 20_000,
    scenarios: [
      { id: 'small', title: `${small.count} objects × 4 KB`, set: small, noop: false, latencyMs: 0, runs, rawInflight: 32, timeoutMs: 120_000 },
      { id: 'large', title: `${large.count} objects × ${mb(large.size)}`, set: large, noop: false, latencyMs: 0, runs, rawInflight: large.count, timeoutMs: 120_000 },
      { id: 'huge', title: `1 object × ${mb(huge.size)}`, set: huge, noop: false, latencyMs: 0, runs, rawInflight: 1, timeoutMs: 120_000 },
      // Not in the list: the same objects as S3 keeps them today, with a CRC-64/NVME each,
      // which the engine checks instead of the MD5 (a cheaper check: see "Checksums" in the README).
      { id: 'large-crc64', title: `${large.count} objects × ${mb(large.size)}, CRC64NVME kept`, set: large, noop: false, latencyMs: 0, statesChecksums: true, runs, rawInflight: large.count, timeoutMs: 120_000 },
      { id: 'huge-crc64', title: `1 object × ${mb(huge.size)}, CRC64NVME kept`, set: huge, noop: false, latencyMs: 0, statesChecksums: true, runs, rawInflight: 1, timeoutMs: 120_000 },
      { id: 'noop', title: `no-op rerun, ${noop.count} objects`, set: noop, noop: true, latencyMs: 0, runs, rawInflight: 32, timeoutMs: 180_000 },
      { id: 'latency', title: `1 object × ${mb(huge.size)}, +20 ms latency`, set: huge, noop: false, latencyMs: 20, runs, rawInflight: 1, timeoutMs: 180_000 },
      // Not in the list: small objects where each request waits on the network, as against a
      // real S3 region; here the objects in flight matter more than the CPU per object.
      { id: 'small-latency', title: `${small.count} objects × 4 KB, +20 ms latency`, set: small, noop: false, latencyMs: 20, runs, rawInflight: 32, timeoutMs: 180_000 },
    ],
  };
}

export const FULL = profile('full', { small: 2000, large: [5, 200 * MB], huge: 1024 * MB, noop: 10_000 });
export const QUICK = profile('quick', { small: 300, large: [3, 24 * MB], huge: 96 * MB, noop: 1000 });
