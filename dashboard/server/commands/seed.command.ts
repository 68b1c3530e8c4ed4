import { createLogger, createMetadataStore, ensureDemoWorkspace, loadConfig } from '@pulse/core';
import { loadDemoHistory } from '@pulse/ingest';
import { createWarehouse, migrate } from '@pulse/warehouse';

/** `pulse seed`: loads demo history into the warehouse (migrating first), printing progress. */
export async function runSeed(
  env: Record<string, string | undefined>,
  options: { days?: number; seed?: number; events?: number },
): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger({ ...config.log, level: 'warn' });
  const warehouse = await createWarehouse(config.warehouse);
  const metadata = await createMetadataStore(config.metadata);
  try {
    await migrate(warehouse, { logger });
    await metadata.migrate();
    const { workspace } = await ensureDemoWorkspace(metadata);
    const started = Date.now();
    const result = await loadDemoHistory({
      warehouse,
      workspaceId: workspace.id,
      config: {
        ...config.demo,
        days: options.days ?? config.demo.days,
        seed: options.seed ?? config.demo.seed,
      },
      targetEvents: options.events,
      onProgress: (p) =>
        process.stdout.write(
          `\rseeding: ${p.events.toLocaleString('en')} events${p.percent === undefined ? '' : ` (${p.percent}%)`}   `,
        ),
    });
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `\nseeded ${result.events.toLocaleString('en')} demo events in ${seconds.toFixed(1)} s into workspace "${workspace.slug}"`,
    );
  } finally {
    await Promise.allSettled([warehouse.close(), metadata.close()]);
  }
}
