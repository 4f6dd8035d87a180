import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Bytes of SECRETS_KEY: AES-256. */
export const SECRETS_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1.';

/** Reads SECRETS_KEY as 64 hex digits or as base64 of 32 bytes; null when it is neither. */
export function parseSecretsKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
  const bytes = Buffer.from(trimmed, 'base64');
  return bytes.length === SECRETS_KEY_BYTES ? bytes : null;
}

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/**
 * Seals small secrets with AES-256-GCM: a fresh random 12-byte nonce per value and `context`
 * (e.g. the job id) as associated data, so a sealed value copied onto another row does not open.
 * The sealed text is `v1.<base64 of nonce | tag | ciphertext>`: one opaque column.
 */
export interface SecretBox {
  readonly available: boolean;
  seal(plain: string, context: string): string;
  /** Throws a SecretBoxError (no detail of the value) when the key or the context is wrong. */
  open(sealed: string, context: string): string;
}

export function createSecretBox(key: Buffer | undefined): SecretBox {
  const requireKey = (): Buffer => {
    if (!key) throw new SecretBoxError('SECRETS_KEY is not set');
    return key;
  };
  return {
    available: key !== undefined,
    seal(plain, context) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', requireKey(), nonce);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return FORMAT + Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]).toString('base64');
    },
    open(sealed, context) {
      const secretKey = requireKey();
      if (!sealed.startsWith(FORMAT)) throw new SecretBoxError('the stored secret has an unknown format');
      const bytes = Buffer.from(sealed.slice(FORMAT.length), 'base64');
      if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new SecretBoxError('the stored secret is truncated');
      try {
        const decipher = createDecipheriv('aes-256-gcm', secretKey, bytes.subarray(0, NONCE_BYTES));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(bytes.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('the stored secret does not decrypt with this SECRETS_KEY');
      }
    },
  };
}
