import { describe, expect, it } from 'vitest';
import type { Warehouse } from '../create-warehouse.ts';
import { type CachedRow, createMetricResultCache, tablesRead } from './result-cache.ts';

/** A warehouse that only answers the cache's part-state lookups, from a version we move by hand. */
function fakeWarehouse(options: { cluster?: string } = {}) {
  const state = { version: 'v1', lookups: 0, lookedUp: [] as string[][] };
  const client = {
    async query(args: { query: string; query_params?: { tables?: string[] } }) {
      if (!args.query.includes('system.parts')) throw new Error(`unexpected statement: ${args.query}`);
      state.lookups++;
      const tables = args.query_params?.tables ?? [];
      state.lookedUp.push(tables);
      return { json: async () => tables.map((table) => ({ table, version: state.version })) };
    },
  };
  const warehouse = { client, database: 'pulse_test', cluster: options.cluster } as unknown as Warehouse;
  return { warehouse, state };
}

function counted(rows: CachedRow[]) {
  const calls = { n: 0 };
  const execute = async () => {
    calls.n++;
    return structuredClone(rows);
  };
  return { calls, execute };
}

const statement = {
  sql: 'SELECT sum(events) FROM product_activity_day WHERE x = {p0:String}',
  params: { p0: 'a' },
};

describe('metric result cache', () => {
  it('answers a repeated statement once while the tables it reads are unchanged', async () => {
    const { warehouse } = fakeWarehouse();
    const cache = createMetricResultCache();
    const { calls, execute } = counted([{ events: 5 }]);
    expect(await cache.rows(warehouse, statement, execute)).toEqual([{ events: 5 }]);
    expect(await cache.rows(warehouse, statement, execute)).toEqual([{ events: 5 }]);
    expect(calls.n).toBe(1);
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
  });

  it('asks the warehouse again once new data changed the tables', async () => {
    const { warehouse, state } = fakeWarehouse();
    const cache = createMetricResultCache();
    const first = counted([{ events: 5 }]);
    await cache.rows(warehouse, statement, first.execute);
    state.version = 'v2';
    const second = counted([{ events: 7 }]);
    expect(await cache.rows(warehouse, statement, second.execute)).toEqual([{ events: 7 }]);
    expect(second.calls.n).toBe(1);
  });

  it('keeps statements with other parameters apart', async () => {
    const { warehouse } = fakeWarehouse();
    const cache = createMetricResultCache();
    await cache.rows(warehouse, statement, counted([{ events: 5 }]).execute);
    const other = counted([{ events: 9 }]);
    const rows = await cache.rows(warehouse, { ...statement, params: { p0: 'b' } }, other.execute);
    expect(rows).toEqual([{ events: 9 }]);
    expect(other.calls.n).toBe(1);
  });

  it('runs identical statements that arrive together once and looks the version up once', async () => {
    const { warehouse, state } = fakeWarehouse();
    const cache = createMetricResultCache();
    const { calls, execute } = counted([{ events: 5 }]);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => cache.rows(warehouse, statement, execute)),
    );
    expect(answers).toEqual(Array.from({ length: 8 }, () => [{ events: 5 }]));
    expect(calls.n).toBe(1);
    expect(state.lookups).toBe(1);
    expect(state.lookedUp[0]).toEqual(['product_activity_day']);
  });

  it('gives every caller its own rows, so one caller changing them cannot reach another', async () => {
    const { warehouse } = fakeWarehouse();
    const cache = createMetricResultCache();
    const { execute } = counted([{ events: 5 }]);
    const mine = await cache.rows(warehouse, statement, execute);
    (mine[0] as CachedRow).events = 1000;
    mine.length = 0;
    expect(await cache.rows(warehouse, statement, execute)).toEqual([{ events: 5 }]);
  });

  it('does not keep a failure', async () => {
    const { warehouse } = fakeWarehouse();
    const cache = createMetricResultCache();
    await expect(
      cache.rows(warehouse, statement, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { calls, execute } = counted([{ events: 5 }]);
    expect(await cache.rows(warehouse, statement, execute)).toEqual([{ events: 5 }]);
    expect(calls.n).toBe(1);
  });

  it('reuses nothing past its maximum age or for answers above its row limit', async () => {
    const { warehouse } = fakeWarehouse();
    const aged = createMetricResultCache({ maxAgeMs: -1 });
    const a = counted([{ events: 5 }]);
    await aged.rows(warehouse, statement, a.execute);
    await aged.rows(warehouse, statement, a.execute);
    expect(a.calls.n).toBe(2);
    const small = createMetricResultCache({ maxRows: 1 });
    const b = counted([{ events: 5 }, { events: 6 }]);
    await small.rows(warehouse, statement, b.execute);
    await small.rows(warehouse, statement, b.execute);
    expect(b.calls.n).toBe(2);
  });

  it('steps aside on a cluster, where system.parts describes one node', async () => {
    const { warehouse, state } = fakeWarehouse({ cluster: 'pulse' });
    const cache = createMetricResultCache();
    const { calls, execute } = counted([{ events: 5 }]);
    await cache.rows(warehouse, statement, execute);
    await cache.rows(warehouse, statement, execute);
    expect(calls.n).toBe(2);
    expect(state.lookups).toBe(0);
  });
});

describe('tablesRead', () => {
  it('lists every table a statement reads from or joins, each once', () => {
    const sql =
      'SELECT * FROM (SELECT a FROM social_posts WHERE 1) AS p LEFT JOIN (SELECT b FROM social_post_metrics) AS m ' +
      'ON 1 UNION ALL SELECT c FROM social_posts';
    expect(tablesRead(sql)).toEqual(['social_post_metrics', 'social_posts']);
  });
});
