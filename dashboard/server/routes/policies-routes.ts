import { auditActor } from '../auth/audit-actor.ts';
import { PulseError } from '@pulse/core';
import type { AuditLog } from '@pulse/core/audit/index';
import type { SqlDriver } from '@pulse/core/metadata/index';
import {
  classifications,
  dataPoliciesRepository,
  resolveDataPolicy,
  rowPolicyInput,
} from '@pulse/core/rbac/data-policies';
import {
  dimensionClassification,
  type MetricCatalog,
  metricClassification,
  metricSources,
  policyDimensions,
} from '@pulse/warehouse';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { access } from '../auth/access.ts';

export interface PolicyRoutesDeps {
  metadata: { db: SqlDriver };
  /** The metric catalog: classifications can be set only on metrics it holds. */
  catalog: MetricCatalog;
  /** Every change is recorded when given (the lead passes the instance's audit log). */
  audit?: Pick<AuditLog, 'record'>;
}

const classificationBody = z.object({ classification: z.enum(classifications).nullable() }).strict();
const clearanceBody = z.object({ clearance: z.enum(classifications) }).strict();
const attributesBody = z.object({ attributes: z.record(z.string(), z.string()) }).strict();

/**
 * Data policies of the caller's workspace: row policies, classification overrides of dimensions
 * and metrics, custom-role clearances and member attributes (all `roles:manage`), and the
 * caller's own effective policy (`metrics:read`), so anyone can see why a number is filtered.
 */
export function registerPolicyRoutes(app: FastifyInstance, deps: PolicyRoutesDeps): void {
  const repo = dataPoliciesRepository(deps.metadata.db);
  const dimensions = new Set(policyDimensions());
  const record = (
    request: FastifyRequest,
    action: string,
    targetType: string,
    targetId: string,
    details = {},
  ) =>
    deps.audit?.record({
      ...auditActor(request),
      action,
      targetType,
      targetId,
      outcome: 'success',
      details,
    });

  app.get('/api/v1/policies', { config: access('roles:manage') }, async (request) => {
    const workspaceId = workspaceOf(request);
    const overrides = await repo.listClassifications(workspaceId);
    return {
      rowPolicies: await repo.listRowPolicies(workspaceId),
      policyDimensions: [...dimensions],
      dimensions: [...new Set(metricSources.flatMap((s) => Object.keys(s.dimensions)))]
        .sort()
        .map((name) => ({
          name,
          classification: dimensionClassification(name, { dimensionClassifications: overrides.dimension }),
          overridden: name in overrides.dimension,
        })),
      metrics: [...deps.catalog.values()].map((m) => ({
        name: m.name,
        classification: metricClassification(m, { metricClassifications: overrides.metric }),
        overridden: m.name in overrides.metric,
      })),
      clearances: await repo.listClearances(workspaceId),
    };
  });

  app.post('/api/v1/policies/rows', { config: access('roles:manage') }, async (request, reply) => {
    const workspaceId = workspaceOf(request);
    const body = parse(rowPolicyInput, request.body, 'row policy');
    if (!dimensions.has(body.dimension))
      throw new PulseError('POLICY_INVALID', `no dimension "${body.dimension}" can carry a row policy`, {
        hint: `Choose from: ${[...dimensions].join(', ')}.`,
        context: { dimension: body.dimension, valid: [...dimensions] },
      });
    if ('role' in body.appliesTo) await assertRole(deps.metadata.db, workspaceId, body.appliesTo.role);
    if ('userId' in body.appliesTo) await assertMember(deps.metadata.db, workspaceId, body.appliesTo.userId);
    const policy = await repo.createRowPolicy(workspaceId, body, request.principal.userId ?? undefined);
    await record(request, 'policy.row_created', 'row_policy', policy.id, {
      dimension: policy.dimension,
      appliesTo: policy.appliesTo,
    });
    reply.status(201);
    return policy;
  });

  app.delete<{ Params: { id: string } }>(
    '/api/v1/policies/rows/:id',
    { config: access('roles:manage') },
    async (request, reply) => {
      if (!(await repo.deleteRowPolicy(workspaceOf(request), request.params.id)))
        throw new PulseError('POLICY_NOT_FOUND', 'no such row policy in this workspace', {
          hint: 'GET /api/v1/policies lists them.',
        });
      await record(request, 'policy.row_deleted', 'row_policy', request.params.id);
      reply.status(204);
    },
  );

  app.put<{ Params: { kind: string; name: string } }>(
    '/api/v1/policies/classifications/:kind/:name',
    { config: access('roles:manage') },
    async (request) => {
      const { kind, name } = request.params;
      if (kind !== 'dimension' && kind !== 'metric')
        throw new PulseError('POLICY_INVALID', `cannot classify a "${kind}"`, {
          hint: 'Use /classifications/dimension/:name or /classifications/metric/:name.',
        });
      const known =
        kind === 'metric' ? deps.catalog.has(name) : metricSources.some((s) => name in s.dimensions);
      if (!known)
        throw new PulseError(`${kind.toUpperCase()}_NOT_FOUND`, `no ${kind} named "${name}"`, {
          hint: 'GET /api/v1/policies lists the dimensions and metrics with their classifications.',
        });
      const { classification } = parse(classificationBody, request.body, 'classification');
      await repo.setClassification(workspaceOf(request), kind, name, classification);
      await record(request, 'policy.classification_set', kind, name, { classification });
      return { kind, name, classification };
    },
  );

  app.put<{ Params: { role: string } }>(
    '/api/v1/policies/clearances/:role',
    { config: access('roles:manage') },
    async (request) => {
      const { clearance } = parse(clearanceBody, request.body, 'clearance');
      await repo.setClearance(workspaceOf(request), request.params.role, clearance);
      await record(request, 'policy.clearance_set', 'role', request.params.role, { clearance });
      return { role: request.params.role, clearance };
    },
  );

  app.put<{ Params: { userId: string } }>(
    '/api/v1/members/:userId/attributes',
    { config: access('roles:manage') },
    async (request) => {
      const { attributes } = parse(attributesBody, request.body, 'attribute set');
      if (!(await repo.setAttributes(workspaceOf(request), request.params.userId, attributes)))
        throw new PulseError('MEMBER_NOT_FOUND', 'no such member in this workspace', {
          hint: 'GET /api/v1/members lists them.',
        });
      await record(request, 'member.attributes_set', 'user', request.params.userId, { attributes });
      return { userId: request.params.userId, attributes };
    },
  );

  app.get('/api/v1/policies/effective', { config: access('metrics:read') }, async (request) => {
    const { principal } = request;
    return resolveDataPolicy(deps.metadata, {
      workspaceId: workspaceOf(request),
      userId: principal.userId,
      role: principal.role ?? '',
      attributes: principal.attributes,
    });
  });
}

