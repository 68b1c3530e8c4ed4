import type { IncomingMessage, ServerResponse } from 'node:http';
import { Histogram, isPulseError } from '@pulse/core';
import { fastifyOptions } from './fastify-options.ts';
import Fastify, { type FastifyInstance } from 'fastify';
import { access, publicRoute } from './auth/access.ts';
import { type AuthPlugin, installAuth } from './auth/auth-plugin.ts';
import { registerAuthRoutes } from './auth/auth-routes.ts';
import type { AuthServices } from './auth/auth-services.ts';
import { pageSecurityHeaders } from './auth/security-headers.ts';
import { createOverviewFeed } from './overview-feed.ts';
import { registerAdminRoutes } from './routes/admin-routes.ts';
import { registerOpenApiRoute } from './routes/openapi.ts';
import { type PulseServices, servicesKey } from './services.ts';

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
export interface HttpServerOptions {
  /** Accounts, sessions, API keys and roles: every route is gated by them. */
  auth: AuthServices;
  /** Where users reach Pulse (links in invitations). */
  publicUrl?: string;
  /** SSO is configured: the sign-in page offers it. */
  oidcEnabled?: boolean;
  /** adapter-node's handler: everything that is not an API route goes to SvelteKit. */
  sveltekitHandler?: NodeHandler | undefined;
  /** How often live viewers get a fresh overview. */
  liveIntervalMs?: number;
  readinessTimeoutMs?: number;
  /** More routes owned by other roles (the collector). */
  registerRoutes?: (app: FastifyInstance) => void;
}

/** HTTP status for each PulseError code family; anything unknown is a 500. */
function statusFor(code: string): number {
  if (code === 'AUTH_REQUIRED' || code === 'MFA_REQUIRED' || code === 'INVALID_CREDENTIALS') return 401;
  if (code === 'API_KEY_UNKNOWN' || code === 'SESSION_INVALID') return 401;
  if (code === 'ACCOUNT_LOCKED' || code === 'LOGIN_THROTTLED') return 429;
  if (code.endsWith('_FORBIDDEN') || code.endsWith('_DENIED') || code === 'CSRF_FAILED') return 403;
  if (code === 'ACCOUNT_DISABLED' || code === 'ROUTE_ACCESS_UNDECLARED') return 403;
  if (code.endsWith('_INVALID') || code.startsWith('INVALID_') || code === 'BAD_REQUEST') return 400;
  if (code.endsWith('_NOT_FOUND')) return 404;
  if (code.endsWith('_CONFLICT')) return 409;
  if (code.endsWith('_UNAVAILABLE') || code.endsWith('_TIMEOUT')) return 503;
  return 500;
}

/**
 * The Pulse HTTP server: health, readiness, metrics, the JSON API and live stream, and the
 * SvelteKit dashboard behind them. Not listening yet: the caller decides where.
 */
