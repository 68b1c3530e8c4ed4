import { createLogger, createMetadataStore, loadConfig } from '@pulse/core';
import { createWarehouse, migrate, migrationStatus } from '@pulse/warehouse';

/** `pulse migrate`: applies pending warehouse and metadata migrations; `--status` only lists them. */
export async function runMigrate(
  env: Record<string, string | undefined>,
  options: { status?: boolean },
): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger({ ...config.log, level: 'warn' });
  const warehouse = await createWarehouse(config.warehouse);
  const metadata = await createMetadataStore(config.metadata);
  try {
    if (options.status) {
      for (const m of await migrationStatus(warehouse)) {
        console.log(
          `warehouse  ${m.version}  ${m.name.padEnd(40)} ${m.appliedAt ? `applied ${m.appliedAt}` : 'pending'}`,
        );
      }
      for (const m of await metadata.migrationStatus()) {
        console.log(
          `metadata   ${m.version}  ${m.name.padEnd(40)} ${m.appliedAt ? `applied ${m.appliedAt}` : 'pending'}`,
        );
      }
      return;
    }
    const warehouseApplied = await migrate(warehouse, { logger });
    const metadataApplied = await metadata.migrate();
    for (const m of warehouseApplied) console.log(`warehouse: applied ${m.version} ${m.name}`);
    for (const m of metadataApplied) console.log(`metadata: applied ${m.version} ${m.name}`);
    if (warehouseApplied.length + metadataApplied.length === 0)
      console.log('Nothing to migrate: warehouse and metadata are up to date.');
  } finally {
    await Promise.allSettled([warehouse.close(), metadata.close()]);
  }
}
