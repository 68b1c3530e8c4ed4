import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { PulseError } from '../errors/index.ts';

/**
 * A 32-byte key for one purpose, derived from the server's auth secret with HKDF, so one
 * configured secret serves CSRF tokens, sealed TOTP secrets and recovery-code peppers without
 * one use weakening another.
 */
export function deriveKey(serverSecret: string | Uint8Array, purpose: string): Buffer {
  const ikm = typeof serverSecret === 'string' ? Buffer.from(serverSecret, 'utf8') : serverSecret;
  if (ikm.length < 32)
    throw new PulseError('AUTH_SECRET_TOO_SHORT', 'the auth secret must be at least 32 bytes', {
      hint: 'Generate one with `openssl rand -base64 48`.',
    });
  return Buffer.from(hkdfSync('sha256', ikm, 'pulse-auth', purpose, 32));
}

/** AES-256-GCM; the result is `v1.<iv>.<tag>.<ciphertext>` in base64url. */
export function seal(key: Uint8Array, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

export function open(key: Uint8Array, sealed: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined)
    throw new PulseError('SEALED_VALUE_INVALID', 'a sealed value has an unknown format');
  try {
    // Without authTagLength Node accepts a truncated tag (even 4 bytes), making forgeries cheap.
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
      authTagLength: 16,
    });
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch (err) {
    throw new PulseError('SEALED_VALUE_INVALID', 'a sealed value could not be opened', {
      cause: err,
      hint: 'The auth secret changed since the value was sealed; restore it, or have the user enrol again.',
    });
  }
}
