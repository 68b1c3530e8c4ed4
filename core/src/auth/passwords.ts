import argon2 from 'argon2';
import { isCommonPassword } from './common-passwords.ts';

/** OWASP Password Storage Cheat Sheet, argon2id option 2: 19 MiB, 2 passes, 1 lane. */
export const argon2Options = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const passwordLength = { min: 12, max: 256 } as const;

export type PasswordProblem =
  | { reason: 'too_short'; min: number }
  | { reason: 'too_long'; max: number }
  | { reason: 'common' }
  | { reason: 'contains_email' }
  | { reason: 'contains_workspace_name' };

export interface PasswordContext {
  email?: string;
  workspaceName?: string;
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, argon2Options);
}

/** False for a wrong password and for a hash that is not argon2 at all. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** True when the hash was made with weaker parameters than today's: re-hash after a login. */
export function needsRehash(hash: string): boolean {
  return argon2.needsRehash(hash, argon2Options);
}

/** Every reason the password is refused, so the form can show them all at once; [] when fine. */
export function checkPasswordPolicy(password: string, context: PasswordContext = {}): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  // Length in code points, so an emoji counts as one character, as a person would count it.
  const length = [...password].length;
  if (length < passwordLength.min) problems.push({ reason: 'too_short', min: passwordLength.min });
  if (length > passwordLength.max) problems.push({ reason: 'too_long', max: passwordLength.max });
  if (isCommonPassword(password)) problems.push({ reason: 'common' });
  const lower = password.toLowerCase();
  const localPart = context.email?.split('@')[0]?.trim().toLowerCase() ?? '';
  // Very short local parts ("jo@…") would refuse too many good passwords.
  if (localPart.length >= 3 && lower.includes(localPart)) problems.push({ reason: 'contains_email' });
  const workspace = context.workspaceName?.trim().toLowerCase() ?? '';
  if (workspace.length >= 3 && lower.includes(workspace))
    problems.push({ reason: 'contains_workspace_name' });
  return problems;
}

export function describePasswordProblem(p: PasswordProblem): string {
  switch (p.reason) {
    case 'too_short':
      return `use at least ${p.min} characters`;
    case 'too_long':
      return `use at most ${p.max} characters`;
    case 'common':
      return 'this password is on a list of commonly used passwords';
    case 'contains_email':
      return 'do not include your e-mail address';
    case 'contains_workspace_name':
      return 'do not include the workspace name';
  }
}
