import type { Permission } from '@pulse/core/rbac/permissions';

/**
 * Who is calling. Set on every request by the auth hook before any handler runs: a signed-in
 * user (session cookie), an API key (Bearer), or nobody. Handlers read the workspace and the
 * permissions from here and never from a header the caller could forge.
 */
export interface Principal {
  kind: 'user' | 'api_key' | 'anonymous';
  /** The user, or the service account behind an API key; null when anonymous. */
  userId: string | null;
  email: string | null;
  /** The workspace this request acts in (chosen by `x-pulse-workspace` among the caller's memberships). */
  workspaceId: string | null;
  /** Built-in role name or custom role name in that workspace. */
  role: string | null;
  permissions: ReadonlySet<Permission>;
  /** Attributes row policies match on (region, team, platform, …). */
  attributes: Readonly<Record<string, string>>;
  /** Administers the whole instance (the first-start admin): may act in any workspace. */
  isInstanceAdmin: boolean;
  apiKeyId?: string;
  /** The session id from the cookie (server-side only; used for CSRF tokens and sign-out). */
  sessionId?: string;
  /** Password accepted, second factor still due: only the MFA routes accept this caller. */
  mfaPendingUserId?: string;
}
