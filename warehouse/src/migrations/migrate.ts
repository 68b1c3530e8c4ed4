import { PulseError, type Logger } from '@pulse/core';
import type { Warehouse } from '../create-warehouse.ts';
import { translateWarehouseError } from '../translate-error.ts';
import { loadMigrations, type Migration, migrationsDir } from './load-migrations.ts';
import { renderStatement, splitStatements } from './render-ddl.ts';

export interface MigrationState {
  version: number;
  name: string;
  checksum: string;
  appliedAt: string | null;
}
export interface MigrateOptions {
  logger?: Logger;
  dir?: string;
}

// The ledger is plain MergeTree: one row per applied migration, never updated.
const ledgerDdl = `CREATE TABLE IF NOT EXISTS pulse_migrations {{on_cluster}} (
  version UInt32, name String, checksum FixedString(64), applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = {{engine:MergeTree()}} ORDER BY version`;

/**
 * Applies pending migrations in order and records each in the ledger. A second run applies
 * nothing. A migration whose file changed after it was applied is refused: applied migrations are
 * history, and a change must come as a new migration.
 */
export async function migrate(warehouse: Warehouse, options: MigrateOptions = {}): Promise<Migration[]> {
  const migrations = loadMigrations(options.dir ?? migrationsDir);
  await execute(warehouse, ledgerDdl);
  const applied = await appliedMigrations(warehouse);
  for (const m of migrations) {
    const previous = applied.get(m.version);
    if (previous && previous.checksum !== m.checksum) {
      throw new PulseError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `warehouse migration ${m.file} changed after it was applied`,
        {
          context: { version: m.version, applied: previous.checksum, current: m.checksum },
          hint: `Restore ${m.file} to what was applied and put the change in a new migration (${String(migrations.length + 1).padStart(4, '0')}_….sql).`,
        },
      );
    }
  }
  const pending = migrations.filter((m) => !applied.has(m.version));
  for (const m of pending) {
    options.logger?.info({ version: m.version, name: m.name }, 'applying warehouse migration');
    for (const statement of splitStatements(m.sql)) await execute(warehouse, statement, m.file);
    await warehouse.client.insert({
      table: 'pulse_migrations',
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    });
  }
  return pending;
}

export async function migrationStatus(
  warehouse: Warehouse,
  dir: string = migrationsDir,
): Promise<MigrationState[]> {
  await execute(warehouse, ledgerDdl);
  const applied = await appliedMigrations(warehouse);
  return loadMigrations(dir).map((m) => ({
    version: m.version,
    name: m.name,
    checksum: m.checksum,
    appliedAt: applied.get(m.version)?.appliedAt ?? null,
  }));
}

async function appliedMigrations(
  warehouse: Warehouse,
): Promise<Map<number, { checksum: string; appliedAt: string }>> {
  const result = await warehouse.client.query({
    query:
      'SELECT version, checksum, toString(applied_at) AS applied_at FROM pulse_migrations ORDER BY version',
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ version: number; checksum: string; applied_at: string }>();
  return new Map(rows.map((r) => [Number(r.version), { checksum: r.checksum, appliedAt: r.applied_at }]));
}

async function execute(warehouse: Warehouse, statement: string, file?: string): Promise<void> {
  for (const sql of renderStatement(statement, {
    database: warehouse.database,
    cluster: warehouse.cluster,
  })) {
    try {
      await warehouse.client.command({ query: sql });
    } catch (err) {
      throw translateWarehouseError(
        err,
        'MIGRATION_FAILED',
        `warehouse migration ${file ?? '(ledger)'} failed`,
        { statement: sql.slice(0, 200) },
      );
    }
  }
}
