import { readFileSync } from 'node:fs';
import {
  type CollectorConfig,
  createLogger,
  createMetadataStore,
  createMetricsRegistry,
  type Logger,
  loadConfig,
  PulseError,
  type Registry,
  setupTracing,
} from '@pulse/core';
import {
  type Bus,
  createBus,
  ensureIngestTopics,
  registerCollector,
  type WriteKeyOwner,
} from '@pulse/ingest';
import { fastifyOptions } from './fastify-options.ts';
import Fastify, { type FastifyInstance } from 'fastify';
import { createWriteKeyCache } from './write-key-cache.ts';

const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface CollectorServerOptions {
  bus: Bus;
  config: CollectorConfig;
  resolveWriteKey(key: string): Promise<WriteKeyOwner | undefined>;
  logger: Logger;
  metrics: Registry;
}

/**
 * The collector role on its own: the Segment-compatible and native endpoints, `/healthz` (the
 * bus answers), `/metrics`, request ids. Nothing else — no warehouse, no dashboard — so as many
 * of these as the traffic needs run beside one ingester (the scaled-out layout, ARCHITECTURE.md).
 * Not listening yet: the caller decides where.
 */
export function createCollectorServer(options: CollectorServerOptions): FastifyInstance {
  const app = Fastify(fastifyOptions(options.logger));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerCollector(app, options);
  app.get('/healthz', async (_request, reply) => {
    const bus = await options.bus.ping();
    return reply.status(bus ? 200 : 503).send({ status: bus ? 'ok' : 'unavailable', role: 'collector', bus });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(options.metrics.contentType).send(await options.metrics.metrics()),
  );
  return app;
}

export interface RunningCollector {
  url: string;
  stop(): Promise<void>;
}

/**
 * `pulse collector`: the collector role in a process of its own, configured from the environment
 * like `pulse start`. It shares the bus and the metadata store with the other roles, so both must
 * be servers: Kafka (KAFKA_BROKERS) and PostgreSQL (DATABASE_URL). The embedded log and PGlite
 * belong to the one process that opened them.
 */
export async function startCollector(env: Record<string, string | undefined>): Promise<RunningCollector> {
  const config = loadConfig(env);
  if (config.bus.kafkaBrokers === undefined)
    throw new PulseError('CONFIG_INVALID', 'a collector of its own needs Kafka: KAFKA_BROKERS is not set', {
      hint: 'Set KAFKA_BROKERS to the brokers the ingester reads from, or run every role in one process with `pulse start`.',
    });
  if (config.metadata.databaseUrl === undefined)
    throw new PulseError(
      'CONFIG_INVALID',
      'a collector of its own needs the shared metadata store: DATABASE_URL is not set',
      {
        hint: 'Set DATABASE_URL to the PostgreSQL database `pulse start` uses (write keys are looked up there); embedded PGlite serves one process only.',
      },
    );
  const logger = createLogger(config.log);
  setupTracing(config.telemetry, { version });
  const metrics = createMetricsRegistry({ role: 'collector' });
  const metadata = await createMetadataStore(config.metadata);
  const bus = await createBus(config.bus, logger).catch(async (err: unknown) => {
    await metadata.close();
    throw err;
  });
  try {
    await ensureIngestTopics(bus);
  } catch (err) {
    await Promise.allSettled([bus.close(), metadata.close()]);
    throw err;
  }
  const app = createCollectorServer({
    bus,
    config: config.collector,
    resolveWriteKey: createWriteKeyCache(metadata),
    logger,
    metrics,
  });
  try {
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    await Promise.allSettled([bus.close(), metadata.close()]);
    throw err;
  }
  const address = app.server.address() as { port: number };
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  return {
    url: `http://${host}:${address.port}`,
    async stop() {
      await app.close();
      await Promise.allSettled([bus.close(), metadata.close()]);
    },
  };
}
