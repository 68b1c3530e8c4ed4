import { auditActor } from './audit-actor.ts';
import { PulseError } from '@pulse/core';
import { readSessionCookie, verifyCsrf } from '@pulse/core/auth/index';
import type { Permission } from '@pulse/core/rbac/permissions';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { anonymous, type Principal, type RouteAccess } from './access.ts';
import type { AuthServices } from './auth-services.ts';
import { apiSecurityHeaders } from './security-headers.ts';

/** A registered route and what it requires, as the route-enumeration test lists them. */
export interface RegisteredRoute {
  method: string;
  url: string;
  access: RouteAccess | undefined;
  /** Server-Sent Events and other never-ending responses. */
  stream: boolean;
}

/**
 * Routes owned by packages that do not know the dashboard's access declarations, and why they
 * are public: the collector authenticates every request with a source's write key itself.
 */
const implicitAccess: { prefix: string; access: RouteAccess }[] = [
  { prefix: '/v1/', access: { public: true, reason: 'collector: authenticated by the write key' } },
];

const touchEveryMs = 60_000;
const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Permissions whose use reads warehouse data: each use goes into the audit log. */
const dataPermissions = new Set<Permission>([
  'metrics:read',
  'explore:use',
  'sql:run',
  'rows:read',
  'exports:create',
]);

/** Saved things changed through routes that do not write audit entries of their own. */
const changeActions: Partial<Record<Permission, string>> = {
  'dashboards:write': 'dashboard.changed',
  'reports:write': 'report.changed',
  'reports:schedule': 'schedule.changed',
};

export interface AuthPlugin {
  routes(): RegisteredRoute[];
}

/**
 * One gate for every route: who is calling (session cookie or API key), in which workspace,
 * with which permissions — then whether the route's declared access lets them in. A route that
 * declares nothing is refused to everyone (fail closed). Runs before body parsing, so refused
 * callers cost no parsing.
 */
export function installAuth(app: FastifyInstance, auth: AuthServices): AuthPlugin {
  const routes: RegisteredRoute[] = [];
  app.decorateRequest('principal', null as unknown as Principal);

  app.addHook('onRoute', (route) => {
    const access =
      (route.config as { access?: RouteAccess } | undefined)?.access ??
      implicitAccess.find((i) => route.url.startsWith(i.prefix))?.access;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({
        method,
        url: route.url,
        access,
        stream: /\/live$|\/stream$/.test(route.url),
      });
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const matched = request.routeOptions.url !== undefined;
    const access = matched
      ? (request.routeOptions.config?.access ??
        implicitAccess.find((i) => request.routeOptions.url!.startsWith(i.prefix))?.access)
      : undefined;
    for (const [name, value] of Object.entries(apiSecurityHeaders(auth.secure))) reply.header(name, value);
    // Public routes never fail on credentials they do not need (the collector's Bearer write key).
    const isPublic = access !== undefined && 'public' in access;
    request.principal = await authenticate(request, auth, { lenient: isPublic || !matched });
    if (!matched || isPublic) return;
    await authorize(request, reply, access, auth);
  });

  // Data read from every surface, and changes to saved things, go into the audit log.
  app.addHook('onResponse', async (request, reply) => {
    const access = request.routeOptions.config?.access;
    if (!access || !('permission' in access) || reply.statusCode >= 400) return;
    const change = unsafeMethods.has(request.method) ? changeActions[access.permission] : undefined;
    const action = dataPermissions.has(access.permission) ? 'data.query' : change;
    if (!action) return;
    await auth.audit
      .record({
        ...auditActor(request),
        action,
        targetType: 'route',
        targetId: `${request.method} ${request.url.split('?')[0]}`,
        outcome: 'success',
        details: {
          permission: access.permission,
          route: request.routeOptions.url ?? null,
          status: reply.statusCode,
        },
      })
      .catch((err: unknown) => request.log.error({ err }, 'audit record failed'));
  });

  return { routes: () => [...routes] };
}

async function authorize(
  request: FastifyRequest,
  _reply: FastifyReply,
  access: RouteAccess | undefined,
  auth: AuthServices,
): Promise<void> {
  const p = request.principal;
  if (!access) {
    request.log.error({ route: request.routeOptions.url }, 'route declares no access: refused');
    throw new PulseError('ROUTE_ACCESS_UNDECLARED', 'this route is not open to anyone yet', {
      hint: 'A developer must declare its access (dashboard/server/auth/access.ts).',
    });
  }
  if ('signedIn' in access && access.allowMfaPending && p.mfaPendingUserId) return;
  if (p.kind === 'anonymous') {
    throw new PulseError(
      p.mfaPendingUserId ? 'MFA_REQUIRED' : 'AUTH_REQUIRED',
      p.mfaPendingUserId ? 'finish signing in with your second factor' : 'sign in first',
      {
        hint: p.mfaPendingUserId
          ? 'POST the code to /api/v1/auth/mfa/verify.'
          : 'Sign in at /login, or send an API key as `Authorization: Bearer pulse_sk_…`.',
      },
    );
  }
  // Cookies ride along on cross-site requests; API keys do not, so only cookie callers need this.
  if (p.kind === 'user' && unsafeMethods.has(request.method) && !csrfOk(request, p, auth)) {
    throw new PulseError('CSRF_FAILED', 'this request did not come from a Pulse page', {
      hint: 'Send the x-csrf-token header from GET /api/v1/auth/me, or call from the Pulse UI.',
    });
  }
  if ('signedIn' in access) return;
  if ('permission' in access && p.permissions.has(access.permission)) return;
  const permission = 'permission' in access ? access.permission : undefined;
  await auth.audit
    .record({
      workspaceId: p.workspaceId,
      actorType: p.kind === 'api_key' ? 'api_key' : 'user',
      actorId: p.apiKeyId ?? p.userId,
      action: 'access.denied',
      targetType: 'route',
      targetId: `${request.method} ${request.routeOptions.url}`,
      sourceIp: request.ip,
      outcome: 'denied',
      details: { permission: permission ?? null, role: p.role },
    })
    .catch((err: unknown) => request.log.error({ err }, 'audit record failed'));
  throw new PulseError(
    'PERMISSION_DENIED',
    `your role (${p.role}) may not do this: it needs "${permission}"`,
    {
      context: { permission, role: p.role },
      hint: 'Ask a workspace admin for a role that includes it.',
    },
  );
}

