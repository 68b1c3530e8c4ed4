import { auditActor } from '../auth/audit-actor.ts';
import { type Logger, PulseError, type RetentionConfig, type StreamFamily } from '@pulse/core';
import type { AuditLog } from '@pulse/core/audit/index';
import type { MetadataStore } from '@pulse/core/metadata/index';
import { type PrivacyRequestKind, privacyRequestsRepository } from '@pulse/core/privacy/index';
import type { Warehouse } from '@pulse/warehouse';
import {
  createPrivacyQueue,
  type PrivacyQueue,
  retentionTables,
  subjectInput,
} from '@pulse/warehouse/privacy/index';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { access } from '../auth/access.ts';

export interface PrivacyRoutesDeps {
  warehouse: Warehouse;
  metadata: MetadataStore;
  audit: AuditLog;
  retention: RetentionConfig;
  logger?: Logger;
}

/** One subject per request: the ledger records exactly what was asked for. */
const requestBody = subjectInput.refine((s) => !(s.userId && s.email), {
  message: 'name the subject by userId or by email, not both (make two requests)',
});
const listQuery = z.object({
  kind: z.enum(['erasure', 'access']).optional(),
  status: z.enum(['pending', 'running', 'completed', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(500).optional(),
});

/**
 * Data-subject requests and retention, for `privacy:manage`. Requests are answered 202 at once
 * and carried out in the background one at a time (an erasure rewrites parts and rebuilds rollup
 * days); GET …/requests/:id shows the status and, when done, the counts per table and the
 * verification. Everything is scoped to the caller's workspace.
 */
export function registerPrivacyRoutes(
  app: FastifyInstance,
  deps: PrivacyRoutesDeps,
): { queue: PrivacyQueue } {
  const requests = privacyRequestsRepository(deps.metadata.db);
  const queue = createPrivacyQueue({
    warehouse: deps.warehouse,
    requests,
    audit: deps.audit,
    logger: deps.logger,
  });
  const manage = { config: access('privacy:manage') };

  const create =
    (kind: PrivacyRequestKind) => async (request: FastifyRequest, reply: { code(n: number): unknown }) => {
      const workspaceId = workspaceOf(request);
      const subject = parse(
        requestBody,
        request.body,
        'PRIVACY_SUBJECT_INVALID',
        'Send {"userId": "…"} or {"email": "…"}.',
      );
      const created = await requests.create({
        workspaceId,
        kind,
        subjectType: subject.email ? 'email' : 'user_id',
        subject: (subject.email ?? subject.userId)!,
        requestedBy: request.principal.userId ?? request.principal.apiKeyId ?? 'unknown',
      });
      await deps.audit.record({
        ...auditActor(request),
        workspaceId,
        action: `privacy.${kind}_requested`,
        targetType: 'privacy_request',
        targetId: created.id,
        outcome: 'success',
      });
      void queue
        .enqueue(created)
        .catch((err: unknown) => deps.logger?.error({ err }, 'privacy request failed'));
      reply.code(202);
      return created;
    };
  app.post('/api/v1/privacy/erasures', manage, create('erasure'));
  app.post('/api/v1/privacy/access-requests', manage, create('access'));

  app.get('/api/v1/privacy/requests', manage, async (request) => {
    const q = parse(
      listQuery,
      request.query,
      'PRIVACY_QUERY_INVALID',
      'Filter with kind, status, limit, cursor.',
    );
    return requests.list(workspaceOf(request), q);
  });

  app.get<{ Params: { id: string } }>('/api/v1/privacy/requests/:id', manage, async (request) =>
    requests.get(workspaceOf(request), request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/privacy/requests/:id/export',
    manage,
    async (request, reply) => {
      const workspaceId = workspaceOf(request);
      const { request: found, jsonLines } = await requests.readExport(workspaceId, request.params.id);
      await deps.audit.record({
        ...auditActor(request),
        workspaceId,
        action: 'privacy.access_downloaded',
        targetType: 'privacy_request',
        targetId: found.id,
        outcome: 'success',
      });
      return reply
        .header('content-type', 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="pulse-access-${found.id}.jsonl"`)
        .header('cache-control', 'no-store')
        .send(jsonLines);
    },
  );

  app.get('/api/v1/privacy/retention', manage, async () => ({
    families: (Object.entries(retentionTables) as [StreamFamily, readonly string[]][]).map(
      ([family, tables]) => ({
        family,
        days: deps.retention[family],
        keepsForever: deps.retention[family] === 0,
        tables,
        granularity: 'month',
      }),
    ),
  }));

  return { queue };
}

function workspaceOf(request: FastifyRequest): string {
  const ws = request.principal?.workspaceId;
  if (!ws)
    throw new PulseError('PRIVACY_WORKSPACE_INVALID', 'this request acts in no workspace', {
      hint: 'Choose a workspace with the x-pulse-workspace header among your memberships.',
    });
  return ws;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, code: string, hint: string): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success)
    throw new PulseError(code, z.prettifyError(parsed.error), {
      hint,
      context: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  return parsed.data;
}
