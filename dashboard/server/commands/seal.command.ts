import { createLogger, loadConfig } from '@pulse/core';
import { createWarehouse, migrate, sealFinishedDays } from '@pulse/warehouse';

/**
 * `pulse seal`: seals the finished UTC days now (what `pulse start` does every 10 minutes): the
 * hourly changes of post totals and open deal amounts, and each day's distinct people. Useful
 * after a backfill or `pulse seed`, so the first dashboards read sealed days.
 */
export async function runSeal(
  env: Record<string, string | undefined>,
  options: { workspace?: string },
): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger({ ...config.log, level: 'warn' });
  const warehouse = await createWarehouse(config.warehouse);
  try {
    await migrate(warehouse, { logger });
    const started = performance.now();
    const results = await sealFinishedDays(
      warehouse,
      options.workspace ? { workspaceId: options.workspace } : {},
    );
    if (warehouse.cluster) {
      console.log('Nothing sealed: sealed days are kept on a single node only (queries compute every day).');
      return;
    }
    for (const r of results)
      console.log(
        r.days > 0
          ? `${r.workspaceId}  ${r.source.padEnd(20)} sealed ${r.days} day(s) from ${r.fromDay} in ${r.ms} ms`
          : `${r.workspaceId}  ${r.source.padEnd(20)} up to date`,
      );
    if (results.length === 0) console.log('Nothing to seal: the warehouse has no events yet.');
    console.log(`done in ${Math.round(performance.now() - started)} ms`);
  } finally {
    await warehouse.close();
  }
}