/**
 * A cookie caller's unsafe request must prove it came from a Pulse page: the session's CSRF
 * token in `x-csrf-token`, or the browser's own Fetch Metadata / Origin saying "same origin"
 * (browsers set these and pages cannot forge them; SameSite=Lax cookies cover the rest).
 */
function csrfOk(request: FastifyRequest, p: Principal, auth: AuthServices): boolean {
  const token = request.headers['x-csrf-token'];
  if (typeof token === 'string' && p.sessionId && verifyCsrf(p.sessionId, token, auth.csrfKey)) return true;
  const site = request.headers['sec-fetch-site'];
  if (site === 'same-origin') return true;
  if (site !== undefined) return false;
  const origin = request.headers.origin;
  return origin !== undefined && origin !== 'null' && new URL(origin).host === request.headers.host;
}

/** Who is calling. `lenient`: bad credentials make an anonymous caller instead of an error. */
export async function authenticate(
  request: FastifyRequest,
  auth: AuthServices,
  options: { lenient: boolean },
): Promise<Principal> {
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) {
    const caller = await auth.apiKeys.authenticate(authorization.slice(7).trim());
    if (!caller) {
      if (options.lenient) return anonymous;
      throw new PulseError('API_KEY_UNKNOWN', 'the API key is unknown, revoked or expired', {
        hint: 'Create a new key under Settings → API keys.',
      });
    }
    return {
      kind: 'api_key',
      userId: caller.userId,
      email: caller.email,
      workspaceId: caller.workspaceId,
      role: caller.role,
      permissions: await auth.roles.permissionsOf(caller.workspaceId, caller.role),
      attributes: await memberAttributes(auth, caller.workspaceId, caller.userId),
      isInstanceAdmin: false,
      apiKeyId: caller.apiKeyId,
    };
  }
  const sessionId = readSessionCookie(request.headers.cookie);
  if (!sessionId) return anonymous;
  const check = await auth.sessions.validate(sessionId, { allowMfaPending: true });
  if (!check.valid) return anonymous;
  // Activity pushes the idle timeout back, but a busy page need not write on every request:
  // once a minute is precise enough against a timeout of many minutes.
  if (Date.now() - check.session.lastSeenAt.getTime() > touchEveryMs) await auth.sessions.touch(sessionId);
  if (check.session.mfaPending) return { ...anonymous, sessionId, mfaPendingUserId: check.user.id };
  const memberships = await auth.members.ofUser(check.user.id);
  const wanted = request.headers['x-pulse-workspace'];
  let membership = memberships[0];
  let workspaceId = membership?.workspaceId ?? null;
  if (typeof wanted === 'string' && wanted !== '') {
    membership = memberships.find((m) => m.workspaceId === wanted || m.workspaceSlug === wanted);
    workspaceId = membership?.workspaceId ?? null;
    if (!membership && check.user.isAdmin) {
      const ws = (await auth.metadata.workspaces.getBySlug(wanted)) ?? (await getWorkspace(auth, wanted));
      workspaceId = ws?.id ?? null;
    }
    if (!workspaceId && !options.lenient)
      throw new PulseError('WORKSPACE_FORBIDDEN', `you are not a member of workspace "${wanted}"`, {
        hint: 'GET /api/v1/auth/me lists your workspaces.',
      });
  }
  if (!workspaceId && check.user.isAdmin)
    workspaceId = (await auth.metadata.workspaces.list({ limit: 1 })).items[0]?.id ?? null;
  // The instance admin administers every workspace, member or not.
  const role = check.user.isAdmin ? 'admin' : (membership?.role ?? null);
  return {
    kind: 'user',
    userId: check.user.id,
    email: check.user.email,
    workspaceId,
    role,
    permissions: workspaceId && role ? await auth.roles.permissionsOf(workspaceId, role) : new Set(),
    attributes: membership?.attributes ?? {},
    isInstanceAdmin: check.user.isAdmin,
    sessionId,
  };
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
async function getWorkspace(auth: AuthServices, id: string) {
  return uuid.test(id) ? auth.metadata.workspaces.get(id) : undefined;
}

async function memberAttributes(auth: AuthServices, workspaceId: string, userId: string) {
  return (await auth.members.get(workspaceId, userId))?.attributes ?? {};
}
