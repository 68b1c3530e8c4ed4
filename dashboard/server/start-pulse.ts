import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  createMetricsRegistry,
  createMetadataStore,
  ensureDemoWorkspace,
  loadConfig,
  type MetadataStore,
  setupTracing,
} from '@pulse/core';
import {
  type Bus,
  createBus,
  createIngester,
  publishEvents,
  registerCollector,
  startDemo,
} from '@pulse/ingest';
import {
  countEventsByFamily,
  createWarehouse,
  isWarehouseEmpty,
  latestEvents,
  migrate,
  type Warehouse,
} from '@pulse/warehouse';
import { loadMetricCatalog } from '@pulse/models';
import { createDownloadArea, createReportScheduler, recipientKeys } from '@pulse/reports';
import { createExportJobs, createSqlExportJobStore } from '@pulse/reports/exports/index';
import { startRetentionSchedule } from '@pulse/warehouse/privacy/index';
import { startSealSchedule } from '@pulse/warehouse/metrics/seal-changes';
import { createSiemForwarder } from '@pulse/core/audit/index';
import { createOidcService } from '@pulse/core/auth/index';
import type { RegisteredRoute } from './auth/auth-plugin.ts';
import { createSignIn } from './auth/auth-routes.ts';
import { type AuthServices, createAuthServices } from './auth/auth-services.ts';
import { resolveServerSecret } from './auth/server-secret.ts';
import { ensureDashboardBuilt, handlerPath } from './build-dashboard.ts';
import { createHttpServer, type NodeHandler } from './http-server.ts';
import { registerMetricRoutes } from './routes/metrics-routes.ts';
import { registerOidcRoutes } from './routes/oidc-routes.ts';
import { registerPolicyRoutes } from './routes/policies-routes.ts';
import { registerPrivacyRoutes } from './routes/privacy-routes.ts';
import { createDashboardStore, loadBuiltInDashboards } from './dashboards/dashboard-store.ts';
import { dashboardReportResolver } from './dashboards/report-tiles.ts';
import { registerDashboardRoutes } from './routes/dashboards-routes.ts';
import { registerExploreRoutes } from './routes/explore-routes.ts';
import { registerExportRoutes } from './routes/exports-routes.ts';
import { registerReportRoutes } from './routes/reports-routes.ts';
import { createWriteKeyCache } from './write-key-cache.ts';
import type { PulseServices } from './services.ts';

export interface StartOptions {
  /** Skip building the SvelteKit app (API-only tests). */
  withoutDashboard?: boolean;
  /** Approximate size of the demo history, overriding PULSE_DEMO_DAYS' default scale (tests). */
  demoEvents?: number;
}

export interface RunningPulse {
  url: string;
  services: PulseServices;
  /** The engines this process opened (tests and embedding callers use them directly). */
  engines: { warehouse: Warehouse; metadata: MetadataStore; bus: Bus };
  /** Accounts, sessions, roles, API keys and the audit log of this process. */
  auth: AuthServices;
  /** Every registered route with its declared access (the route-enumeration test walks them). */
  routes(): RegisteredRoute[];
  /** The first start's one-time admin setup link; undefined once an admin exists. */
  setupLink: string | undefined;
  /** Write keys of sources created by this start (shown once: only their hashes are kept). */
  newWriteKeys: Partial<Record<'product' | 'social' | 'crm', string>>;
  /** Resolves when the demo history (if any) is loaded. */
  demoLoaded: Promise<void>;
  stop(): Promise<void>;
}

const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * Starts every role in one process on the engines the config names: the embedded ones (chDB,
 * PGlite) by default. Engines are opened here and handed to the HTTP server and SvelteKit; nothing
 * under dashboard/src opens one.
 */
