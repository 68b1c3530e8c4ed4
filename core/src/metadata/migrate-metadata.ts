import { fileURLToPath } from 'node:url';
import { PulseError } from '../errors/index.ts';
import { loadSqlMigrations, type SqlMigration } from '../migrations/load-sql-migrations.ts';
import type { SqlDriver } from './sql-driver.ts';

export type MetadataMigration = SqlMigration;
export interface MetadataMigrationState {
  version: number;
  name: string;
  appliedAt: string | null;
}

export const metadataMigrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));

const ledgerDdl = `CREATE TABLE IF NOT EXISTS pulse_schema_migrations (
  version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`;

export function loadMetadataMigrations(dir: string = metadataMigrationsDir): MetadataMigration[] {
  return loadSqlMigrations(dir);
}

/**
 * Applies pending migrations, each in its own transaction with its ledger row, so a failed
 * migration leaves nothing half-applied. A changed applied migration is refused.
 */
export async function migrateMetadata(db: SqlDriver, dir?: string): Promise<MetadataMigration[]> {
  await db.exec(ledgerDdl);
  const applied = new Map(
    (
      await db.query<{ version: number; checksum: string }>(
        'SELECT version, checksum FROM pulse_schema_migrations',
      )
    ).map((r) => [r.version, r.checksum]),
  );
  const migrations = loadMetadataMigrations(dir);
  for (const m of migrations) {
    const checksum = applied.get(m.version);
    if (checksum !== undefined && checksum !== m.checksum) {
      throw new PulseError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `metadata migration ${m.file} changed after it was applied`,
        {
          context: { version: m.version },
          hint: `Restore ${m.file} to what was applied and put the change in a new migration.`,
        },
      );
    }
  }
  const pending = migrations.filter((m) => !applied.has(m.version));
  for (const m of pending) {
    await db.transaction(async (tx) => {
      await tx.exec(m.sql);
      await tx.query('INSERT INTO pulse_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        m.checksum,
      ]);
    });
  }
  return pending;
}

export async function metadataMigrationStatus(
  db: SqlDriver,
  dir?: string,
): Promise<MetadataMigrationState[]> {
  await db.exec(ledgerDdl);
  const rows = await db.query<{ version: number; applied_at: Date }>(
    'SELECT version, applied_at FROM pulse_schema_migrations',
  );
  const applied = new Map(rows.map((r) => [r.version, new Date(r.applied_at).toISOString()]));
  return loadMetadataMigrations(dir).map((m) => ({
    version: m.version,
    name: m.name,
    appliedAt: applied.get(m.version) ?? null,
  }));
}
