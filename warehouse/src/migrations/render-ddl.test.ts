import { describe, expect, it } from 'vitest';
import { loadMigrations } from './load-migrations.ts';
import { renderStatement, splitStatements } from './render-ddl.ts';

const ddl = `CREATE TABLE IF NOT EXISTS product_events {{on_cluster}} (event_id String, ts DateTime)
ENGINE = {{engine:ReplacingMergeTree(ts)}} ORDER BY event_id`;

describe('DDL rendering', () => {
  it('renders plain engines for a single node', () => {
    expect(renderStatement(ddl, { database: 'pulse', cluster: undefined })).toEqual([
      'CREATE TABLE IF NOT EXISTS product_events  (event_id String, ts DateTime)\nENGINE = ReplacingMergeTree(ts) ORDER BY event_id',
    ]);
  });

  it('renders ON CLUSTER, Replicated engines and a Distributed table for a cluster', () => {
    const [local, distributed] = renderStatement(ddl, { database: 'pulse', cluster: 'main' });
    expect(local).toBe(
      "CREATE TABLE IF NOT EXISTS product_events_local ON CLUSTER main (event_id String, ts DateTime)\nENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/product_events_local', '{replica}', ts) ORDER BY event_id",
    );
    expect(distributed).toBe(
      'CREATE TABLE IF NOT EXISTS product_events ON CLUSTER main AS product_events_local\nENGINE = Distributed(main, pulse, product_events_local, cityHash64(event_id))',
    );
  });

  it('renders engines without arguments', () => {
    const [local] = renderStatement(
      'CREATE TABLE IF NOT EXISTS t {{on_cluster}} (event_id String) ENGINE = {{engine:MergeTree()}} ORDER BY event_id',
      { database: 'd', cluster: 'c' },
    );
    expect(local).toContain(
      "ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/t_local', '{replica}')",
    );
  });

  it('points materialized views at shard-local tables and shards rollups without an event id', () => {
    const view =
      'CREATE MATERIALIZED VIEW IF NOT EXISTS r_mv {{on_cluster}} TO r{{local}} AS SELECT workspace_id FROM product_events{{local}}';
    expect(renderStatement(view, { database: 'd', cluster: 'c' })).toEqual([
      'CREATE MATERIALIZED VIEW IF NOT EXISTS r_mv ON CLUSTER c TO r_local AS SELECT workspace_id FROM product_events_local',
    ]);
    expect(renderStatement(view, { database: 'd', cluster: undefined })[0]).toContain('TO r AS SELECT');
    const [, distributed] = renderStatement(
      'CREATE TABLE IF NOT EXISTS r {{on_cluster}} (bucket DateTime) ENGINE = {{engine:AggregatingMergeTree()}} ORDER BY bucket',
      { database: 'd', cluster: 'c' },
    );
    expect(distributed).toContain('Distributed(c, d, r_local, rand())');
  });

  it('renders every shipped migration for a cluster with no placeholder left', () => {
    for (const m of loadMigrations()) {
      for (const statement of splitStatements(m.sql)) {
        for (const sql of renderStatement(statement, { database: 'pulse', cluster: 'main' })) {
          expect(sql).not.toContain('{{');
          // A backfill INSERT runs once, through the Distributed tables; DDL runs on every node.
          if (/^INSERT\b/.test(sql)) {
            expect(sql).not.toContain('_local');
            continue;
          }
          expect(sql).toContain('ON CLUSTER main');
          if (/MergeTree/.test(sql))
            expect(sql).toMatch(/Replicated\w*MergeTree\('\/clickhouse\/tables\/\{shard\}/);
        }
      }
    }
  });

  it('splits statements on semicolons outside comments and strings', () => {
    expect(splitStatements("-- a; comment\nSELECT 'a;b';\nSELECT 2; -- trailing;\n")).toEqual([
      "SELECT 'a;b'",
      'SELECT 2',
    ]);
  });
});
