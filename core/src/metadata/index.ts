export { createMetadataStore, type MetadataStore } from './create-metadata-store.ts';
export { ensureDemoWorkspace } from './demo-workspace.ts';
export {
  loadMetadataMigrations,
  metadataMigrationsDir,
  migrateMetadata,
  type MetadataMigration,
  type MetadataMigrationState,
} from './migrate-metadata.ts';
export { openPglite, openPostgres, type SqlDriver } from './sql-driver.ts';
export type { Page, PageRequest } from './repositories/paginate.ts';
export type { Membership, Role, User } from './repositories/users.ts';
export type { Source, SourceFamily, WriteKeyInfo } from './repositories/sources.ts';
export type { StoredDocument } from './repositories/documents.ts';
export type { Schedule } from './repositories/schedules.ts';
export type { Workspace } from './repositories/workspaces.ts';
