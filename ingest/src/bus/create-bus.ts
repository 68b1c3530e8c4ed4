import type { BusConfig, Logger } from '@pulse/core';
import type { Bus } from './bus.ts';
import { createEmbeddedBus } from './embedded-log/embedded-bus.ts';
import { createKafkaBus } from './kafka/kafka-bus.ts';

/**
 * The bus for this process: Kafka when KAFKA_BROKERS is set, else the embedded durable log under
 * `config.dataPath`. Nothing else in Pulse looks at which one it got.
 */
export async function createBus(config: BusConfig, logger: Logger): Promise<Bus> {
  if (config.kafkaBrokers)
    return createKafkaBus({
      brokers: config.kafkaBrokers,
      clientId: config.clientId,
      topics: config.kafkaTopics,
      logger,
    });
  return createEmbeddedBus({ dataPath: config.dataPath });
}
