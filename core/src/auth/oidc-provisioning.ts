import { z } from 'zod';
import type { RoleName } from '../config/index.ts';
import { PulseError } from '../errors/index.ts';
import type { SqlDriver } from '../metadata/index.ts';
import { usersRepository } from '../metadata/repositories/users.ts';

/** What Pulse reads from an ID token merged with userinfo; everything else is ignored. */
export const oidcClaims = z.looseObject({
  sub: z.string().min(1).max(255),
  email: z.email().max(320).optional(),
  // Some providers (older Cognito, some SAML bridges) send the boolean as a string.
  email_verified: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]).optional(),
  name: z.string().max(200).optional(),
  workspace: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
    .optional(),
});
export type OidcClaims = z.infer<typeof oidcClaims>;

export interface RoleMapping {
  roleClaim: string;
  roleMap: Record<string, RoleName>;
  defaultRole: RoleName | undefined;
}

export interface ProvisionedUser {
  userId: string;
  email: string;
  role: RoleName;
  workspaceId: string;
  /** How the account was found: by its SSO identity, linked by verified e-mail, or created now. */
  account: 'existing' | 'linked' | 'created';
}

const rank: Record<RoleName, number> = { viewer: 1, analyst: 2, editor: 3, admin: 4 };

/**
 * The role the claims grant: the highest role any value of the role claim maps to, else the
 * default role. A claim may be a string or an array of strings (groups); anything else counts as
 * absent. Refuses with SSO_NO_ROLE when nothing applies, before any account is touched.
 */
export function mapRole(claims: Record<string, unknown>, mapping: RoleMapping): RoleName {
  const raw = claims[mapping.roleClaim];
  const values =
    typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((v) => typeof v === 'string') : [];
  let best: RoleName | undefined;
  for (const value of values) {
    const role = Object.hasOwn(mapping.roleMap, value) ? mapping.roleMap[value] : undefined;
    if (role && (!best || rank[role] > rank[best])) best = role;
  }
  const role = best ?? mapping.defaultRole;
  if (!role)
    throw new PulseError('SSO_NO_ROLE', 'your sign-in is valid but no Pulse role applies to you', {
      context: { roleClaim: mapping.roleClaim, claimValues: values.length },
      hint: `Ask your administrator to add you to a group that PULSE_OIDC_ROLE_MAP maps to a role (claim "${mapping.roleClaim}"), or to set PULSE_OIDC_DEFAULT_ROLE.`,
    });
  return role;
}

/**
 * Just-in-time provisioning, in one transaction: finds the account by the issuer's subject, else
 * links the account with the same verified e-mail, else creates an SSO-only account (no
 * password); then sets its role in the target workspace. The provider is the source of truth for
 * the role: each sign-in overwrites it, so removing someone from a group demotes them at their
 * next sign-in.
 */
export async function provisionOidcUser(
  db: SqlDriver,
  input: { issuer: string; claims: OidcClaims; role: RoleName; now: Date },
): Promise<ProvisionedUser> {
  const { issuer, claims, role, now } = input;
  return db.transaction(async (tx) => {
    const workspaceId = await targetWorkspace(tx, claims.workspace);
    const identity = await tx.query<{ user_id: string }>(
      'SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2',
      [issuer, claims.sub],
    );
    let account: ProvisionedUser['account'] = 'existing';
    let user = identity[0] && (await findUser(tx, 'id = $1', identity[0].user_id));
    if (!user) {
      user = await linkOrCreate(tx, claims);
      account = user.created ? 'created' : 'linked';
      await tx.query(
        'INSERT INTO user_identities (issuer, subject, user_id, email) VALUES ($1, $2, $3, $4)',
        [issuer, claims.sub, user.id, claims.email ?? null],
      );
    }
    if (user.status === 'disabled')
      throw new PulseError('SSO_ACCOUNT_DISABLED', 'this Pulse account is disabled', {
        context: { userId: user.id },
        hint: 'Ask a Pulse administrator to enable your account.',
      });
    if (user.kind !== 'person')
      throw new PulseError('SSO_ACCOUNT_DISABLED', 'service accounts cannot sign in', {
        context: { userId: user.id },
        hint: 'Sign in with a personal account; service accounts act only through API keys.',
      });
    // An invitation is accepted by signing in with the provider that vouches for the address.
    if (user.status === 'invited')
      await tx.query("UPDATE users SET status = 'active' WHERE id = $1", [user.id]);
    await tx.query(
      'UPDATE user_identities SET last_login_at = $3, email = coalesce($4, email) WHERE issuer = $1 AND subject = $2',
      [issuer, claims.sub, now, claims.email ?? null],
    );
    await usersRepository(tx).setRole(workspaceId, user.id, role);
    return { userId: user.id, email: user.email, role, workspaceId, account };
  });
}

type UserRow = { id: string; email: string; status: string; kind: string; created?: boolean };

async function findUser(tx: SqlDriver, where: string, value: string): Promise<UserRow | undefined> {
  const [row] = await tx.query<UserRow>(`SELECT id, email, status, kind FROM users WHERE ${where}`, [value]);
  return row;
}

/**
 * Only a verified address may link to an existing account: an unverified one would let anyone who
 * can register that address at the provider take the account over.
 */
async function linkOrCreate(tx: SqlDriver, claims: OidcClaims): Promise<UserRow> {
  if (!claims.email)
    throw new PulseError('SSO_CLAIMS_INVALID', 'the identity provider did not send an e-mail address', {
      hint: 'Request the `email` scope (PULSE_OIDC_SCOPES) and make sure the account has an address at the provider.',
    });
  const existing = await findUser(tx, 'lower(email) = lower($1)', claims.email.trim());
  if (existing && claims.email_verified === true) return existing;
  if (existing)
    throw new PulseError(
      'SSO_EMAIL_CONFLICT',
      'a Pulse account with this e-mail exists, but the provider has not verified the address',
      {
        hint: 'Verify the address at your identity provider, or ask a Pulse administrator to link the accounts.',
      },
    );
  const created = await usersRepository(tx).create({ email: claims.email, displayName: claims.name ?? '' });
  return { id: created.id, email: created.email, status: created.status, kind: 'person', created: true };
}

/** The workspace named by the `workspace` claim, else the oldest real workspace, else the demo. */
async function targetWorkspace(tx: SqlDriver, slug: string | undefined): Promise<string> {
  if (slug !== undefined) {
    const [row] = await tx.query<{ id: string }>('SELECT id FROM workspaces WHERE slug = $1', [slug]);
    if (!row)
      throw new PulseError(
        'SSO_WORKSPACE_NOT_FOUND',
        `the identity provider names workspace "${slug}", which does not exist`,
        {
          context: { workspace: slug },
          hint: 'Create the workspace in Pulse, or fix the `workspace` claim at the identity provider.',
        },
      );
    return row.id;
  }
  const [row] = await tx.query<{ id: string }>(
    'SELECT id FROM workspaces ORDER BY is_demo, created_at, id LIMIT 1',
  );
  if (!row)
    throw new PulseError('SSO_WORKSPACE_NOT_FOUND', 'there is no workspace to sign in to', {
      hint: 'Start Pulse once so it creates the demo workspace, or create a workspace first.',
    });
  return row.id;
}
