import { PulseError, type SqlDriver } from '@pulse/core';
import {
  allowedDimensions,
  allowedGrains,
  isBaseMetric,
  type MetricCatalog,
  type MetricDefinition,
  metricDependencies,
  runFunnel,
  runMetricQuery,
  runRetention,
  sharedResultCache,
  sourcesByName,
  type Warehouse,
} from '@pulse/warehouse';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { access } from '../auth/access.ts';
import { dataPolicyOf } from '../auth/data-policy.ts';

export interface MetricRoutesOptions {
  warehouse: Warehouse;
  catalog: MetricCatalog;
  /** Where row policies and classifications live. */
  metadata: { db: SqlDriver };
}

/** A metric as the API lists it: its definition plus what it can be broken down by. */
export function describeMetric(m: MetricDefinition, catalog: MetricCatalog) {
  const source = isBaseMetric(m) ? sourcesByName.get(m.source) : undefined;
  return {
    name: m.name,
    label: m.label,
    description: m.description,
    category: m.category,
    owner: m.owner,
    version: m.version,
    type: m.type,
    format: m.format,
    ...(m.currency ? { currency: m.currency } : {}),
    upIsGood: m.up_is_good,
    ...(isBaseMetric(m)
      ? { source: m.source, expression: m.expression ?? null, filters: m.filters }
      : { dependsOn: metricDependencies(m) }),
    dimensions: allowedDimensions(m, catalog).map((name) => {
      const found =
        source?.dimensions[name] ??
        [...sourcesByName.values()].find((s) => name in s.dimensions)?.dimensions[name];
      return { name, type: found?.type ?? 'string', description: found?.description ?? '' };
    }),
    grains: allowedGrains(m, catalog),
  };
}

/** The caller's workspace, settled by the auth layer from their memberships (never a raw header). */
const workspaceOf = (request: FastifyRequest): string => {
  const id = request.principal.workspaceId;
  if (!id)
    throw new PulseError('WORKSPACE_NOT_FOUND', 'you are not in any workspace', {
      hint: 'Ask an admin to add you to one.',
    });
  return id;
};

/**
 * The metric API: the catalog, metric queries and the funnel and retention analyses. Every
 * body is validated; request values reach SQL only as query parameters.
 */
export function registerMetricRoutes(app: FastifyInstance, options: MetricRoutesOptions): void {
  const { warehouse, catalog } = options;
  app.get('/api/v1/metrics', { config: access('metrics:read') }, async () => {
    const metrics = [...catalog.values()]
      .map((m) => describeMetric(m, catalog))
      .sort((a, b) => a.category.localeCompare(b.category) || a.name.localeCompare(b.name));
    return { metrics, count: metrics.length };
  });

  app.get<{ Params: { name: string } }>(
    '/api/v1/metrics/:name',
    { config: access('metrics:read') },
    async (request) => {
      const m = catalog.get(request.params.name);
      if (!m)
        throw new PulseError('METRIC_NOT_FOUND', `no metric named "${request.params.name}"`, {
          hint: 'GET /api/v1/metrics lists them all',
        });
      return describeMetric(m, catalog);
    },
  );

  app.post('/api/v1/metrics/query', { config: access('metrics:read') }, async (request) =>
    runMetricQuery(warehouse, catalog, request.body as never, workspaceOf(request), {
      policy: await dataPolicyOf(request, options.metadata),
      // Explore previews and API clients repeat queries; answer each once per data change.
      cache: sharedResultCache(warehouse),
    }),
  );

  app.post('/api/v1/analyses/funnel', { config: access('metrics:read') }, async (request) =>
    runFunnel(warehouse, request.body as never, workspaceOf(request), {
      policy: await dataPolicyOf(request, options.metadata),
    }),
  );

  app.post('/api/v1/analyses/retention', { config: access('metrics:read') }, async (request) =>
    runRetention(warehouse, request.body as never, workspaceOf(request), {
      policy: await dataPolicyOf(request, options.metadata),
    }),
  );
}
