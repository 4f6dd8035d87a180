// Every test process: the SDK credential chain finds the local test server's account and never
// asks an instance-metadata endpoint (no traffic off loopback, no multi-second timeouts).
process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
// The test helpers' own S3 clients (s3rver fixtures) would print the SDK's Node 20 notice; the
// service turns it off itself in createS3Connector (test/config/main.test.ts checks that).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Tests reach their servers on loopback or through the proxies they start themselves; a proxy
// this machine's environment names is not theirs to use.
for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) delete process.env[name];