export async function createHttpServer(
  services: PulseServices,
  options: HttpServerOptions,
): Promise<FastifyInstance & { auth: AuthPlugin }> {
  const app = Fastify(fastifyOptions(services.logger));
  const feed = createOverviewFeed(services.overview, {
    intervalMs: options.liveIntervalMs ?? 2000,
    isDemo: services.isDemo,
    logger: services.logger,
  });
  const duration = new Histogram({
    name: 'pulse_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [services.metrics],
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  const authPlugin = installAuth(app, options.auth);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? (reply.statusCode === 404 ? 'not_found' : 'dashboard');
    duration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  const streams = new Set<ServerResponse>();
  // Live streams never end on their own: close them first so shutdown does not wait on viewers.
  app.addHook('preClose', async () => {
    for (const res of streams) res.end();
  });
  app.addHook('onClose', async () => feed.close());

  app.setErrorHandler((err, request, reply) => {
    if (isPulseError(err)) {
      const status = statusFor(err.code);
      if (status >= 500) request.log.error({ err }, err.message);
      const retryAfter = (err.context as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (status === 429 && retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
      return reply.status(status).send({
        error: {
          code: err.code,
          message: err.message,
          hint: err.hint,
          // Valid choices and per-field problems help callers fix the request.
          ...(status === 400 && Object.keys(err.context).length ? { details: err.context } : {}),
          requestId: request.id,
        },
      });
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status < 500)
      return reply
        .status(status)
        .send({ error: { code: 'BAD_REQUEST', message: (err as Error).message, requestId: request.id } });
    request.log.error({ err }, 'unexpected error');
    return reply.status(500).send({
      error: {
        code: 'INTERNAL',
        message: 'Something went wrong on our side.',
        hint: `Quote request id ${request.id} when reporting it.`,
        requestId: request.id,
      },
    });
  });

  app.get('/healthz', { config: publicRoute('liveness probe') }, async () => ({
    status: 'ok',
    version: services.version,
  }));

  app.get('/readyz', { config: publicRoute('readiness probe') }, async (_request, reply) => {
    const timeout = options.readinessTimeoutMs ?? 3000;
    const results = await Promise.all(
      services.readiness.map(async (r) => {
        try {
          await Promise.race([
            r.check(),
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout).unref(),
            ),
          ]);
          return { name: r.name, ok: true as const };
        } catch (err) {
          return { name: r.name, ok: false as const, error: (err as Error).message };
        }
      }),
    );
    const failing = results.filter((r) => !r.ok);
    const checks = Object.fromEntries(results.map((r) => [r.name, r.ok ? 'ok' : r.error]));
    if (failing.length === 0) return { status: 'ready', checks };
    return reply.status(503).send({ status: 'not ready', failing: failing.map((f) => f.name), checks });
  });

  // Prometheus scrapes without credentials; expose the port only to the monitoring network.
  app.get('/metrics', { config: publicRoute('Prometheus scrape endpoint') }, async (_request, reply) => {
    reply.header('content-type', services.metrics.contentType);
    return services.metrics.metrics();
  });

  app.get('/api/v1/overview', { config: access('dashboards:read') }, async () => feed.read());

  // Pulse observing itself: ingest rate, consumer lag, freshness and dead letters right now.
  app.get('/api/v1/pipeline', { config: access('pipeline:read') }, async () => ({
    asOf: new Date().toISOString(),
    health: (await services.overview.pipeline?.()) ?? null,
  }));

  app.get('/api/v1/live', { config: access('dashboards:read') }, (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-request-id': request.id,
    });
    res.write('retry: 3000\n\n');
    const unsubscribe = feed.subscribe((overview) =>
      res.write(`event: overview\ndata: ${JSON.stringify(overview)}\n\n`),
    );
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), 15_000);
    streams.add(res);
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  });

  registerOpenApiRoute(app, services.version, () => authPlugin.routes());
  registerAuthRoutes(app, options.auth, { oidc: options.oidcEnabled ?? false });
  registerAdminRoutes(app, options.auth, { publicUrl: options.publicUrl ?? '' });
  options.registerRoutes?.(app);

  const sveltekit = options.sveltekitHandler;
  app.setNotFoundHandler((request, reply) => {
    if (!sveltekit || request.url.startsWith('/api/')) {
      return reply.status(404).send({
        error: {
          code: 'NOT_FOUND',
          message: `no route for ${request.method} ${request.url}`,
          requestId: request.id,
        },
      });
    }
    const path = request.url.split('?')[0]!;
    const principal = request.principal;
    // Pages need a signed-in user; the sign-in pages and the app's static files do not.
    if (principal.kind === 'anonymous' && !isPublicPage(path)) {
      const target = principal.mfaPendingUserId ? '/login?step=mfa&' : '/login?';
      return reply.redirect(`${target}returnTo=${encodeURIComponent(request.url)}`, 303);
    }
    reply.hijack();
    for (const [name, value] of Object.entries(pageSecurityHeaders(options.auth.secure)))
      reply.raw.setHeader(name, value);
    (request.raw as unknown as Record<symbol, unknown>)[servicesKey] = {
      ...services,
      overviewFeed: feed,
      principal,
    };
    sveltekit(request.raw, reply.raw, () => {
      reply.raw.statusCode = 404;
      reply.raw.end('Not found');
    });
  });

  return Object.assign(app as FastifyInstance, { auth: authPlugin });
}

const publicPagePrefixes = ['/login', '/setup', '/_app/', '/favicon', '/robots.txt'];
function isPublicPage(path: string): boolean {
  return publicPagePrefixes.some(
    (p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`) || path.startsWith(`${p}?`),
  );
}
