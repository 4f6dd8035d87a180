import { createHmac } from 'node:crypto';

/** The `X-DSS-Signature` value: `sha256=<hex HMAC-SHA256 of the exact body bytes under the secret>`. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * The `X-DSS-Signature-V2` value: `sha256=<hex HMAC-SHA256 of "<timestamp>.<delivery id>.<body>">`,
 * `timestamp` being the attempt's `X-DSS-Timestamp` (Unix seconds). Unlike the body's own signature
 * it binds the delivery id and the time of sending: a captured delivery replayed under another id,
 * or later than a receiver allows, does not verify.
 */
export function signDelivery(timestamp: number, deliveryId: string, body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${deliveryId}.${body}`, 'utf8').digest('hex')}`;
}
