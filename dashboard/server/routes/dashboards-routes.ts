import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { isPulseError, type Logger, type MetadataStore, PulseError, type Registry } from '@pulse/core';
import type { MetricCatalog, Warehouse } from '@pulse/warehouse';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { z } from 'zod';
import { access } from '../auth/access.ts';
import { dataPolicyOf } from '../auth/data-policy.ts';
import { createDashboardLive } from '../dashboards/dashboard-live.ts';
import { createDashboardStore, loadBuiltInDashboards } from '../dashboards/dashboard-store.ts';
import {
  DASHBOARD_FORMAT_VERSION,
  parseDashboardDefinition,
  parseTile,
  parseWith,
} from '../dashboards/definition.ts';
import { queryRows, rowEntities, rowEntityNames } from '../dashboards/rows-query.ts';
import { parseViewState } from '../dashboards/view-state.ts';
import type { PipelineHealth } from '../services.ts';

export interface DashboardRoutesDeps {
  warehouse: Warehouse;
  catalog: MetricCatalog;
  metadata: Pick<MetadataStore, 'db' | 'dashboards' | 'reports'>;
  metrics: Registry;
  logger: Logger;
  /** Ingester stats for pipeline tiles (the overview source's `pipeline`). */
  pipeline?: () => Promise<PipelineHealth>;
  /** How often live dashboards refresh (default 2 s). */
  liveIntervalMs?: number;
}

const saveBody = z.object({ definition: z.unknown(), revision: z.number().int().min(1).optional() }).strict();
const duplicateBody = z
  .object({
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -'),
    title: z.string().min(1).max(120).optional(),
  })
  .strict();
const importBody = z
  .object({
    content: z.string().min(1).max(1_000_000),
    format: z.enum(['yaml', 'json']).default('yaml'),
    replace: z.boolean().default(false),
  })
  .strict();
const rowsQuery = z
  .object({
    page: z.coerce.number().int().min(1).default(1),
    pageSize: z.coerce.number().int().min(1).max(200).default(50),
  })
  .loose();

/**
 * Dashboards: list, open, edit, duplicate, export/import (dashboards as code), add tiles (Explore
 * adds saved reports with `{ data: { kind: 'report', reportId } }`), live snapshots over SSE, and
 * the underlying rows a drill-down ends on. The workspace is always the caller's principal's.
 */
