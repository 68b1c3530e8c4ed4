// Test and benchmark helper: a private chDB warehouse in a temporary directory. chDB allows one
// engine per process, so call this once per test file (Vitest runs each file in its own process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWarehouse, type Warehouse } from '../create-warehouse.ts';
import { migrate } from '../migrations/migrate.ts';

export interface ScratchWarehouse {
  warehouse: Warehouse;
  dataPath: string;
  /** Closes the engine and removes its files. */
  cleanup(): Promise<void>;
}

export async function createScratchWarehouse(
  options: { database?: string; migrate?: boolean } = {},
): Promise<ScratchWarehouse> {
  const dataPath = mkdtempSync(join(tmpdir(), 'pulse-wh-'));
  const warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: options.database ?? 'pulse_test',
    cluster: undefined,
    dataPath,
  });
  if (options.migrate !== false) await migrate(warehouse);
  return {
    warehouse,
    dataPath,
    async cleanup() {
      await warehouse.close();
      rmSync(dataPath, { recursive: true, force: true });
    },
  };
}
