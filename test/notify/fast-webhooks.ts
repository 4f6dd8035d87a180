export const SECRET = 'webhook-secret-0123456789';

/** Fast retries and polling, so a test sees five attempts in well under a second. */
export const FAST = { WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_BASE: '0.02' };
