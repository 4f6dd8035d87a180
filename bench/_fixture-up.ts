import { seedObjects } from './seed.js';
import { startS3Fixture } from './s3-fixture.js';
const dir = '/tmp/benchprof/server';
if (process.argv[2] === 'seed') {
  await seedObjects(dir, 'bench', { prefix: 'small/', count: 2000, size: 4096 }, 0);
  await seedObjects(dir, 'bench', { prefix: 'huge/', count: 1, size: 1024 ** 3 }, 100000);
  await seedObjects(dir, 'bench', { prefix: 'noop/', count: 10000, size: 4096 }, 200000);
}
const fx = await startS3Fixture(dir);
console.log(fx.endpoint);
setInterval(async () => {}, 100000);
process.on('SIGTERM', () => void fx.stop().then(() => process.exit(0)));
