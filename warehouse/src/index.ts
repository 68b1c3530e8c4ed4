export { createWarehouse, quoteIdentifier, type Warehouse } from './create-warehouse.ts';
export { isRetriableWarehouseError, translateWarehouseError } from './translate-error.ts';
export { migrate, migrationStatus, type MigrateOptions, type MigrationState } from './migrations/migrate.ts';
export { loadMigrations, migrationsDir, type Migration } from './migrations/load-migrations.ts';
export { renderStatement, splitStatements, type RenderTarget } from './migrations/render-ddl.ts';
export { toRow, toRows, type Row, type TableName } from './rows/to-rows.ts';
export { insertEvents, insertRows, type InsertOptions } from './rows/insert-rows.ts';
export {
  countEventsByFamily,
  isWarehouseEmpty,
  latestEvents,
  type FamilyCount,
  type LatestEvent,
} from './queries/event-counts.ts';
export { describeSchema } from './migrations/describe-schema.ts';
export * from './metrics/index.ts';
