// The peer tools, pointed at the loopback server with dummy credentials, path-style, plain HTTP.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commandExists, runMeasured } from './measure.js';
import { DUMMY_CREDENTIALS } from './s3-fixture.js';
import { processRun, type RunTarget, type Tool } from './tool.js';

/** The caller's environment minus any AWS_* / RCLONE_* settings (a CA bundle, a profile) that would change the run. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|RCLONE_)/.test(name)));
}

const absent = async (command: string) => ((await commandExists(command)) ? null : `${command} is not installed`);

export const awsCli: Tool = {
  name: 'aws s3 sync',
  timing: 'process spawn to exit (includes Python start-up)',
  unavailable: () => absent('aws'),
  async run(target: RunTarget) {
    const config = join(target.workDir, 'aws-config');
    await writeFile(config, '[default]\ns3 =\n  addressing_style = path\n');
    const env = {
      ...cleanEnv(),
      AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: DUMMY_CREDENTIALS.region,
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: join(target.workDir, 'no-credentials'),
      AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
      AWS_PAGER: '',
    };
    const source = `s3://${target.bucket}/${target.prefix}`;
    const args = ['s3', 'sync', source, target.dest, '--endpoint-url', target.endpoint, '--only-show-errors'];
    return processRun(await runMeasured('aws', args, { env, timeoutMs: target.timeoutMs }));
  },
};

export const rclone: Tool = {
  name: 'rclone copy',
  timing: 'process spawn to exit',
  unavailable: () => absent('rclone'),
  async run(target: RunTarget) {
    const config = join(target.workDir, 'rclone.conf');
    await writeFile(config, '');
    const env = {
      ...cleanEnv(),
      RCLONE_CONFIG: config,
      RCLONE_CONFIG_BENCH_TYPE: 's3',
      RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
      RCLONE_CONFIG_BENCH_ENV_AUTH: 'false',
      RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
      RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
      RCLONE_CONFIG_BENCH_REGION: DUMMY_CREDENTIALS.region,
      RCLONE_CONFIG_BENCH_ENDPOINT: target.endpoint,
      RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
      // ListObjectsV2, as the others use (provider Other defaults to v1, which the synthetic server does not serve).
      RCLONE_CONFIG_BENCH_LIST_VERSION: '2',
    };
    const source = `bench:${target.bucket}/${target.prefix.replace(/\/$/, '')}`;
    return processRun(await runMeasured('rclone', ['copy', source, target.dest], { env, timeoutMs: target.timeoutMs }));
  },
};
