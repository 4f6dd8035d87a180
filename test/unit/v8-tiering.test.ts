import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { tieringFlags } from '../../src/config/v8-tiering.js';

describe('V8 tiering flags', () => {
  test('each V8 version gets its own flag name; an unknown version gets none', () => {
    expect(tieringFlags('11.3.244.8-node.38')).toEqual(['--interrupt-budget=1013760']);
    expect(tieringFlags('12.4.254.21-node.57')).toEqual(['--invocation-count-for-turbofan=45000']);
    expect(tieringFlags('13.6.233.17-node.63')).toEqual(['--invocation-count-for-turbofan=45000']);
    expect(tieringFlags('14.1.0')).toEqual([]);
    expect(tieringFlags('10.2.154.26-node.26')).toEqual([]);
  });

  test("this Node's V8 knows every flag chosen for it and takes them without a word", () => {
    const flags = tieringFlags(process.versions.v8);
    const known = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    for (const flag of flags) expect(known).toContain(`  ${flag.split('=')[0]} (`);
    // Set as the entry points set them: V8 reports an unknown flag on stderr.
    const set = spawnSync(process.execPath, ['-e', `for (const f of ${JSON.stringify(flags)}) require('node:v8').setFlagsFromString(f)`], { encoding: 'utf8' });
    expect(set.status).toBe(0);
    expect(set.stderr).toBe('');
  });
});
