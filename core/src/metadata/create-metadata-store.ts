import type { MetadataConfig } from '../config/index.ts';
import {
  type MetadataMigration,
  type MetadataMigrationState,
  metadataMigrationStatus,
  migrateMetadata,
} from './migrate-metadata.ts';
import { documentsRepository } from './repositories/documents.ts';
import { schedulesRepository } from './repositories/schedules.ts';
import { sourcesRepository } from './repositories/sources.ts';
import { usersRepository } from './repositories/users.ts';
import { workspacesRepository } from './repositories/workspaces.ts';
import { openPglite, openPostgres, type SqlDriver } from './sql-driver.ts';

export interface MetadataStore {
  engine: 'pglite' | 'postgres';
  db: SqlDriver;
  workspaces: ReturnType<typeof workspacesRepository>;
  users: ReturnType<typeof usersRepository>;
  sources: ReturnType<typeof sourcesRepository>;
  dashboards: ReturnType<typeof documentsRepository>;
  reports: ReturnType<typeof documentsRepository>;
  schedules: ReturnType<typeof schedulesRepository>;
  migrate(): Promise<MetadataMigration[]>;
  migrationStatus(): Promise<MetadataMigrationState[]>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Users, workspaces, sources, dashboards, reports and schedules: on embedded PGlite under
 * `config.dataPath` by default, on PostgreSQL at `config.databaseUrl` when set. One set of
 * migrations and one SQL dialect serve both.
 */
export async function createMetadataStore(config: MetadataConfig): Promise<MetadataStore> {
  const engine = config.databaseUrl === undefined ? 'pglite' : 'postgres';
  const db =
    engine === 'pglite' ? await openPglite(config.dataPath) : await openPostgres(config.databaseUrl!);
  return {
    engine,
    db,
    workspaces: workspacesRepository(db),
    users: usersRepository(db),
    sources: sourcesRepository(db),
    dashboards: documentsRepository(db, 'dashboards'),
    reports: documentsRepository(db, 'saved_reports'),
    schedules: schedulesRepository(db),
    migrate: () => migrateMetadata(db),
    migrationStatus: () => metadataMigrationStatus(db),
    async ping() {
      try {
        await db.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    close: () => db.close(),
  };
}
