import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { S3RVER_CREDENTIALS, S3RVER_REGION } from '../helpers/s3-server.js';
import { startSdkVerifier } from '../helpers/sdk-sig-verifier.js';
import { startSyncFixture } from './sync-fixture.js';

const PREFIX = "p +%2F=&?#;~*'(!,@:$ é📦日/";
const LEAVES = ['a b', 'a+b', 'a%b', 'a%2Fb', 'a~', 'a*', "a'", 'a(', 'a!', '\u00e9', 'e\u0301', '📦', '日本', 'x=1&y=2?z#w', 'a;b,c@d:e$f', 'trail ', 'ﬀ', '\uFF01', '\uFFFD'];

describe('whole syncs (first run, then a rerun in key ranges) through a signature-verifying S3', () => {
  test('every request of both runs verifies, every file lands', async () => {
    await using f = await startSyncFixture({ prefix: PREFIX });
    const keys = [...LEAVES.map((l) => PREFIX + l), ...Array.from({ length: 30 }, (_, i) => `${PREFIX}k${String(i).padStart(3, '0')} ${i % 2 ? '+' : '%'}`)];
    for (const key of keys) await f.s3.putObject(key, `body of ${key}`);
    await using v = await startSdkVerifier(f.s3.endpoint, S3RVER_CREDENTIALS, S3RVER_REGION);
    const tuning = { listRangeMinKeys: 5 };
    const first = await f.sync({ connector: f.connectorVia(v.endpoint), tuning });
    expect(first.status, first.run.error ?? '').toBe('SUCCEEDED');
    for (const key of keys) await f.s3.putObject(key, `new body of ${key}`);
    const second = await f.sync({ connector: f.connectorVia(v.endpoint), tuning });
    expect(second.status, second.run.error ?? '').toBe('SUCCEEDED');
    for (const key of keys) expect(await readFile(join(f.root, key.slice(PREFIX.length)), 'utf8').catch(() => readFile(join(f.root, key), 'utf8')), key).toBe(`new body of ${key}`);
    console.log('requests', v.requests.length, 'start-after lists', v.requests.filter((r) => r.rawUrl.includes('start-after')).length, 'stats', JSON.stringify((second as { stats?: unknown }).stats ?? null));
    expect(v.failures().map((r) => [r.method, r.rawUrl, r.reason])).toEqual([]);
  });
});
