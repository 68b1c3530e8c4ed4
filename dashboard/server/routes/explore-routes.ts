import { type MetadataStore, PulseError } from '@pulse/core';
import { allowedDimensions, type MetricCatalog, runMetricQuery, type Warehouse } from '@pulse/warehouse';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  describeIssues,
  type ReportDefinition,
  reportDefinitionSchema,
} from '../../src/lib/explore/report-definition.ts';
import { access } from '../auth/access.ts';
import { dataPolicyOf } from '../auth/data-policy.ts';
import { loadSqlCatalog, runSql } from '../sql/index.ts';
import { policyRestrictions } from '../sql/table-filters.ts';

export interface ExploreRoutesDeps {
  warehouse: Warehouse;
  catalog: MetricCatalog;
  metadata: Pick<MetadataStore, 'db' | 'reports'>;
  /** SQL tab limits; defaults suit an interactive grid. */
  sql?: { maxRows?: number; timeoutSeconds?: number; maxMemoryBytes?: number };
}

const reportBody = z.object({ title: z.string().trim().min(1).max(120), definition: z.unknown() }).strict();
const reportChange = z
  .object({
    title: z.string().trim().min(1).max(120).optional(),
    definition: z.unknown().optional(),
    /** The version the editor started from: a concurrent save in between is a 409, not lost. */
    version: z.number().int().min(1),
  })
  .strict();
const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().max(200).optional(),
  })
  .strict();
const sqlBody = z
  .object({ sql: z.string().min(1).max(100_000), maxRows: z.number().int().min(1).max(10_000).optional() })
  .strict();
const idParam = z.object({ id: z.uuid('a report id is a uuid') });

/**
 * Explore and the SQL tab: saved reports (CRUD, versioned), the builder's preview, the SQL
 * schema browser and the SQL runner. Every route declares its permission and acts in the
 * caller's workspace only; a report of another workspace is "not found", never "forbidden".
 */
export function registerExploreRoutes(app: FastifyInstance, deps: ExploreRoutesDeps): void {
  const maxRows = deps.sql?.maxRows ?? 5000;
  const timeoutSeconds = deps.sql?.timeoutSeconds ?? 30;

  app.get('/api/v1/reports', { config: access('reports:read') }, async (request) => {
    const q = parse(listQuery, request.query, 'REPORT_INVALID', 'the list request');
    const page = await deps.metadata.reports.list(workspaceOf(request), q);
    return { reports: page.items.map(describeReport), nextCursor: page.nextCursor };
  });

  app.post('/api/v1/reports', { config: access('reports:write') }, async (request, reply) => {
    const body = parse(reportBody, request.body, 'REPORT_INVALID', 'the report');
    const definition = checkDefinition(body.definition, deps.catalog);
    const saved = await deps.metadata.reports.create({
      workspaceId: workspaceOf(request),
      title: body.title,
      definition,
      ...(request.principal.userId ? { createdBy: request.principal.userId } : {}),
    });
    reply.status(201);
    return describeReport(saved);
  });

  app.get('/api/v1/reports/:id', { config: access('reports:read') }, async (request) =>
    describeReport(await ownReport(request, deps)),
  );

  app.put('/api/v1/reports/:id', { config: access('reports:write') }, async (request) => {
    const current = await ownReport(request, deps);
    const change = parse(reportChange, request.body, 'REPORT_INVALID', 'the change');
    const saved = await deps.metadata.reports.update(current.id, {
      expectedVersion: change.version,
      ...(change.title ? { title: change.title } : {}),
      ...(change.definition === undefined
        ? {}
        : { definition: checkDefinition(change.definition, deps.catalog) }),
    });
    return describeReport(saved);
  });

  app.delete('/api/v1/reports/:id', { config: access('reports:write') }, async (request, reply) => {
    const current = await ownReport(request, deps);
    await deps.metadata.reports.delete(current.id);
    return reply.status(204).send();
  });

  // A saved report's numbers for whoever may read reports (a viewer opening a shared link), under
  // their own policy; changing the query stays with `explore:use`.
  app.get('/api/v1/reports/:id/result', { config: access('reports:read') }, async (request) => {
    const report = await ownReport(request, deps);
    const definition = checkDefinition(report.definition, deps.catalog);
    return runMetricQuery(deps.warehouse, deps.catalog, definition.query, workspaceOf(request), {
      policy: await dataPolicyOf(request, deps.metadata),
    });
  });

  // The builder's instant preview: the report's metric query, in the caller's workspace and policy.
  app.post('/api/v1/explore/preview', { config: access('explore:use') }, async (request) => {
    const definition = checkDefinition(request.body, deps.catalog);
    return runMetricQuery(deps.warehouse, deps.catalog, definition.query, workspaceOf(request), {
      policy: await dataPolicyOf(request, deps.metadata),
    });
  });

  app.get('/api/v1/sql/schema', { config: access('sql:run') }, async (request) => {
    const catalog = await loadSqlCatalog(deps.warehouse);
    const denied = policyRestrictions(await dataPolicyOf(request, deps.metadata))?.deniedColumns ?? {};
    return {
      database: catalog.database,
      tables: catalog.tables.map((t) => ({
        ...t,
        columns: t.columns.map((c) => ({ ...c, restricted: denied[t.name]?.includes(c.name) ?? false })),
      })),
    };
  });

  app.post('/api/v1/sql', { config: access('sql:run') }, async (request) => {
    const body = parse(sqlBody, request.body, 'SQL_INVALID', 'the SQL request');
    const policy = policyRestrictions(await dataPolicyOf(request, deps.metadata));
    return runSql(deps.warehouse, {
      sql: body.sql,
      workspaceId: workspaceOf(request),
      ...(policy ? { policy } : {}),
      maxRows: Math.min(body.maxRows ?? maxRows, maxRows),
      timeoutSeconds,
      ...(deps.sql?.maxMemoryBytes ? { maxMemoryBytes: deps.sql.maxMemoryBytes } : {}),
    });
  });
}

