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
  /** Settings of the topics created at start (Kafka only; the embedded log keeps its own). */
  kafkaTopics: { partitions: number; replicationFactor: number; compression: 'gzip' | 'zstd' | 'none' };
  dataPath: string;
  /** How long the ingester lets a partial batch fill (PULSE_INGEST_LINGER_MS; unset: the bus's default). */
  lingerMs: number | undefined;
}
export interface CollectorConfig {
  maxBodyBytes: number;
  maxBatch: number;
  rateLimitPerSecond: number;
}
export type RoleName = 'viewer' | 'analyst' | 'editor' | 'admin';
export interface AuthConfig {
  /** Undefined: start-pulse generates one under the data dir on first start. */
  secretKey: string | undefined;
  adminEmail: string;
  previousSecretKeys: string[];
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  /** Where audit entries are streamed, if anywhere. */
  siem: { url: string; format: 'json' | 'syslog'; authorization: string | undefined } | undefined;
}
export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  scopes: string[];
  roleClaim: string;
  /** Claim value → role. */
  roleMap: Record<string, RoleName>;
  defaultRole: RoleName | undefined;
}
export interface SmtpConfig {
  url: string | undefined;
  from: string;
  attachmentMaxBytes: number;
}
/** Days of raw events kept per stream family; 0 keeps them forever. */
export interface RetentionConfig {
  product: number;
  social: number;
  crm: number;
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
  auth: AuthConfig;
  /** Undefined when SSO is off (PULSE_OIDC_ISSUER unset). */
  oidc: OidcConfig | undefined;
  smtp: SmtpConfig;
  retention: RetentionConfig;
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
  const r = raw as Raw;
  if (r.PULSE_OIDC_ISSUER && !r.PULSE_OIDC_CLIENT_ID)
    issues.push({
      key: 'PULSE_OIDC_CLIENT_ID',
      value: '',
      expected: 'a client id when PULSE_OIDC_ISSUER is set',
    });
  const roleMap = parseRoleMap(r.PULSE_OIDC_ROLE_MAP ?? '');
  if (!roleMap.ok)
    issues.push({
      key: 'PULSE_OIDC_ROLE_MAP',
      value: r.PULSE_OIDC_ROLE_MAP ?? '',
      expected: roleMap.expected,
    });
  if (issues.length > 0) throw configError(issues);
  return toSlices(r, roleMap.ok ? roleMap.value : {});
}

const roleNames: RoleName[] = ['viewer', 'analyst', 'editor', 'admin'];
function parseRoleMap(
  text: string,
): { ok: true; value: Record<string, RoleName> } | { ok: false; expected: string } {
  const value: Record<string, RoleName> = {};
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.lastIndexOf('=');
    const claim = pair.slice(0, at).trim();
    const role = pair.slice(at + 1).trim() as RoleName;
    if (at <= 0 || !roleNames.includes(role))
      return {
        ok: false,
        expected: `claimValue=role pairs, role one of ${roleNames.join(', ')} ("${pair}")`,
      };
    value[claim] = role;
  }
  return { ok: true, value };
}

function toSlices(raw: Raw, roleMap: Record<string, RoleName>): PulseConfig {
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
      kafkaTopics: {
        partitions: raw.PULSE_KAFKA_PARTITIONS,
        replicationFactor: raw.PULSE_KAFKA_REPLICATION_FACTOR,
        compression: raw.PULSE_KAFKA_COMPRESSION,
      },
      dataPath: resolve(dataDir, 'bus'),
      lingerMs: raw.PULSE_INGEST_LINGER_MS,
    },
    auth: {
      secretKey: raw.PULSE_SECRET_KEY,
      adminEmail: raw.PULSE_ADMIN_EMAIL,
      previousSecretKeys: (raw.PULSE_SECRET_KEY_PREVIOUS ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
      sessionIdleMs: raw.PULSE_SESSION_IDLE_MINUTES * 60_000,
      sessionAbsoluteMs: raw.PULSE_SESSION_MAX_HOURS * 3_600_000,
      siem: raw.PULSE_AUDIT_SIEM_URL
        ? {
            url: raw.PULSE_AUDIT_SIEM_URL,
            format: raw.PULSE_AUDIT_SIEM_FORMAT,
            authorization: raw.PULSE_AUDIT_SIEM_AUTHORIZATION,
          }
        : undefined,
    },
    oidc: raw.PULSE_OIDC_ISSUER
      ? {
          issuer: raw.PULSE_OIDC_ISSUER,
          clientId: raw.PULSE_OIDC_CLIENT_ID ?? '',
          clientSecret: raw.PULSE_OIDC_CLIENT_SECRET,
          scopes: raw.PULSE_OIDC_SCOPES.split(/\s+/).filter(Boolean),
          roleClaim: raw.PULSE_OIDC_ROLE_CLAIM,
          roleMap,
          defaultRole: raw.PULSE_OIDC_DEFAULT_ROLE === 'none' ? undefined : raw.PULSE_OIDC_DEFAULT_ROLE,
        }
      : undefined,
    smtp: {
      url: raw.PULSE_SMTP_URL,
      from: raw.PULSE_SMTP_FROM,
      attachmentMaxBytes: raw.PULSE_REPORT_ATTACHMENT_MAX_BYTES,
    },
    retention: {
      product: raw.PULSE_RETENTION_PRODUCT_DAYS,
      social: raw.PULSE_RETENTION_SOCIAL_DAYS,
      crm: raw.PULSE_RETENTION_CRM_DAYS,
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