export function registerDashboardRoutes(
  app: FastifyInstance,
  deps: DashboardRoutesDeps,
): { close(): void; nudge(workspaceId: string): void } {
  const store = createDashboardStore(deps.metadata, loadBuiltInDashboards());
  const live = createDashboardLive({ ...deps, store, intervalMs: deps.liveIntervalMs ?? 2000 });
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of streams) res.end();
    live.close();
  });

  const describe = (d: Awaited<ReturnType<typeof store.get>>) => ({
    id: d.id,
    slug: d.slug,
    title: d.title,
    description: d.definition.description,
    builtIn: d.builtIn,
    revision: d.revision,
    updatedAt: d.updatedAt,
    definition: d.definition,
  });

  app.get('/api/v1/dashboards', { config: access('dashboards:read') }, async (request) => {
    const list = await store.list(workspaceOf(request));
    return {
      dashboards: list.map(({ definition, ...d }) => ({
        ...d,
        description: definition.description,
        tiles: definition.tiles.length,
      })),
    };
  });

  app.post('/api/v1/dashboards', { config: access('dashboards:write') }, async (request, reply) => {
    const definition = parseDashboardDefinition(request.body);
    reply.status(201);
    return describe(await store.create(workspaceOf(request), definition, request.principal?.userId));
  });

  app.get<{ Params: { slug: string } }>(
    '/api/v1/dashboards/:slug',
    { config: access('dashboards:read') },
    async (request) => describe(await store.get(workspaceOf(request), request.params.slug)),
  );

  app.put<{ Params: { slug: string } }>(
    '/api/v1/dashboards/:slug',
    { config: access('dashboards:write') },
    async (request) => {
      const body = parseWith(saveBody, request.body, 'save request');
      const ws = workspaceOf(request);
      const saved = await store.save(
        await store.get(ws, request.params.slug),
        parseDashboardDefinition(body.definition),
        body.revision,
      );
      live.invalidate(ws, saved.slug);
      return describe(saved);
    },
  );

  app.delete<{ Params: { slug: string } }>(
    '/api/v1/dashboards/:slug',
    { config: access('dashboards:write') },
    async (request, reply) => {
      await store.delete(await store.get(workspaceOf(request), request.params.slug));
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { slug: string } }>(
    '/api/v1/dashboards/:slug/duplicate',
    { config: access('dashboards:write') },
    async (request, reply) => {
      const body = parseWith(duplicateBody, request.body, 'duplicate request');
      const ws = workspaceOf(request);
      const source = await store.get(ws, request.params.slug);
      const copy = { ...source.definition, slug: body.slug, title: body.title ?? `${source.title} (copy)` };
      reply.status(201);
      return describe(await store.create(ws, copy, request.principal?.userId));
    },
  );

  app.post<{ Params: { slug: string } }>(
    '/api/v1/dashboards/:slug/tiles',
    { config: access('dashboards:write') },
    async (request, reply) => {
      const ws = workspaceOf(request);
      const current = await store.get(ws, request.params.slug);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const tile = parseTile({ ...body, id: body.id ?? `tile-${randomUUID().slice(0, 8)}` });
      const definition = parseDashboardDefinition({
        ...current.definition,
        tiles: [...current.definition.tiles, tile],
      });
      const saved = await store.save(current, definition);
      live.invalidate(ws, saved.slug);
      reply.status(201);
      return { tile, dashboard: describe(saved) };
    },
  );

  app.delete<{ Params: { slug: string; tileId: string } }>(
    '/api/v1/dashboards/:slug/tiles/:tileId',
    { config: access('dashboards:write') },
    async (request) => {
      const ws = workspaceOf(request);
      const current = await store.get(ws, request.params.slug);
      const tiles = current.definition.tiles.filter((t) => t.id !== request.params.tileId);
      if (tiles.length === current.definition.tiles.length)
        throw new PulseError('TILE_NOT_FOUND', `no tile "${request.params.tileId}" on "${current.slug}"`, {
          hint: 'GET the dashboard to see its tile ids',
        });
      const saved = await store.save(current, { ...current.definition, tiles });
      live.invalidate(ws, saved.slug);
      return describe(saved);
    },
  );

  app.get<{ Params: { slug: string }; Querystring: { format?: string } }>(
    '/api/v1/dashboards/:slug/export',
    { config: access('dashboards:read') },
    async (request, reply) => {
      const d = await store.get(workspaceOf(request), request.params.slug);
      const format = request.query.format === 'json' ? 'json' : 'yaml';
      const file = { ...d.definition, version: DASHBOARD_FORMAT_VERSION };
      reply.header('content-disposition', `attachment; filename="${d.slug}.dashboard.${format}"`);
      reply.type(format === 'json' ? 'application/json' : 'application/yaml');
      return format === 'json' ? JSON.stringify(file, null, 2) : toYaml(file);
    },
  );

  app.post('/api/v1/dashboards/import', { config: access('dashboards:write') }, async (request, reply) => {
    const body = parseWith(importBody, request.body, 'import request');
    let raw: unknown;
    try {
      raw = body.format === 'json' ? JSON.parse(body.content) : parseYaml(body.content);
    } catch (err) {
      throw new PulseError('DASHBOARD_INVALID', `the file is not valid ${body.format.toUpperCase()}`, {
        hint: (err as Error).message,
      });
    }
    const definition = parseDashboardDefinition(raw);
    const ws = workspaceOf(request);
    const existing = await store.find(ws, definition.slug);
    if (existing && !body.replace)
      throw new PulseError('DASHBOARD_CONFLICT', `a dashboard "${definition.slug}" exists already`, {
        hint: 'import with "replace": true, or change the slug in the file',
      });
    const saved = existing
      ? await store.save(existing, definition)
      : await store.create(ws, definition, request.principal?.userId);
    live.invalidate(ws, saved.slug);
    reply.status(existing ? 200 : 201);
    return describe(saved);
  });

  app.get<{ Params: { slug: string } }>(
    '/api/v1/dashboards/:slug/data',
    { config: access('dashboards:read') },
    async (request) => {
      const ws = workspaceOf(request);
      const d = await store.get(ws, request.params.slug);
      return live.read({
        workspaceId: ws,
        slug: d.slug,
        state: parseViewState(request.query, d.definition),
        canSeePipeline: canSeePipeline(request),
        policy: await dataPolicyOf(request, deps.metadata),
      });
    },
  );

  app.get<{ Params: { slug: string } }>(
    '/api/v1/dashboards/:slug/live',
    { config: access('dashboards:read') },
    async (request, reply) => {
      const ws = workspaceOf(request);
      const d = await store.get(ws, request.params.slug);
      const state = parseViewState(request.query, d.definition);
      const policy = await dataPolicyOf(request, deps.metadata);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-request-id': request.id,
      });
      res.write('retry: 3000\n\n');
      const unsubscribe = live.subscribe(
        { workspaceId: ws, slug: d.slug, state, canSeePipeline: canSeePipeline(request), policy },
        (snapshot) => res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`),
        (err) => res.write(`event: refresh-error\ndata: ${JSON.stringify(errorBody(err))}\n\n`),
      );
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), 15_000);
      streams.add(res);
      request.raw.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(res);
      });
    },
  );

  app.get<{ Params: { entity: string } }>(
    '/api/v1/rows/:entity',
    { config: access('rows:read') },
    async (request) => {
      const { page, pageSize } = parseWith(rowsQuery, request.query, 'rows request');
      const entity = request.params.entity;
      const filterDimensions =
        entity in rowEntities ? Object.keys(rowEntities[entity as keyof typeof rowEntities].filters) : [];
      const state = parseViewState(
        request.query,
        parseDashboardDefinition({ version: 1, slug: 'rows', title: 'rows', filterDimensions, tiles: [] }),
      );
      if (!rowEntityNames.includes(entity as never))
        throw new PulseError('ROWS_INVALID', `no rows called "${entity}"`, {
          hint: `choose from: ${rowEntityNames.join(', ')}`,
        });
      const policy = await dataPolicyOf(request, deps.metadata);
      return queryRows(deps.warehouse, {
        entity,
        state,
        page,
        pageSize,
        workspaceId: workspaceOf(request),
        policy,
      });
    },
  );

  return { close: () => live.close(), nudge: (workspaceId) => live.nudge(workspaceId) };
}

function workspaceOf(request: FastifyRequest): string {
  const ws = request.principal?.workspaceId;
  if (!ws)
    throw new PulseError('WORKSPACE_INVALID', 'this request acts in no workspace', {
      hint: 'sign in, or choose a workspace you are a member of',
    });
  return ws;
}

const canSeePipeline = (request: FastifyRequest) =>
  request.principal?.permissions.has('pipeline:read') ?? false;

function errorBody(err: unknown) {
  return isPulseError(err)
    ? { code: err.code, message: err.message, hint: err.hint }
    : {
        code: 'REFRESH_FAILED',
        message: 'the dashboard could not be refreshed',
        hint: 'it retries on its own; check the server log if it persists',
      };
}
