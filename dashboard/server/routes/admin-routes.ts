import { auditActor } from '../auth/audit-actor.ts';
import { PulseError } from '@pulse/core';
import { builtInRoleNames, builtInRoles, permissions } from '@pulse/core/rbac/index';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { access } from '../auth/access.ts';
import { parseBody } from '../auth/auth-routes.ts';
import type { AuthServices } from '../auth/auth-services.ts';

const roleName = z.string().min(1).max(63);
const inviteBody = z.object({
  email: z.email().max(320),
  role: roleName,
  displayName: z.string().max(200).optional(),
});
const roleBody = z.object({ role: roleName });
const customRoleBody = z.object({
  description: z.string().max(500).default(''),
  permissions: z.array(z.string()).max(100),
});
const apiKeyBody = z.object({
  name: z.string().trim().min(1).max(100),
  role: roleName,
  /** Days until the key stops working; omit for a key that does not expire. */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
const mfaBody = z.object({ required: z.boolean() });
const sourceBody = z.object({
  family: z.enum(['product', 'social', 'crm']),
  provider: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(200),
});
const auditQuery = z.object({
  actorId: z.string().max(200).optional(),
  action: z.string().max(64).optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  targetType: z.string().max(64).optional(),
  targetId: z.string().max(500).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(500).optional(),
});

const workspaceOf = (request: FastifyRequest): string => {
  const id = request.principal.workspaceId;
  if (!id)
    throw new PulseError('WORKSPACE_NOT_FOUND', 'you are not in any workspace', {
      hint: 'Ask an admin to add you to one.',
    });
  return id;
};

/**
 * Workspace administration: members and their roles, custom roles, API keys, the MFA
 * requirement and the audit log. Every change is audited.
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  auth: AuthServices,
  options: { publicUrl: string },
): void {
  const record = (
    request: FastifyRequest,
    action: string,
    targetType: string,
    targetId: string,
    details = {},
  ) =>
    auth.audit.record({
      ...auditActor(request),
      action,
      targetType,
      targetId,
      outcome: 'success',
      details,
    });

  app.get('/api/v1/members', { config: access('members:manage') }, async (request) => ({
    members: await auth.members.list(workspaceOf(request)),
  }));

  app.post('/api/v1/members', { config: access('members:manage') }, async (request, reply) => {
    const workspaceId = workspaceOf(request);
    const body = parseBody(inviteBody, request.body, 'invitation');
    await auth.roles.assertExists(workspaceId, body.role);
    const existing = await auth.metadata.users.getByEmail(body.email);
    const user =
      existing ??
      (await auth.metadata.users.create({
        email: body.email,
        displayName: body.displayName ?? '',
        status: 'invited',
      }));
    await auth.members.setRole(workspaceId, user.id, body.role);
    // A new person gets a one-time link to choose a password; shown once, to the inviting admin.
    const setup = existing ? null : await auth.accounts.createSetupToken(user.id);
    await record(request, 'member.invited', 'user', user.id, { role: body.role });
    reply.status(201);
    return {
      userId: user.id,
      role: body.role,
      setupLink: setup ? `${options.publicUrl}/setup?token=${encodeURIComponent(setup.token)}` : null,
      setupLinkExpiresAt: setup?.expiresAt.toISOString() ?? null,
    };
  });

  app.put<{ Params: { userId: string } }>(
    '/api/v1/members/:userId/role',
    { config: access('members:manage') },
    async (request) => {
      const workspaceId = workspaceOf(request);
      const { role } = parseBody(roleBody, request.body, 'role change');
      const before = await auth.members.get(workspaceId, request.params.userId);
      if (!before)
        throw new PulseError('MEMBER_NOT_FOUND', 'no such member in this workspace', {
          hint: 'GET /api/v1/members lists them.',
        });
      await auth.members.setRole(workspaceId, request.params.userId, role);
      await record(request, 'member.role_changed', 'user', request.params.userId, {
        from: before.role,
        to: role,
      });
      return { userId: request.params.userId, role };
    },
  );

  app.delete<{ Params: { userId: string } }>(
    '/api/v1/members/:userId',
    { config: access('members:manage') },
    async (request) => {
      const removed = await auth.members.remove(workspaceOf(request), request.params.userId);
      if (!removed)
        throw new PulseError('MEMBER_NOT_FOUND', 'no such member in this workspace', {
          hint: 'GET /api/v1/members lists them.',
        });
      await record(request, 'member.removed', 'user', request.params.userId);
      return { ok: true };
    },
  );

  app.put('/api/v1/workspace/mfa', { config: access('members:manage') }, async (request) => {
    const { required } = parseBody(mfaBody, request.body, 'MFA setting');
    await auth.mfa.setWorkspaceRequiresMfa(workspaceOf(request), required);
    await record(request, 'workspace.mfa_required', 'workspace', workspaceOf(request), { required });
    return { required };
  });

  app.get('/api/v1/roles', { config: access('members:manage') }, async (request) => ({
    permissions,
    builtIn: builtInRoleNames.map((name) => ({ name, permissions: [...builtInRoles[name]] })),
    custom: await auth.roles.list(workspaceOf(request)),
  }));

  app.put<{ Params: { name: string } }>(
    '/api/v1/roles/:name',
    { config: access('roles:manage') },
    async (request) => {
      const body = parseBody(customRoleBody, request.body, 'role');
      const role = await auth.roles.upsert(workspaceOf(request), { name: request.params.name, ...body });
      await record(request, 'role.saved', 'role', role.name, { permissions: role.permissions });
      return role;
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/api/v1/roles/:name',
    { config: access('roles:manage') },
    async (request) => {
      if (!(await auth.roles.remove(workspaceOf(request), request.params.name)))
        throw new PulseError('ROLE_NOT_FOUND', `no custom role named "${request.params.name}"`, {
          hint: 'GET /api/v1/roles lists them.',
        });
      await record(request, 'role.deleted', 'role', request.params.name);
      return { ok: true };
    },
  );

  app.get('/api/v1/sources', { config: access('sources:manage') }, async (request) => {
    const sources = await auth.metadata.sources.list(workspaceOf(request));
    return {
      sources: await Promise.all(
        sources.map(async (source) => ({
          ...source,
          writeKeys: await auth.metadata.sources.writeKeys(source.id),
        })),
      ),
    };
  });

  app.post('/api/v1/sources', { config: access('sources:manage') }, async (request, reply) => {
    const body = parseBody(sourceBody, request.body, 'source');
    const source = await auth.metadata.sources.create({ workspaceId: workspaceOf(request), ...body });
    const { key, info } = await auth.metadata.sources.createWriteKey(source.id);
    await record(request, 'source.created', 'source', source.id, {
      family: source.family,
      provider: source.provider,
    });
    reply.status(201);
    // The write key is shown once: only its hash is kept.
    return { ...source, writeKey: key, writeKeyInfo: info };
  });

  /** The source, if it belongs to the caller's workspace: ids from another workspace are "not found". */
  const ownSource = async (request: FastifyRequest, sourceId: string) => {
    const source = (await auth.metadata.sources.list(workspaceOf(request))).find((s) => s.id === sourceId);
    if (!source)
      throw new PulseError('SOURCE_NOT_FOUND', 'no such source in this workspace', {
        hint: 'GET /api/v1/sources lists them.',
      });
    return source;
  };

  app.post<{ Params: { sourceId: string } }>(
    '/api/v1/sources/:sourceId/write-keys',
    { config: access('sources:manage') },
    async (request, reply) => {
      const source = await ownSource(request, request.params.sourceId);
      const { key, info } = await auth.metadata.sources.createWriteKey(source.id);
      await record(request, 'write_key.created', 'source', source.id, { keyId: info.id });
      reply.status(201);
      return { writeKey: key, ...info };
    },
  );

  app.delete<{ Params: { sourceId: string; keyId: string } }>(
    '/api/v1/sources/:sourceId/write-keys/:keyId',
    { config: access('sources:manage') },
    async (request) => {
      const source = await ownSource(request, request.params.sourceId);
      const keys = await auth.metadata.sources.writeKeys(source.id);
      if (!keys.some((k) => k.id === request.params.keyId && !k.revokedAt))
        throw new PulseError('WRITE_KEY_NOT_FOUND', 'no active write key with that id on this source', {
          hint: 'GET /api/v1/sources lists the keys of each source.',
        });
      await auth.metadata.sources.revokeWriteKey(request.params.keyId);
      await record(request, 'write_key.revoked', 'source', source.id, { keyId: request.params.keyId });
      return { ok: true };
    },
  );

  app.get('/api/v1/api-keys', { config: access('api_keys:manage') }, async (request) => ({
    keys: await auth.apiKeys.list(workspaceOf(request)),
  }));

  app.post('/api/v1/api-keys', { config: access('api_keys:manage') }, async (request, reply) => {
    const workspaceId = workspaceOf(request);
    const body = parseBody(apiKeyBody, request.body, 'API key');
    await auth.roles.assertExists(workspaceId, body.role);
    const { key, info } = await auth.apiKeys.create({
      workspaceId,
      name: body.name,
      role: body.role,
      createdBy: request.principal.userId,
      expiresAt: body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null,
    });
    await record(request, 'api_key.created', 'api_key', info.id, { role: info.role, name: info.name });
    reply.status(201);
    // The only time the key is shown: only its hash is kept.
    return { key, ...info };
  });

  app.delete<{ Params: { id: string } }>(
    '/api/v1/api-keys/:id',
    { config: access('api_keys:manage') },
    async (request) => {
      const revoked = await auth.apiKeys.revoke(workspaceOf(request), request.params.id);
      if (!revoked)
        throw new PulseError('API_KEY_NOT_FOUND', 'no active API key with that id', {
          hint: 'GET /api/v1/api-keys lists them.',
        });
      await record(request, 'api_key.revoked', 'api_key', revoked.id);
      return revoked;
    },
  );

  app.get('/api/v1/audit', { config: access('audit:read') }, async (request) => {
    const query = parseBody(auditQuery, request.query, 'audit search');
    return auth.audit.search({ ...query, workspaceId: workspaceOf(request) });
  });

  app.get<{ Querystring: { format?: string } }>(
    '/api/v1/audit/export',
    { config: access('audit:read') },
    async (request, reply) => {
      const format = request.query.format === 'json' ? 'json' : 'csv';
      await record(request, 'audit.exported', 'audit_log', workspaceOf(request), { format });
      reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
      reply.header(
        'content-disposition',
        `attachment; filename="pulse-audit.${format === 'csv' ? 'csv' : 'jsonl'}"`,
      );
      const rows = auth.audit.exportRows(format, { workspaceId: workspaceOf(request) });
      const { Readable } = await import('node:stream');
      return reply.send(Readable.from(rows));
    },
  );
}
