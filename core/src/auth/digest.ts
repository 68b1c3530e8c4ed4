import { createHash, createHmac, randomBytes } from 'node:crypto';

export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

export const hmacHex = (key: Uint8Array, value: string): string =>
  createHmac('sha256', key).update(value).digest('hex');

/** A URL-safe random token of `bytes` random bytes. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');
