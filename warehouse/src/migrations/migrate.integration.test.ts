import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWarehouse, type Warehouse } from '../create-warehouse.ts';
import { migrationsDir } from './load-migrations.ts';
import { migrate, migrationStatus } from './migrate.ts';

let warehouse: Warehouse;
let root: string;
let dir: string;
/** The number the next migration would take, so the test holds as migrations are added. */
const next = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).length + 1;
const extraFile = `${String(next).padStart(4, '0')}_extra.sql`;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pulse-migrate-'));
  dir = join(root, 'migrations');
  cpSync(migrationsDir, dir, { recursive: true });
  warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'pulse_migrate',
    cluster: undefined,
    dataPath: join(root, 'wh'),
  });
});
afterAll(async () => {
  await warehouse.close();
  rmSync(root, { recursive: true, force: true });
});

describe('migrate', () => {
  it('applies every migration once, then nothing on a second run', async () => {
    const first = await migrate(warehouse, { dir });
    expect(first.map((m) => m.file)).toEqual(
      readdirSync(migrationsDir)
        .filter((f) => f.endsWith('.sql'))
        .sort(),
    );
    expect(await migrate(warehouse, { dir })).toEqual([]);
    expect((await migrationStatus(warehouse, dir)).every((m) => m.appliedAt !== null)).toBe(true);
  });

  it('lists a new migration as pending and applies only it', async () => {
    writeFileSync(
      join(dir, extraFile),
      'CREATE TABLE IF NOT EXISTS extra_table {{on_cluster}} (event_id String) ENGINE = {{engine:MergeTree()}} ORDER BY event_id;',
    );
    expect((await migrationStatus(warehouse, dir)).at(-1)).toMatchObject({ version: next, appliedAt: null });
    expect((await migrate(warehouse, { dir })).map((m) => m.name)).toEqual(['extra']);
  });

  it('refuses a migration whose file changed after it was applied, naming the file', async () => {
    writeFileSync(
      join(dir, extraFile),
      'CREATE TABLE IF NOT EXISTS extra_table_changed (event_id String) ENGINE = MergeTree ORDER BY event_id;',
    );
    await expect(migrate(warehouse, { dir })).rejects.toMatchObject({
      code: 'MIGRATION_CHECKSUM_MISMATCH',
      message: `warehouse migration ${extraFile} changed after it was applied`,
      hint: expect.stringContaining('new migration'),
    });
  });
});
