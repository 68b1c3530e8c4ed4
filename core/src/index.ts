export * from './errors/index.ts';
export * from './config/index.ts';
export * from './logging/index.ts';
export * from './telemetry/index.ts';
export * from './events/index.ts';
export * from './metadata/index.ts';
export { loadSqlMigrations, type SqlMigration } from './migrations/load-sql-migrations.ts';
