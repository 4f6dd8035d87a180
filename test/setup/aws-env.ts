// Every test process: the SDK credential chain finds the local test server's account and never
// asks an instance-metadata endpoint (no traffic off loopback, no multi-second timeouts).
process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
