import { resolve } from 'node:path';
import { PulseError } from '../errors/index.ts';
import type { ConfigKey } from './config-key.ts';
import { type ConfigKeyName, configKeys } from './keys.ts';

type Raw = { [K in ConfigKeyName]: (typeof configKeys)[K] extends ConfigKey<infer T> ? T : never };

export interface ServerConfig {
  host: string;
  port: number;
  publicUrl: string | undefined;
  shutdownTimeoutMs: number;
}
export interface LogConfig {
  level: Raw['PULSE_LOG_LEVEL'];
  serviceName: string;
}
export interface TelemetryConfig {
  serviceName: string;
  otlpEndpoint: string | undefined;
}
export interface WarehouseConfig {
  /** Server URL; undefined means the embedded chDB engine at `dataPath`. */
  url: string | undefined;
  user: string;
  password: string;
  database: string;
  cluster: string | undefined;
  dataPath: string;
}
export interface MetadataConfig {
  databaseUrl: string | undefined;
  dataPath: string;
}
export interface BusConfig {
  kafkaBrokers: string[] | undefined;
  clientId: string;
  dataPath: string;
}
export interface CollectorConfig {
  maxBodyBytes: number;
  maxBatch: number;
  rateLimitPerSecond: number;
}
export interface DemoConfig {
  mode: Raw['PULSE_DEMO'];
  days: number;
  seed: number;
  liveRatePerSecond: number;
}

export interface PulseConfig {
  dataDir: string;
  server: ServerConfig;
  log: LogConfig;
  telemetry: TelemetryConfig;
  warehouse: WarehouseConfig;
  metadata: MetadataConfig;
  bus: BusConfig;
  demo: DemoConfig;
  collector: CollectorConfig;
}

export interface ConfigIssue {
  key: string;
  value: string;
  expected: string;
}

/**
 * Reads every key from `env`, reports every invalid one in a single error, and returns the config
 * as slices. Unknown PULSE_* keys are reported too: a typo must not fall back to a default silently.
 */
export function loadConfig(env: Record<string, string | undefined>): PulseConfig {
  const issues: ConfigIssue[] = [];
  const raw = {} as Record<string, unknown>;
  for (const [name, spec] of Object.entries(configKeys) as [ConfigKeyName, ConfigKey<unknown>][]) {
    const result = spec.parse(env[name]);
    if (result.ok) raw[name] = result.value;
    else
      issues.push({
        key: name,
        value: spec.secret ? '(secret)' : (env[name] ?? ''),
        expected: result.expected,
      });
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('PULSE_') && !(name in configKeys)) {
      issues.push({ key: name, value: env[name] ?? '', expected: `a known key (${suggest(name)})` });
    }
  }
  if (issues.length > 0) throw configError(issues);
  return toSlices(raw as Raw);
}

function toSlices(raw: Raw): PulseConfig {
  const dataDir = resolve(raw.PULSE_DATA_DIR);
  return {
    dataDir,
    server: {
      host: raw.PULSE_HOST,
      port: raw.PULSE_PORT,
      publicUrl: raw.PULSE_PUBLIC_URL,
      shutdownTimeoutMs: raw.PULSE_SHUTDOWN_TIMEOUT_MS,
    },
    log: { level: raw.PULSE_LOG_LEVEL, serviceName: raw.OTEL_SERVICE_NAME },
    telemetry: { serviceName: raw.OTEL_SERVICE_NAME, otlpEndpoint: raw.OTEL_EXPORTER_OTLP_ENDPOINT },
    warehouse: {
      url: raw.CLICKHOUSE_URL,
      user: raw.CLICKHOUSE_USER,
      password: raw.CLICKHOUSE_PASSWORD,
      database: raw.CLICKHOUSE_DATABASE,
      cluster: raw.CLICKHOUSE_CLUSTER,
      dataPath: resolve(dataDir, 'warehouse'),
    },
    metadata: { databaseUrl: raw.DATABASE_URL, dataPath: resolve(dataDir, 'metadata') },
    collector: {
      maxBodyBytes: raw.PULSE_COLLECTOR_MAX_BODY_BYTES,
      maxBatch: raw.PULSE_COLLECTOR_MAX_BATCH,
      rateLimitPerSecond: raw.PULSE_COLLECTOR_RATE_LIMIT,
    },
    bus: {
      kafkaBrokers: raw.KAFKA_BROKERS,
      clientId: raw.PULSE_KAFKA_CLIENT_ID,
      dataPath: resolve(dataDir, 'bus'),
    },
    demo: {
      mode: raw.PULSE_DEMO,
      days: raw.PULSE_DEMO_DAYS,
      seed: raw.PULSE_DEMO_SEED,
      liveRatePerSecond: raw.PULSE_DEMO_LIVE_RATE,
    },
  };
}

function configError(issues: ConfigIssue[]): PulseError {
  const lines = issues.map((i) => `  ${i.key}="${i.value}" is invalid: expected ${i.expected}`);
  return new PulseError(
    'CONFIG_INVALID',
    `${issues.length} invalid config key${issues.length > 1 ? 's' : ''}:\n${lines.join('\n')}`,
    {
      context: { issues },
      hint: 'Fix the keys above in the environment; README.md#configuration lists every key with its form and default.',
    },
  );
}

/** The closest known key by edit distance, so `PULSE_PROT` suggests `PULSE_PORT`. */
function suggest(name: string): string {
  let best = '';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const known of Object.keys(configKeys)) {
    const d = editDistance(name, known);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return bestDistance <= 3 ? `did you mean ${best}?` : 'see README.md#configuration';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
