import { createHmac } from 'node:crypto';

/** The `X-DSS-Signature` value: `sha256=<hex HMAC-SHA256 of the exact body bytes under the secret>`. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
