// The collector of the ingest-kafka benchmark in a process of its own (`--apart`): the product's
// collector server (as `pulse collector` runs it) on the broker given as argv[2], with the bench's
// fixed write keys instead of a metadata store. Prints `collector-port N` once listening (logs go
// to stdout too); SIGTERM stops it.
import { createLogger, createMetricsRegistry, loadConfig } from '@pulse/core';
import { createBus, ensureIngestTopics } from '@pulse/ingest';
import { createCollectorServer } from '../../dashboard/server/start-collector.ts';

const config = loadConfig({ KAFKA_BROKERS: process.argv[2], PULSE_COLLECTOR_RATE_LIMIT: '1000000000' });
const logger = createLogger({ level: 'warn', serviceName: 'bench-collector' });
const bus = await createBus(config.bus, logger);
await ensureIngestTopics(bus);
const app = createCollectorServer({
  bus,
  config: config.collector,
  logger,
  metrics: createMetricsRegistry(),
  resolveWriteKey: async (key) => ({ workspaceId: key === 'fresh' ? 'ws_fresh' : 'ws_e2e', sourceId: 's' }),
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`collector-port ${(app.server.address() as { port: number }).port}\n`);
process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => bus.close())
    .finally(() => process.exit(0));
});