const workspaceOf = (request: FastifyRequest): string => {
  const id = request.principal.workspaceId;
  if (!id)
    throw new PulseError('WORKSPACE_NOT_FOUND', 'you are not in any workspace', {
      hint: 'Ask an admin to add you to one.',
    });
  return id;
};

function parse<T extends z.ZodType>(schema: T, body: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new PulseError('POLICY_INVALID', `the ${what} is not valid`, {
      hint: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      context: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  return parsed.data;
}

async function assertRole(db: SqlDriver, workspaceId: string, role: string): Promise<void> {
  if (['viewer', 'analyst', 'editor'].includes(role)) return;
  const [row] = await db.query('SELECT 1 FROM custom_roles WHERE workspace_id = $1 AND name = $2', [
    workspaceId,
    role,
  ]);
  if (!row)
    throw new PulseError('ROLE_NOT_FOUND', `no role named "${role}" in this workspace`, {
      hint: 'Use viewer, analyst, editor or a custom role of this workspace (admins are never restricted).',
    });
}

async function assertMember(db: SqlDriver, workspaceId: string, userId: string): Promise<void> {
  const [row] = await db.query('SELECT 1 FROM workspace_members WHERE workspace_id = $1 AND user_id = $2', [
    workspaceId,
    userId,
  ]);
  if (!row)
    throw new PulseError('MEMBER_NOT_FOUND', 'that user is not a member of this workspace', {
      hint: 'GET /api/v1/members lists them.',
    });
}
