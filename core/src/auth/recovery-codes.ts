import { randomInt } from 'node:crypto';

// Crockford's base32: no I, L, O or U, so a code read off paper is not misread.
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const recoveryCodeCount = 10;

/** `XXXX-XXXX-XXXX`: 60 random bits, shown to the user once. */
export function generateRecoveryCode(): string {
  const chars = Array.from({ length: 12 }, () => alphabet[randomInt(alphabet.length)]);
  return [0, 4, 8].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/** What is hashed and compared: case, dashes and spaces don't matter, O reads as 0, I and L as 1. */
export function normalizeRecoveryCode(input: string): string {
  return input
    .toUpperCase()
    .replace(/[^0-9A-Z]/g, '')
    .replaceAll('O', '0')
    .replace(/[IL]/g, '1');
}
