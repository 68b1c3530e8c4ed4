import { dictionary } from '@zxcvbn-ts/language-common';

// zxcvbn-ts ships ~49,000 passwords from public breach corpora, most used first.
let common: Set<string> | undefined;

/**
 * True for a password on the breach list, also when it only adds digits or symbols to one
 * ("Password1234!") or repeats one ("qwertyqwerty"): with a 12-character minimum, these
 * padded forms are how a listed password comes back.
 */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(dictionary['passwords-common']);
  const lower = password.toLowerCase();
  if (common.has(lower)) return true;
  const core = lower.replace(/^[\d\W_]+|[\d\W_]+$/g, '');
  if (core.length >= 4 && common.has(core)) return true;
  const repeated = /^(.{3,}?)\1+$/.exec(lower)?.[1];
  return repeated !== undefined && (common.has(repeated) || /^\d+$/.test(repeated));
}
