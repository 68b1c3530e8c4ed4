export {
  deadLetterTopic,
  topicFor,
  topicPrefix,
  type Bus,
  type BusConsumer,
  type BusMessage,
  type ConsumedMessage,
  type ConsumerOptions,
  type MessageBatch,
} from './bus.ts';
export { createBus } from './create-bus.ts';
export { createEmbeddedBus, type EmbeddedBusOptions } from './embedded-log/embedded-bus.ts';
export { partitionFor } from './partition-for.ts';
export { createKafkaBus, type KafkaBusOptions } from './kafka/kafka-bus.ts';
export { publishEvents, validatedHeader, validatedMark } from './publish-events.ts';