function describeReport(r: Awaited<ReturnType<ExploreRoutesDeps['metadata']['reports']['create']>>) {
  return {
    id: r.id,
    title: r.title,
    definition: r.definition as ReportDefinition,
    version: r.version,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** Validates a definition and checks its metrics and dimensions against the catalog. */
export function checkDefinition(input: unknown, catalog: MetricCatalog): ReportDefinition {
  const parsed = reportDefinitionSchema.safeParse(input);
  if (!parsed.success)
    throw new PulseError('REPORT_INVALID', 'the report definition is not valid', {
      hint: describeIssues(parsed.error),
      context: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  const { metrics, dimensions, filters } = parsed.data.query;
  const unknown = metrics.filter((m) => !catalog.has(m));
  if (unknown.length > 0)
    throw new PulseError('REPORT_INVALID', `unknown metric ${unknown.map((m) => `"${m}"`).join(', ')}`, {
      hint: 'GET /api/v1/metrics lists the metrics you can use.',
      context: { unknown, valid: [...catalog.keys()].sort() },
    });
  for (const dimension of [...dimensions, ...filters.map((f) => f.dimension)])
    for (const m of metrics) {
      const allowed = allowedDimensions(catalog.get(m)!, catalog);
      if (!allowed.includes(dimension))
        throw new PulseError(
          'REPORT_INVALID',
          `metric "${m}" cannot be broken down or filtered by "${dimension}"`,
          {
            hint: `"${m}" allows: ${allowed.join(', ') || 'no dimensions'}.`,
            context: { metric: m, dimension, valid: allowed },
          },
        );
    }
  return parsed.data;
}

async function ownReport(request: FastifyRequest, deps: ExploreRoutesDeps) {
  const { id } = parse(idParam, request.params, 'REPORT_INVALID', 'the report id');
  const report = await deps.metadata.reports.get(id);
  if (!report || report.workspaceId !== workspaceOf(request))
    throw new PulseError('REPORT_NOT_FOUND', `no report ${id} in this workspace`, {
      hint: 'GET /api/v1/reports lists the reports you can open.',
    });
  return report;
}

/** The caller's workspace, settled by the auth layer from their memberships (never a raw header). */
function workspaceOf(request: FastifyRequest): string {
  const id = request.principal?.workspaceId;
  if (!id)
    throw new PulseError('WORKSPACE_NOT_FOUND', 'you are not in any workspace', {
      hint: 'Ask an admin to add you to one.',
    });
  return id;
}

function parse<T extends z.ZodType>(schema: T, input: unknown, code: string, what: string): z.infer<T> {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success)
    throw new PulseError(code, `${what} is not valid`, {
      hint: describeIssues(parsed.error),
      context: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  return parsed.data;
}
