import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogMethod } from './kafka-bus.ts';

describe('kafkajs log levels', () => {
  it('logs the broker error answers kafkajs retries by itself as warnings, its other errors as errors', () => {
    expect(kafkaLogMethod(logLevel.ERROR, 'Response InitProducerId(key: 22, version: 1)')).toBe('warn');
    expect(kafkaLogMethod(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded')).toBe('error');
    expect(kafkaLogMethod(logLevel.WARN, 'Restarting the consumer')).toBe('warn');
    expect(kafkaLogMethod(logLevel.INFO, 'Consumer has joined the group')).toBe('debug');
  });
});
