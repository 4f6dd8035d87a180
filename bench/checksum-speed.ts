// `npm run bench -- --only=checksums`: how fast each checksum the engine verifies runs on one core of
// this machine, through the engine's own digesters (verify/checksum.ts), in the order it prefers them.
import { randomFillSync } from 'node:crypto';
import { CHECKSUM_ALGORITHMS } from '../src/sync/verify/checksum.js';
import { createRunningChecksum } from '../src/sync/verify/hashers.js';
import { median } from './measure.js';

const PIECE = randomFillSync(Buffer.alloc(256 * 1024));
const BYTES = 512 * 2 ** 20;

export async function runChecksumSpeed(log: (line: string) => void): Promise<void> {
  log(`\nchecksums: MB/s on one core, ${BYTES / 2 ** 20} MB in ${PIECE.length / 1024} KB pieces, median of 3, in the engine's order of preference`);
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const rates: number[] = [];
    for (let round = 0; round < 4; round++) {
      const checksum = (await createRunningChecksum(algorithm))!;
      const started = performance.now();
      for (let fed = 0; fed < BYTES; fed += PIECE.length) checksum.update(PIECE);
      checksum.digest();
      // Round 0 warms the code up.
      if (round > 0) rates.push(BYTES / 1e6 / ((performance.now() - started) / 1000));
    }
    log(`  ${algorithm.padEnd(10)} ${median(rates).toFixed(0).padStart(6)} MB/s`);
  }
}
