import type { BusConfig } from '@pulse/core';
import type { Bus } from './bus.ts';
import { createEmbeddedBus } from './embedded-log/embedded-bus.ts';

/**
 * The bus for this process: the embedded durable log under `config.dataPath`. Kafka
 * (`KAFKA_BROKERS`) plugs in here behind the same interface.
 */
export async function createBus(config: BusConfig): Promise<Bus> {
  if (config.kafkaBrokers) {
    // Refused rather than silently falling back: events meant for Kafka must not land elsewhere.
    const { PulseError } = await import('@pulse/core');
    throw new PulseError(
      'BUS_KAFKA_NOT_AVAILABLE',
      'KAFKA_BROKERS is set, but this build of Pulse has no Kafka bus yet',
      {
        hint: 'Unset KAFKA_BROKERS to use the embedded durable log.',
      },
    );
  }
  return createEmbeddedBus({ dataPath: config.dataPath });
}
