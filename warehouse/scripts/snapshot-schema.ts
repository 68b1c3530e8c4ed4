// Applies every migration to an empty embedded warehouse and writes warehouse/schema.snapshot.sql,
// the schema the migrations produce; a test fails when the committed snapshot is stale.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWarehouse, describeSchema, migrate } from '../src/index.ts';

const dataPath = mkdtempSync(join(tmpdir(), 'pulse-schema-'));
const warehouse = await createWarehouse({
  url: undefined,
  user: 'default',
  password: '',
  database: 'pulse',
  cluster: undefined,
  dataPath,
});
try {
  await migrate(warehouse);
  writeFileSync(new URL('../schema.snapshot.sql', import.meta.url), await describeSchema(warehouse));
  console.log('wrote warehouse/schema.snapshot.sql');
} finally {
  await warehouse.close();
  rmSync(dataPath, { recursive: true, force: true });
}
