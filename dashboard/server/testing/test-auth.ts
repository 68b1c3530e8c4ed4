// Test helpers: real auth services on a scratch metadata store, and callers of any role —
// through an API key (headers for `inject`/fetch) or a browser session (cookie + CSRF token).
import { randomBytes } from 'node:crypto';
import type { MetadataStore } from '@pulse/core';
import { csrfTokenFor, sessionCookieName } from '@pulse/core/auth/index';
import { type AuthServices, createAuthServices } from '../auth/auth-services.ts';

export function createTestAuth(metadata: MetadataStore, options: { now?: () => Date } = {}): AuthServices {
  return createAuthServices(metadata, {
    serverSecret: randomBytes(48).toString('base64'),
    secure: false,
    now: options.now,
  });
}

/** A workspace to act in (the demo workspace unless `slug` names another). */
export async function testWorkspace(metadata: MetadataStore, slug = 'test'): Promise<string> {
  const found = await metadata.workspaces.getBySlug(slug);
  return (found ?? (await metadata.workspaces.create({ slug, name: `Workspace ${slug}` }))).id;
}

/** Headers of an API-key caller with `role` in the workspace. */
export async function apiKeyCaller(
  auth: AuthServices,
  workspaceId: string,
  role: string,
): Promise<{ authorization: string }> {
  const { key } = await auth.apiKeys.create({ workspaceId, name: `test ${role}`, role, createdBy: null });
  return { authorization: `Bearer ${key}` };
}

let counter = 0;
/**
 * A signed-in person with `role` (and optional row-policy attributes): a real user with a real
 * password and session. `cookie` goes in a Cookie header; browsers get `{ name, value }`.
 */
export async function sessionCaller(
  auth: AuthServices,
  workspaceId: string,
  role: string,
  options: { email?: string; attributes?: Record<string, string> } = {},
): Promise<{
  userId: string;
  email: string;
  password: string;
  cookie: string;
  cookieValue: string;
  cookieName: string;
  csrfToken: string;
}> {
  const email = options.email ?? `user${++counter}-${randomBytes(3).toString('hex')}@example.test`;
  const password = `Pw-${randomBytes(12).toString('base64url')}`;
  const user = await auth.accounts.createLocalUser(email, password, 'Test user');
  await auth.members.setRole(workspaceId, user.id, role);
  if (options.attributes)
    await auth.metadata.db.query(
      'UPDATE workspace_members SET attributes = $3 WHERE workspace_id = $1 AND user_id = $2',
      [workspaceId, user.id, JSON.stringify(options.attributes)],
    );
  const id = await auth.sessions.createSession(user.id, { sourceIp: '127.0.0.1' });
  return {
    userId: user.id,
    email,
    password,
    cookie: `${sessionCookieName}=${id}`,
    cookieValue: id,
    cookieName: sessionCookieName,
    csrfToken: csrfTokenFor(id, auth.csrfKey),
  };
}
