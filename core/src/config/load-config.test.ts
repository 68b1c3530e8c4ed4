import { describe, expect, it } from 'vitest';
import { isPulseError } from '../errors/index.ts';
import { loadConfig } from './index.ts';

describe('loadConfig', () => {
  it('gives the embedded defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.server).toMatchObject({ host: 'localhost', port: 3000, shutdownTimeoutMs: 10000 });
    expect(config.warehouse.url).toBeUndefined();
    expect(config.warehouse.dataPath).toMatch(/data[/\\]warehouse$/);
    expect(config.bus.kafkaBrokers).toBeUndefined();
    expect(config.metadata.databaseUrl).toBeUndefined();
    expect(config.demo).toEqual({ mode: 'auto', days: 90, seed: 42, liveRatePerSecond: 5 });
  });

  it('parses the conventional keys into their slices', () => {
    const config = loadConfig({
      CLICKHOUSE_URL: 'http://127.0.0.1:8123',
      CLICKHOUSE_CLUSTER: 'main',
      KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
      DATABASE_URL: 'postgres://pulse@127.0.0.1:5432/pulse',
      PULSE_PORT: '8080',
      PULSE_DEMO: 'OFF',
    });
    expect(config.warehouse).toMatchObject({ url: 'http://127.0.0.1:8123', cluster: 'main' });
    expect(config.bus.kafkaBrokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(config.metadata.databaseUrl).toBe('postgres://pulse@127.0.0.1:5432/pulse');
    expect(config.server.port).toBe(8080);
    expect(config.demo.mode).toBe('off');
  });

  it('reports every invalid key in one error naming key, value and expected form', () => {
    let caught: unknown;
    try {
      loadConfig({
        PULSE_PORT: 'eighty',
        PULSE_DEMO: 'maybe',
        KAFKA_BROKERS: 'localhost',
        CLICKHOUSE_URL: 'ftp://x',
        PULSE_PROT: '1',
      });
    } catch (err) {
      caught = err;
    }
    expect(isPulseError(caught, 'CONFIG_INVALID')).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain('5 invalid config keys');
    expect(message).toContain('PULSE_PORT="eighty" is invalid: expected an integer from 0 to 65535');
    expect(message).toContain('PULSE_DEMO="maybe" is invalid: expected one of auto, on, off');
    expect(message).toContain('KAFKA_BROKERS="localhost" is invalid');
    expect(message).toContain(
      'CLICKHOUSE_URL="ftp://x" is invalid: expected a URL starting with http:// or https://',
    );
    expect(message).toContain('PULSE_PROT="1" is invalid: expected a known key (did you mean PULSE_PORT?)');
  });

  it('never prints a secret value in the error', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db' })).toThrow(
      /DATABASE_URL="\(secret\)"/,
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db' })).not.toThrow(/hunter2/);
  });

  it('refuses out-of-range integers', () => {
    expect(() => loadConfig({ PULSE_PORT: '70000' })).toThrow(/PULSE_PORT="70000"/);
    expect(() => loadConfig({ PULSE_DEMO_DAYS: '0' })).toThrow(/PULSE_DEMO_DAYS="0"/);
  });
});
