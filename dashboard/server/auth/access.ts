import type { Permission } from '@pulse/core/rbac/permissions';

import type { Principal } from './principal.ts';

export type { Principal };

/**
 * What a route requires, declared in its options: `{ config: access('dashboards:read') }`.
 * A route that declares nothing is refused to everyone (fail closed), and the route-enumeration
 * test lists it. `public` routes (health, login, the collector with its own write keys) say so.
 */
export type RouteAccess =
  | { public: true; reason: string }
  | { signedIn: true; allowMfaPending?: boolean }
  | { permission: Permission };

export const access = (permission: Permission): { access: RouteAccess } => ({ access: { permission } });
export const publicRoute = (reason: string): { access: RouteAccess } => ({
  access: { public: true, reason },
});

/** Any signed-in caller, whatever the role (their own profile, sign-out). */
export const signedIn = (options: { allowMfaPending?: boolean } = {}): { access: RouteAccess } => ({
  access: { signedIn: true, ...options },
});

export const anonymous: Principal = Object.freeze({
  kind: 'anonymous',
  userId: null,
  email: null,
  workspaceId: null,
  role: null,
  permissions: new Set<Permission>(),
  attributes: {},
  isInstanceAdmin: false,
}) as Principal;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}
