import { fileURLToPath } from 'node:url';
import { loadSqlMigrations, type SqlMigration } from '@pulse/core';

export type Migration = SqlMigration;

export const migrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** The warehouse migration files in version order: `NNNN_name.sql`, append-only. */
export function loadMigrations(dir: string = migrationsDir): Migration[] {
  return loadSqlMigrations(dir);
}
