import { key } from './config-key.ts';

/**
 * Every setting Pulse reads, in the order the README's config table shows them. Nothing else in
 * Pulse reads process.env: main hands each factory its slice of the loaded config.
 */
export const configKeys = {
  PULSE_HOST: key.string({
    default: 'localhost',
    doc: 'Interface the server listens on; 0.0.0.0 to accept remote connections.',
  }),
  PULSE_PORT: key.integer({
    default: 3000,
    min: 0,
    max: 65535,
    doc: 'HTTP port for the dashboard, API, collector, health and metrics (0 picks a free port).',
  }),
  PULSE_PUBLIC_URL: key.url<string | undefined>({
    protocols: ['http:', 'https:'],
    doc: 'URL users reach Pulse at, used in links that leave the process (e-mails, SSO callbacks); defaults to http://PULSE_HOST:PULSE_PORT.',
  }),
  PULSE_DATA_DIR: key.string({
    default: './data',
    doc: 'Directory for the embedded engines: chDB warehouse, PGlite metadata and the durable event log.',
  }),
  PULSE_LOG_LEVEL: key.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    doc: 'Least severe log level written (JSON lines on stdout).',
  }),
  PULSE_SHUTDOWN_TIMEOUT_MS: key.integer({
    default: 10000,
    min: 100,
    doc: 'How long a graceful shutdown (SIGTERM/SIGINT) may take before the process exits anyway.',
  }),
  PULSE_DEMO: key.oneOf(['auto', 'on', 'off'], {
    default: 'auto',
    doc: 'Demo workspace: auto loads it when the warehouse is empty, on always streams it, off never.',
  }),
  PULSE_DEMO_DAYS: key.integer({
    default: 90,
    min: 1,
    max: 3650,
    doc: 'Days of history the demo simulator loads on first start.',
  }),
  PULSE_DEMO_SEED: key.integer({
    default: 42,
    min: 0,
    doc: 'Seed of the deterministic demo simulator: the same seed gives the same events.',
  }),
  PULSE_DEMO_LIVE_RATE: key.number({
    default: 5,
    min: 0,
    doc: 'Live demo events per second streamed after the history is loaded (0 stops the stream).',
  }),
  PULSE_COLLECTOR_MAX_BODY_BYTES: key.integer({
    default: 1_048_576,
    min: 1024,
    doc: 'Largest collector request body, after gzip decompression (413 above it).',
  }),
  PULSE_COLLECTOR_MAX_BATCH: key.integer({
    default: 2500,
    min: 1,
    doc: 'Most events in one collector batch (413 above it).',
  }),
  PULSE_COLLECTOR_RATE_LIMIT: key.number({
    default: 20000,
    min: 1,
    doc: 'Events per second each write key may send (bursts up to 5 s worth); 429 with Retry-After above it.',
  }),
  PULSE_SECRET_KEY: key.string<string | undefined>({
    secret: true,
    doc: 'Server secret (32+ random bytes, e.g. `openssl rand -base64 32`) from which cookie, CSRF, MFA and connector-credential keys are derived; unset generates one into PULSE_DATA_DIR/secret.key on first start.',
  }),
  PULSE_SECRET_KEY_PREVIOUS: key.string<string | undefined>({
    secret: true,
    doc: 'Comma-separated previous server secrets, still accepted to decrypt while `pulse secrets rotate` re-encrypts stored credentials under PULSE_SECRET_KEY.',
  }),
  PULSE_ADMIN_EMAIL: key.string({
    default: 'admin@localhost',
    doc: 'E-mail of the instance admin created on first start (a one-time setup link is printed instead of a default password).',
  }),
  PULSE_AUDIT_SIEM_URL: key.url<string | undefined>({
    protocols: ['http:', 'https:'],
    doc: 'Stream every audit entry to this SIEM endpoint (HTTP POST batches, at least once, in order); unset keeps the log in the metadata store only.',
  }),
  PULSE_AUDIT_SIEM_FORMAT: key.oneOf(['json', 'syslog'], {
    default: 'json',
    doc: 'Body of SIEM batches: json (`{"entries":[…]}`) or RFC 5424 syslog lines.',
  }),
  PULSE_AUDIT_SIEM_AUTHORIZATION: key.string<string | undefined>({
    secret: true,
    doc: 'Authorization header sent with SIEM batches, e.g. `Splunk <token>` or `Bearer <token>`.',
  }),
  PULSE_SESSION_IDLE_MINUTES: key.integer({
    default: 30,
    min: 1,
    doc: 'A session ends after this many minutes without a request.',
  }),
  PULSE_SESSION_MAX_HOURS: key.integer({
    default: 12,
    min: 1,
    doc: 'A session ends this many hours after sign-in, however active (absolute timeout).',
  }),
  PULSE_OIDC_ISSUER: key.url<string | undefined>({
    protocols: ['http:', 'https:'],
    doc: 'OpenID Connect issuer URL for single sign-on; unset turns SSO off. The redirect URI is PULSE_PUBLIC_URL/auth/oidc/callback.',
  }),
  PULSE_OIDC_CLIENT_ID: key.string<string | undefined>({ doc: 'OIDC client id registered at the issuer.' }),
  PULSE_OIDC_CLIENT_SECRET: key.string<string | undefined>({
    secret: true,
    doc: 'OIDC client secret (confidential client; PKCE is used as well).',
  }),
  PULSE_OIDC_SCOPES: key.string({
    default: 'openid email profile',
    doc: 'Space-separated scopes requested at sign-in.',
  }),
  PULSE_OIDC_ROLE_CLAIM: key.string({
    default: 'groups',
    doc: 'ID-token/userinfo claim whose values (string or array) are mapped to a Pulse role.',
  }),
  PULSE_OIDC_ROLE_MAP: key.string({
    default: '',
    doc: 'Claim value to role, comma-separated: `pulse-admins=admin,sales=analyst`; the highest matching role wins.',
  }),
  PULSE_OIDC_DEFAULT_ROLE: key.oneOf(['none', 'viewer', 'analyst', 'editor', 'admin'], {
    default: 'none',
    doc: 'Role given to an SSO user whose claims match no mapping; `none` refuses the sign-in.',
  }),
  PULSE_SMTP_URL: key.url<string | undefined>({
    protocols: ['smtp:', 'smtps:'],
    secret: true,
    doc: 'SMTP server for report e-mails, e.g. smtps://user:pass@mail.example.com:465; unset disables e-mail delivery.',
  }),
  PULSE_SMTP_FROM: key.string({
    default: 'Pulse <reports@localhost>',
    doc: 'From address on report e-mails.',
  }),
  PULSE_REPORT_ATTACHMENT_MAX_BYTES: key.integer({
    default: 10_485_760,
    min: 0,
    doc: 'Largest report file attached to an e-mail; larger files are sent as an expiring download link.',
  }),
  PULSE_RETENTION_PRODUCT_DAYS: key.integer({
    default: 0,
    min: 0,
    doc: 'Days of raw product events kept in the warehouse (0 keeps them forever).',
  }),
  PULSE_RETENTION_SOCIAL_DAYS: key.integer({
    default: 0,
    min: 0,
    doc: 'Days of raw social events kept in the warehouse (0 keeps them forever).',
  }),
  PULSE_RETENTION_CRM_DAYS: key.integer({
    default: 0,
    min: 0,
    doc: 'Days of raw CRM events kept in the warehouse (0 keeps them forever).',
  }),
  CLICKHOUSE_URL: key.url<string | undefined>({
    protocols: ['http:', 'https:'],
    doc: 'ClickHouse server HTTP URL; unset runs the embedded chDB engine under PULSE_DATA_DIR.',
  }),
  CLICKHOUSE_USER: key.string({ default: 'default', doc: 'ClickHouse user (server mode only).' }),
  CLICKHOUSE_PASSWORD: key.string({
    default: '',
    secret: true,
    doc: 'ClickHouse password (server mode only).',
  }),
  CLICKHOUSE_DATABASE: key.string({
    default: 'pulse',
    doc: 'ClickHouse database that holds Pulse tables; created by `pulse migrate`.',
  }),
  CLICKHOUSE_CLUSTER: key.string<string | undefined>({
    doc: 'ClickHouse cluster name; when set, DDL runs ON CLUSTER with Replicated and Distributed tables.',
  }),
  KAFKA_BROKERS: key.hostPorts<string[] | undefined>({
    doc: 'Kafka bootstrap brokers; unset uses the embedded durable log under PULSE_DATA_DIR.',
  }),
  PULSE_KAFKA_CLIENT_ID: key.string({
    default: 'pulse',
    doc: 'Kafka client id, shown in broker logs and quotas.',
  }),
  PULSE_KAFKA_PARTITIONS: key.integer({
    default: 3,
    min: 1,
    doc: 'Partitions of each topic Pulse creates at start when it is absent (the ceiling on ingester parallelism); existing topics are left as they are.',
  }),
  PULSE_KAFKA_REPLICATION_FACTOR: key.integer({
    default: 1,
    min: 1,
    doc: 'Replication factor of the topics Pulse creates at start; 3 on a production cluster (at most the number of brokers).',
  }),
  PULSE_KAFKA_COMPRESSION: key.oneOf(['gzip', 'zstd', 'none'], {
    default: 'zstd',
    doc: "Codec the producer compresses batches with, also set as the created topics' compression.type; zstd (Node's built-in zlib) compresses the demo mix as well as gzip at about a fifth of its CPU, LZ4 and Snappy are not offered (kafkajs needs extra codec packages for them).",
  }),
  PULSE_INGEST_LINGER_MS: key.integer<number | undefined>({
    min: 0,
    max: 10000,
    doc: 'How long the ingester lets a partial batch fill before inserting it; unset: 1000 through Kafka, 300 through the embedded log. Larger inserts cost the warehouse less CPU per event (about 27 µs per event at 2,500 rows, 16 µs at 10,000; see bench/README.md), paid for with up to this much freshness; the embedded log keeps waiting events in memory, where a shorter wait costs its process less garbage collection than the larger inserts save; 0 inserts what is there at once.',
  }),
  DATABASE_URL: key.url<string | undefined>({
    protocols: ['postgres:', 'postgresql:'],
    secret: true,
    doc: 'PostgreSQL URL for metadata (users, dashboards, schedules); unset uses embedded PGlite under PULSE_DATA_DIR.',
  }),
  OTEL_SERVICE_NAME: key.string({ default: 'pulse', doc: 'Service name on traces and logs.' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: key.url<string | undefined>({
    protocols: ['http:', 'https:'],
    doc: 'OTLP/HTTP collector base URL for traces; unset keeps tracing in-process only.',
  }),
} as const;

export type ConfigKeyName = keyof typeof configKeys;
