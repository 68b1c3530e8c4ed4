import { funnelQuerySchema, metricQuerySchema, retentionQuerySchema } from '@pulse/warehouse';
import type { FastifyInstance } from 'fastify';
import { publicRoute } from '../auth/access.ts';
import type { RegisteredRoute } from '../auth/auth-plugin.ts';
import { z } from 'zod';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const body = (name: string) => ({ required: true, content: { 'application/json': { schema: ref(name) } } });
const ok = (description: string, schema: object = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
});
const errors = {
  '400': {
    description: 'The request is not valid; `error.details` lists the valid choices.',
    content: { 'application/json': { schema: ref('Error') } },
  },
  '500': {
    description: 'Something failed on the server; quote the request id.',
    content: { 'application/json': { schema: ref('Error') } },
  },
};
const segmentCall = (call: string) => ({
  post: {
    tags: ['collector'],
    summary: `Segment ${call} call`,
    description:
      'Segment-compatible: HTTP Basic with the write key as the user name, or `writeKey` in the body. gzip bodies accepted.',
    security: [{ writeKeyBasic: [] }, { writeKeyBearer: [] }],
    requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
    responses: {
      '200': ok(
        'Accepted: every event is durably on the bus. Rejected events are listed with index and reason.',
      ),
      '400': errors['400'],
      '401': { description: 'Missing or unknown write key.' },
      '413': { description: 'Body or batch too large; the message names the limit.' },
      '429': { description: 'Rate limit for the write key; retry after `Retry-After` seconds.' },
      '503': {
        description: 'The bus cannot take events now; nothing was acknowledged. Retry after `Retry-After`.',
      },
    },
  },
});

/** The OpenAPI 3.1 description of Pulse's HTTP API, served at `/api/v1/openapi.json`. */
export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pulse API',
      version,
      description:
        'Metrics, analyses, live overview and event collection. Values in requests reach SQL only as query parameters. Every answer carries an `x-request-id` header.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'metrics', description: 'The metric catalog and metric queries' },
      { name: 'analyses', description: 'Funnels and cohort retention' },
      { name: 'collector', description: 'Event ingestion (Segment-compatible and native)' },
      { name: 'operations', description: 'Health, readiness, Prometheus metrics, live overview' },
    ],
    paths: {
      '/api/v1/metrics': {
        get: {
          tags: ['metrics'],
          summary: 'List the metric catalog',
          responses: { '200': ok('Every metric with its dimensions and grains', ref('MetricList')) },
        },
      },
      '/api/v1/metrics/{name}': {
        get: {
          tags: ['metrics'],
          summary: 'One metric definition',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': ok('The metric', ref('Metric')), '404': { description: 'No such metric' } },
        },
      },
      '/api/v1/metrics/query': {
        post: {
          tags: ['metrics'],
          summary: 'Query metrics by dimensions, filters, time range and grain',
          description:
            'Returns typed columns and rows plus the SQL that ran and which rollup answered (`plan`). With `compare: "previous_period"` each row also has `<metric>__previous` and `<metric>__change`. The workspace is taken from the `x-pulse-workspace` header.',
          parameters: [
            { name: 'x-pulse-workspace', in: 'header', required: false, schema: { type: 'string' } },
          ],
          requestBody: body('MetricQuery'),
          responses: { '200': ok('The result', ref('MetricQueryResult')), ...errors },
        },
      },
      '/api/v1/analyses/funnel': {
        post: {
          tags: ['analyses'],
          summary: 'Ordered funnel conversion over product events',
          requestBody: body('FunnelQuery'),
          responses: { '200': ok('People reaching each step and the conversion'), ...errors },
        },
      },
      '/api/v1/analyses/retention': {
        post: {
          tags: ['analyses'],
          summary: 'Weekly cohort retention',
          requestBody: body('RetentionQuery'),
          responses: { '200': ok('Cohorts with retained people and rates per week'), ...errors },
        },
      },
      '/api/v1/openapi.json': {
        get: { tags: ['operations'], summary: 'This document', responses: { '200': ok('OpenAPI 3.1') } },
      },
      '/api/v1/overview': {
        get: {
          tags: ['operations'],
          summary: 'Counts, latest events and pipeline health',
          responses: { '200': ok('The overview') },
        },
      },
      '/api/v1/live': {
        get: {
          tags: ['operations'],
          summary: 'Server-Sent Events stream of the overview',
          responses: {
            '200': { description: '`event: overview` messages', content: { 'text/event-stream': {} } },
          },
        },
      },
      '/healthz': { get: { tags: ['operations'], summary: 'Liveness', responses: { '200': ok('ok') } } },
      '/readyz': {
        get: {
          tags: ['operations'],
          summary: 'Readiness of the warehouse, metadata store and bus',
          responses: { '200': ok('ready'), '503': { description: 'not ready, with the failing checks' } },
        },
      },
      '/metrics': {
        get: {
          tags: ['operations'],
          summary: 'Prometheus metrics',
          responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': {} } } },
        },
      },
      '/v1/batch': segmentCall('batch'),
      '/v1/track': segmentCall('track'),
      '/v1/identify': segmentCall('identify'),
      '/v1/page': segmentCall('page'),
      '/v1/screen': segmentCall('screen'),
      '/v1/group': segmentCall('group'),
      '/v1/alias': segmentCall('alias'),
      '/v1/events': {
        post: {
          ...segmentCall('native').post,
          summary: 'Native batch of social, CRM and product events (the event contract JSON)',
        },
      },
    },
    components: {
      securitySchemes: {
        writeKeyBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'Write key as the user name, empty password',
        },
        writeKeyBearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        MetricQuery: json(metricQuerySchema),
        FunnelQuery: json(funnelQuerySchema),
        RetentionQuery: json(retentionQuerySchema),
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'requestId'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                hint: { type: 'string' },
                details: { type: 'object' },
                requestId: { type: 'string' },
              },
            },
          },
        },
        Metric: {
          type: 'object',
          required: ['name', 'label', 'description', 'version', 'type', 'format', 'dimensions', 'grains'],
          properties: {
            name: { type: 'string' },
            label: { type: 'string' },
            description: { type: 'string' },
            category: { type: 'string', enum: ['social', 'crm', 'product', 'pipeline'] },
            owner: { type: 'string' },
            version: { type: 'integer' },
            type: { type: 'string', enum: ['sum', 'count', 'count_distinct', 'ratio', 'derived', 'share'] },
            format: { type: 'string', enum: ['number', 'percent', 'currency', 'duration'] },
            upIsGood: { type: 'boolean' },
            dimensions: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  type: { type: 'string' },
                  description: { type: 'string' },
                },
              },
            },
            grains: { type: 'array', items: { type: 'string' } },
          },
        },
        MetricList: {
          type: 'object',
          properties: { metrics: { type: 'array', items: ref('Metric') }, count: { type: 'integer' } },
        },
        MetricQueryResult: {
          type: 'object',
          required: ['columns', 'rows', 'sql', 'plan', 'timeRange'],
          properties: {
            columns: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  kind: { type: 'string', enum: ['time', 'dimension', 'metric'] },
                  type: { type: 'string', enum: ['time', 'string', 'number'] },
                  label: { type: 'string' },
                  format: { type: 'string' },
                },
              },
            },
            rows: { type: 'array', items: { type: 'object', additionalProperties: true } },
            truncated: { type: 'boolean' },
            timeRange: { type: 'object' },
            sql: { type: 'string' },
            params: { type: 'object' },
            plan: { type: 'array', items: { type: 'object' } },
            comparison: { type: 'object' },
            elapsedMs: { type: 'number' },
          },
        },
      },
    },
  };
}

