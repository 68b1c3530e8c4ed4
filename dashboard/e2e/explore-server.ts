// E2E helper until the lead wires Explore into start-pulse: a second Pulse HTTP server on the
// running Pulse's own engines and auth, with the Explore/SQL and dashboard routes registered.
// Pages, sign-in cookies and permissions behave exactly as on the main server (same host, so the
// browser sends the same session cookie).
import type { AddressInfo } from 'node:net';
import { createLogger, createMetricsRegistry } from '@pulse/core';
import { loadMetricCatalog } from '@pulse/models';
import { handlerPath } from '../server/build-dashboard.ts';
import { createHttpServer, type NodeHandler } from '../server/http-server.ts';
import { registerDashboardRoutes } from '../server/routes/dashboards-routes.ts';
import { registerExploreRoutes } from '../server/routes/explore-routes.ts';
import { registerMetricRoutes } from '../server/routes/metrics-routes.ts';
import type { RunningPulse } from '../server/start-pulse.ts';

export async function startExploreServer(
  pulse: RunningPulse,
): Promise<{ url: string; close(): Promise<void> }> {
  const { warehouse, metadata } = pulse.engines;
  const catalog = loadMetricCatalog().metrics;
  const { handler } = (await import(handlerPath)) as { handler: NodeHandler };
  // Its own metrics registry: the main server already registered the HTTP histograms in its one.
  const server = await createHttpServer(
    { ...pulse.services, metrics: createMetricsRegistry() },
    {
      auth: pulse.auth,
      sveltekitHandler: handler,
      registerRoutes: (app) => {
        registerMetricRoutes(app, { warehouse, catalog, metadata });
        registerExploreRoutes(app, { warehouse, catalog, metadata });
        registerDashboardRoutes(app, {
          warehouse,
          catalog,
          metadata,
          metrics: createMetricsRegistry(),
          logger: createLogger({ level: 'silent', serviceName: 'explore-e2e' }),
        });
      },
    },
  );
  await server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = server.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}
