export { loadConfig } from './load-config.ts';
export type {
  AuthConfig,
  BusConfig,
  OidcConfig,
  RetentionConfig,
  RoleName,
  SmtpConfig,
  CollectorConfig,
  ConfigIssue,
  DemoConfig,
  LogConfig,
  MetadataConfig,
  PulseConfig,
  ServerConfig,
  TelemetryConfig,
  WarehouseConfig,
} from './load-config.ts';
export { configKeys, type ConfigKeyName } from './keys.ts';
export { renderConfigTable, replaceConfigTable } from './render-config-table.ts';
