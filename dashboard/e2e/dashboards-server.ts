// E2E helper until the lead wires registerDashboardRoutes into start-pulse: a second Pulse HTTP
// server on the running Pulse's own engines and auth, with the metric and dashboard routes
// registered (same host as the main server, so the browser's session cookie holds for both).
// The collector stays on the main server: events posted there reach the same warehouse.
import type { AddressInfo } from 'node:net';
import { createLogger, createMetricsRegistry } from '@pulse/core';
import { loadMetricCatalog } from '@pulse/models';
import { handlerPath } from '../server/build-dashboard.ts';
import { createHttpServer, type NodeHandler } from '../server/http-server.ts';
import { registerDashboardRoutes } from '../server/routes/dashboards-routes.ts';
import { registerMetricRoutes } from '../server/routes/metrics-routes.ts';
import type { RunningPulse } from '../server/start-pulse.ts';

export async function startDashboardsServer(
  pulse: RunningPulse,
): Promise<{ url: string; close(): Promise<void> }> {
  const { warehouse, metadata } = pulse.engines;
  const catalog = loadMetricCatalog().metrics;
  const { handler } = (await import(handlerPath)) as { handler: NodeHandler };
  const server = await createHttpServer(
    { ...pulse.services, metrics: createMetricsRegistry() },
    {
      auth: pulse.auth,
      sveltekitHandler: handler,
      registerRoutes: (app) => {
        registerMetricRoutes(app, { warehouse, catalog, metadata });
        registerDashboardRoutes(app, {
          warehouse,
          catalog,
          metadata,
          metrics: createMetricsRegistry(),
          logger: createLogger({ level: 'warn', serviceName: 'dashboards-e2e' }),
          ...(pulse.services.overview.pipeline ? { pipeline: pulse.services.overview.pipeline } : {}),
          liveIntervalMs: 1000,
        });
      },
    },
  );
  await server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = server.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}