type Document = ReturnType<typeof openApiDocument>;
type Operation = Record<string, unknown>;

/**
 * Adds every registered route the hand-written part does not describe, with what it requires
 * (`x-pulse-permission`) and how to authenticate, so the document never lags behind the server.
 */
export function withRegisteredRoutes(document: Document, routes: RegisteredRoute[]): Document {
  const paths = structuredClone(document.paths) as Record<string, Record<string, Operation>>;
  for (const route of routes) {
    if (route.method === 'OPTIONS' || route.url === '*' || route.url === '/*') continue;
    const path = route.url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}');
    const method = route.method.toLowerCase();
    paths[path] ??= {};
    const entry = paths[path];
    if (entry[method]) continue;
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const access = route.access;
    const isPublic = access !== undefined && 'public' in access;
    entry[method] = {
      tags: [path.split('/')[3] ?? 'other'],
      summary: `${route.method} ${path}`,
      ...(params.length ? { parameters: params } : {}),
      ...(isPublic
        ? { security: [], description: `Public: ${access.reason}.` }
        : {
            security: [{ session: [] }, { apiKey: [] }],
            'x-pulse-permission':
              access && 'permission' in access ? access.permission : access ? 'signed-in' : 'none',
          }),
      ...(['post', 'put', 'patch'].includes(method)
        ? { requestBody: { content: { 'application/json': { schema: { type: 'object' } } } } }
        : {}),
      responses: {
        '200': { description: route.stream ? 'A Server-Sent Events stream.' : 'OK' },
        ...(isPublic
          ? {}
          : {
              '401': { description: 'Not signed in, or an unknown API key.' },
              '403': {
                description: 'The caller lacks the permission (or the request failed the CSRF check).',
              },
            }),
        ...errors,
      },
    };
  }
  return {
    ...document,
    paths: paths as Document['paths'],
    components: {
      ...document.components,
      securitySchemes: {
        ...(document.components as { securitySchemes?: object }).securitySchemes,
        session: { type: 'apiKey', in: 'cookie', name: 'pulse_session' },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key `pulse_sk_…` (Settings → API keys).',
        },
      },
    } as unknown as Document['components'],
  };
}

export function registerOpenApiRoute(
  app: FastifyInstance,
  version: string,
  routes: () => RegisteredRoute[] = () => [],
): void {
  let document: Document | undefined;
  app.get('/api/v1/openapi.json', { config: publicRoute('the API description') }, async () => {
    // Built on first use, when every role has registered its routes.
    document ??= withRegisteredRoutes(openApiDocument(version), routes());
    return document;
  });
}