export async function startPulse(
  env: Record<string, string | undefined>,
  options: StartOptions = {},
): Promise<RunningPulse> {
  const config = loadConfig(env);
  // Checked first: a broken metric definition should stop the start before any engine opens.
  const catalog = loadMetricCatalog();
  const logger = createLogger(config.log);
  setupTracing(config.telemetry, { version });
  const metrics = createMetricsRegistry();

  if (!options.withoutDashboard) ensureDashboardBuilt((message) => logger.info(message));

  const warehouse = await createWarehouse(config.warehouse);
  const metadata = await createMetadataStore(config.metadata);
  const bus = await createBus(config.bus, logger).catch(async (err: unknown) => {
    await Promise.allSettled([warehouse.close(), metadata.close()]);
    throw err;
  });
  const closeEngines = async () => {
    await Promise.allSettled([warehouse.close(), metadata.close(), bus.close()]);
  };
  try {
    const applied = await migrate(warehouse, { logger });
    await metadata.migrate();
    if (applied.length > 0) logger.info({ applied: applied.length }, 'warehouse migrations applied');
  } catch (err) {
    await closeEngines();
    throw err;
  }

  // Live dashboards of a workspace refresh as soon as its rows are in (bound once routes exist).
  let onInserted: (workspaceIds: ReadonlySet<string>) => void = () => {};
  const ingester = await createIngester({
    bus,
    warehouse,
    logger,
    metrics,
    lingerMs: config.bus.lingerMs,
    onInserted: (workspaceIds) => onInserted(workspaceIds),
  });
  // Raw events older than PULSE_RETENTION_*_DAYS are dropped now and daily (whole partitions).
  const retention = startRetentionSchedule(warehouse, config.retention, { logger });
  // Finished days of snapshot metrics are sealed into hourly changes (tiles read those instead of
  // every post's history); queries stay exact whether or not this has caught up.
  const seal = startSealSchedule(warehouse, { logger });
  const { workspace, writeKeys } = await ensureDemoWorkspace(metadata);
  const serverSecret = resolveServerSecret(config.auth.secretKey, config.dataDir);
  const auth = createAuthServices(metadata, {
    serverSecret,
    secure: (config.server.publicUrl ?? '').startsWith('https:'),
    sessionIdleMs: config.auth.sessionIdleMs,
    sessionAbsoluteMs: config.auth.sessionAbsoluteMs,
  });
  // Every audit entry can also stream to a SIEM; the metadata store stays the source of truth.
  const siem = config.auth.siem
    ? createSiemForwarder({
        url: config.auth.siem.url,
        format: config.auth.siem.format,
        headers: config.auth.siem.authorization ? { authorization: config.auth.siem.authorization } : {},
        logger,
      })
    : undefined;
  const stopSiem = siem ? auth.audit.onRecord(siem.send) : undefined;
  // No default password: the first start makes an admin and prints a one-time link to set one.
  const firstAdmin = await auth.accounts.ensureAdmin(config.auth.adminEmail);
  if (firstAdmin) await auth.members.setRole(workspace.id, firstAdmin.user.id, 'admin');
  const wantDemo =
    config.demo.mode === 'on' || (config.demo.mode === 'auto' && (await isWarehouseEmpty(warehouse)));
  const demo = wantDemo
    ? startDemo({
        warehouse,
        workspaceId: workspace.id,
        config: config.demo,
        logger,
        targetEvents: options.demoEvents,
        // Live demo events travel like any source's: bus → ingester → warehouse.
        publishLive: async (events) => {
          await publishEvents(bus, events);
        },
      })
    : undefined;
  // The demo's 90 days of history are sealed as soon as they are in.
  void demo?.historyLoaded.then(
    () => seal.run(),
    () => {},
  );

  let lastRate: { inserted: number; at: number } | undefined;
  const services: PulseServices = {
    config,
    logger,
    metrics,
    version,
    isDemo: workspace.isDemo,
    readiness: [
      { name: 'warehouse', check: async () => assertReachable('warehouse', await warehouse.ping()) },
      { name: 'metadata', check: async () => assertReachable('metadata store', await metadata.ping()) },
      { name: 'bus', check: async () => assertReachable(`bus (${bus.kind})`, await bus.ping()) },
    ],
    overview: {
      countsByFamily: (since) => countEventsByFamily(warehouse, { since }),
      latestEvents: (limit) => latestEvents(warehouse, { limit }),
      pipeline: async () => {
        const stats = ingester.stats();
        const now = Date.now();
        const ratePerSecond = lastRate
          ? ((stats.inserted - lastRate.inserted) * 1000) / Math.max(1, now - lastRate.at)
          : 0;
        lastRate = { inserted: stats.inserted, at: now };
        const lag = (await ingester.lag()).reduce((sum, l) => sum + l.lag, 0);
        return {
          ratePerSecond,
          lag,
          freshnessP95Seconds: stats.freshnessP95Seconds,
          deadLettered: stats.deadLettered,
        };
      },
    },
  };

  // Known once the server listens (port 0 picks a free one); links minted before then never leave.
  let listeningUrl = config.server.publicUrl ?? `http://${config.server.host}:${config.server.port}`;
  const downloads = createDownloadArea({
    dir: join(config.dataDir, 'downloads'),
    serverSecret,
    publicUrl: () => listeningUrl,
  });
  const reportScheduler = createReportScheduler({
    metadata,
    warehouse,
    catalog: catalog.metrics,
    downloads,
    smtp: config.smtp,
    recipientKeys: recipientKeys(serverSecret, config.auth.previousSecretKeys),
    // A report of a dashboard shows its tiles as they are when the report runs.
    resolveDashboard: dashboardReportResolver(
      createDashboardStore(metadata, loadBuiltInDashboards()),
      async (workspaceId, reportId) => {
        const report = await metadata.reports.get(reportId);
        return report?.workspaceId === workspaceId ? report.definition : undefined;
      },
    ),
    onError: (err, context) => logger.warn({ err, ...context }, 'report run problem'),
  });
  const exportJobs = await createExportJobs({
    warehouse,
    catalog: catalog.metrics,
    directory: join(config.dataDir, 'exports'),
    store: createSqlExportJobStore(metadata.db),
    onError: (err, context) => logger.warn({ err, ...context }, 'export job state not saved'),
  });

  const sveltekitHandler = options.withoutDashboard
    ? undefined
    : ((await import(handlerPath)) as { handler: NodeHandler }).handler;
  const resolveWriteKey = createWriteKeyCache(metadata);
  const server = await createHttpServer(services, {
    sveltekitHandler,
    auth,
    publicUrl: config.server.publicUrl,
    oidcEnabled: config.oidc !== undefined,
    registerRoutes: (app) => {
      registerCollector(app, { bus, config: config.collector, resolveWriteKey, logger, metrics });
      registerMetricRoutes(app, { warehouse, catalog: catalog.metrics, metadata });
      registerPolicyRoutes(app, { metadata, catalog: catalog.metrics, audit: auth.audit });
      const dashboards = registerDashboardRoutes(app, {
        warehouse,
        catalog: catalog.metrics,
        metadata,
        metrics,
        logger,
        pipeline: services.overview.pipeline,
      });
      onInserted = (workspaceIds) => {
        for (const id of workspaceIds) dashboards.nudge(id);
      };
      registerExploreRoutes(app, { warehouse, catalog: catalog.metrics, metadata });
      registerReportRoutes(app, { metadata, scheduler: reportScheduler });
      registerExportRoutes(app, { exports: exportJobs, metadata });
      registerPrivacyRoutes(app, {
        warehouse,
        metadata,
        audit: auth.audit,
        retention: config.retention,
        logger,
      });
      if (config.oidc)
        registerOidcRoutes(app, {
          oidc: createOidcService({
            config: config.oidc,
            metadata,
            // The redirect URI must be known before listening; set PULSE_PUBLIC_URL behind a proxy.
            publicUrl: config.server.publicUrl ?? `http://${config.server.host}:${config.server.port}`,
            secretKey: serverSecret,
            logger,
          }),
          signIn: createSignIn(auth),
          audit: auth.audit,
        });
    },
  });
  await server.listen({ host: config.server.host, port: config.server.port });
  const address = server.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url =
    config.server.publicUrl ??
    `http://${config.server.host === 'localhost' ? 'localhost' : host}:${address.port}`;
  listeningUrl = url;
  // The scheduler role: one leader among all processes on this metadata store sends due reports.
  reportScheduler.start();
  logger.info({ url, warehouse: warehouse.mode, demo: Boolean(demo) }, `Pulse is up on ${url}`);
  const setupLink = firstAdmin
    ? `${url}/setup?token=${encodeURIComponent(firstAdmin.setupToken.token)}`
    : undefined;
  if (firstAdmin) {
    // Printed, never logged as a field: the link is a credential until it is used (24 h).
    process.stderr.write(
      `\n  First start: set the admin password for ${firstAdmin.user.email} at\n  ${setupLink}\n  (one-time link, valid until ${firstAdmin.setupToken.expiresAt.toISOString()})\n\n`,
    );
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    services,
    engines: { warehouse, metadata, bus },
    auth,
    routes: () => server.auth.routes(),
    setupLink,
    newWriteKeys: writeKeys,
    demoLoaded: demo?.historyLoaded ?? Promise.resolve(),
    stop() {
      stopping ??= (async () => {
        await server.close();
        await demo?.stop();
        retention.stop();
        await seal.stop();
        stopSiem?.();
        await siem?.close();
        await reportScheduler.stop();
        await exportJobs.close();
        await ingester.stop();
        await closeEngines();
        logger.info('Pulse stopped');
      })();
      return stopping;
    },
  };
}

function assertReachable(part: string, ok: boolean): void {
  if (!ok) throw new Error(`${part} did not answer a ping`);
}
