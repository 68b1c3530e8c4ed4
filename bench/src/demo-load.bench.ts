// How fast the demo simulator makes events, next to how fast the embedded warehouse takes them:
// the simulator must never be what limits a load. Also extrapolates the 100M-event generation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulator } from '@pulse/ingest';
import { createWarehouse, insertEvents, migrate } from '@pulse/warehouse';

export async function run(options: { events?: number }): Promise<void> {
  const target = options.events ?? 1_000_000;
  const end = new Date('2026-11-24T00:00:00Z');

  // 1. Generation alone.
  let generated = 0;
  let started = performance.now();
  for (const batch of createSimulator({
    seed: 1,
    workspaceId: 'bench',
    days: 90,
    targetEvents: target,
    end,
  }).historyBatches(50_000))
    generated += batch.length;
  const generateSeconds = (performance.now() - started) / 1000;

  // 2. The same events, generated and inserted into an empty embedded warehouse.
  const dataPath = mkdtempSync(join(tmpdir(), 'pulse-bench-'));
  const warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'bench',
    cluster: undefined,
    dataPath,
  });
  await migrate(warehouse);
  let inserted = 0;
  started = performance.now();
  for (const batch of createSimulator({
    seed: 1,
    workspaceId: 'bench',
    days: 90,
    targetEvents: target,
    end,
  }).historyBatches(50_000)) {
    inserted += await insertEvents(warehouse, batch);
  }
  const loadSeconds = (performance.now() - started) / 1000;
  await warehouse.close();
  rmSync(dataPath, { recursive: true, force: true });

  const generateRate = generated / generateSeconds;
  const loadRate = inserted / loadSeconds;
  console.log(`demo-load: ${generated.toLocaleString('en')} events of the demo mix (90 days)`);
  console.log(
    `  generate only            ${Math.round(generateRate).toLocaleString('en')} events/s (${generateSeconds.toFixed(1)} s)`,
  );
  console.log(
    `  generate + insert (chDB) ${Math.round(loadRate).toLocaleString('en')} events/s (${loadSeconds.toFixed(1)} s)   ← baseline`,
  );
  console.log(
    `  ratio generate / load    ${(generateRate / loadRate).toFixed(2)}x  (> 1: the simulator is not the bottleneck)`,
  );
  console.log(
    `  100M events: generation ≈ ${(100e6 / generateRate / 60).toFixed(1)} min, load ≈ ${(100e6 / loadRate / 60).toFixed(1)} min`,
  );
}
