import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examples } from '@pulse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countEventsByFamily,
  createWarehouse,
  describeSchema,
  insertEvents,
  insertRows,
  isWarehouseEmpty,
  latestEvents,
  migrate,
  toRows,
  type Warehouse,
} from './index.ts';

// One chDB engine per process: every test in this file shares one data path.
let warehouse: Warehouse;
let dataPath: string;

beforeAll(async () => {
  dataPath = mkdtempSync(join(tmpdir(), 'pulse-wh-'));
  warehouse = await createWarehouse({
    url: undefined,
    user: 'default',
    password: '',
    database: 'pulse_test',
    cluster: undefined,
    dataPath,
  });
  await migrate(warehouse);
});
afterAll(async () => {
  await warehouse.close();
  rmSync(dataPath, { recursive: true, force: true });
});

const count = async (table: string) =>
  Number(
    (
      await (
        await warehouse.client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })
      ).json<{ n: string }>()
    )[0]!.n,
  );

describe('warehouse on the embedded engine', () => {
  it('produces exactly the committed schema (run `node warehouse/scripts/snapshot-schema.ts` when intended)', async () => {
    const snapshot = readFileSync(new URL('../schema.snapshot.sql', import.meta.url), 'utf8');
    expect(await describeSchema(warehouse)).toBe(snapshot);
  });

  it('starts empty and answers a ping', async () => {
    expect(await warehouse.ping()).toBe(true);
    expect(await isWarehouseEmpty(warehouse)).toBe(true);
  });

  it('maps and inserts every contract example into its table', async () => {
    const tables = toRows(examples);
    expect([...tables.keys()].sort()).toEqual([
      'crm_deal_stage_changes',
      'crm_entity_events',
      'product_events',
      'social_comments',
      'social_followers',
      'social_post_metrics',
      'social_posts',
    ]);
    expect(await insertEvents(warehouse, examples, { dedupToken: 'examples-1' })).toBe(examples.length);
    expect(await count('product_events')).toBe(6);
    expect(await count('crm_entity_events')).toBe(6);
    expect(await isWarehouseEmpty(warehouse)).toBe(false);
  });

  it('adds nothing when a batch is re-inserted with the same deduplication token', async () => {
    const before = await count('product_events');
    await insertEvents(warehouse, examples, { dedupToken: 'examples-1' });
    expect(await count('product_events')).toBe(before);
    const rows = toRows(examples).get('product_events')!;
    await insertRows(warehouse, 'product_events', rows, { dedupToken: 'other-batch' });
    expect(await count('product_events')).toBe(before + rows.length);
  });

  it('keeps unknown fields in the JSON columns', async () => {
    const event = {
      ...examples[0]!,
      eventId: 'unknown-1',
      sdkBuild: 77,
      properties: { format: 'csv', nested: { deep: true } },
    };
    await insertEvents(warehouse, [event as (typeof examples)[number]]);
    const [row] = await (
      await warehouse.client.query({
        query: "SELECT properties, extra FROM product_events WHERE event_id = 'unknown-1'",
        format: 'JSONEachRow',
      })
    ).json<{ properties: string; extra: string }>();
    expect(JSON.parse(row!.properties)).toEqual({ format: 'csv', nested: { deep: true } });
    expect(JSON.parse(row!.extra)).toEqual({ sdkBuild: 77 });
  });

  it('counts events per family and lists the latest ones', async () => {
    const counts = await countEventsByFamily(warehouse, { since: new Date('2026-01-01T00:00:00Z') });
    expect(counts.find((c) => c.family === 'social')).toEqual({
      family: 'social',
      events: 6,
      lastEventAt: '2026-11-02T09:30:00.000Z',
    });
    expect(counts.find((c) => c.family === 'crm')?.events).toBe(7);
    expect(await countEventsByFamily(warehouse, { since: new Date('2026-12-01T00:00:00Z') })).toEqual([
      { family: 'product', events: 0, lastEventAt: null },
      { family: 'social', events: 0, lastEventAt: null },
      { family: 'crm', events: 0, lastEventAt: null },
    ]);
    expect(
      (await countEventsByFamily(warehouse, { workspaceId: 'ws_other', since: new Date(0) })).every(
        (c) => c.events === 0,
      ),
    ).toBe(true);
    const latest = await latestEvents(warehouse, { limit: 5 });
    expect(latest).toHaveLength(5);
    expect(latest.map((e) => e.summary).join('\n')).toMatch(
      /instagram · post metrics · 1\.20 thousand impressions, 85 likes|hubspot · deal → won · 12000 EUR|linkedin · post published/,
    );
  });

  it('refuses a wrong row type with a non-retriable error naming the table', async () => {
    await expect(
      insertRows(warehouse, 'social_followers', [{ event_id: 'x', followers: 'lots' }]),
    ).rejects.toMatchObject({
      code: 'WAREHOUSE_INSERT_FAILED',
      retriable: false,
      context: { table: 'social_followers' },
    });
  });

  it('inserts rows on the embedded engine as TabSeparated exactly as JSONEachRow would', async () => {
    expect(warehouse.insertTabSeparated).toBeDefined();
    const awkward = [
      'tab\there',
      'line\nbreak',
      'carriage\rreturn',
      'back\\slash',
      '\\N',
      '\\t not a tab',
      'ünïcödé 🚀 漢字',
      '',
      '{"nested":{"a":[1,2,"\\"quoted\\""]},"b":"x\\ny"}',
    ];
    const rows = awkward.map((text, i) => ({
      event_id: `tsv-${i}`,
      type: 'track',
      event: text,
      user_id: i % 2 === 0 ? null : `user-${i}`, // null: the column default
      session_id: text,
      timestamp: `2026-11-0${1 + (i % 9)}T10:00:0${i}.25${i}Z`,
      received_at: '2026-11-10T00:00:00+01:00',
      properties: text === '' ? '' : JSON.stringify({ text, n: i, f: i / 3 }),
      ...(i % 3 === 0 ? {} : { context: JSON.stringify({ page: text }) }), // missing: the default
    }));
    await insertRows(
      warehouse,
      'product_events',
      rows.map((r) => ({ ...r, workspace_id: 'ws_tsv' })),
    );
    await warehouse.client.insert({
      table: 'product_events',
      values: rows.map((r) => ({ ...r, workspace_id: 'ws_json' })),
      format: 'JSONEachRow',
      clickhouse_settings: { date_time_input_format: 'best_effort', insert_deduplication_token: 'tsv-json' },
    });
    const read = async (ws: string) =>
      (
        await warehouse.client.query({
          query: `SELECT * EXCEPT (workspace_id, ingested_at) FROM product_events
                  WHERE workspace_id = {ws:String} ORDER BY event_id`,
          query_params: { ws },
          format: 'JSONEachRow',
        })
      ).json<Record<string, string>>();
    const viaTsv = await read('ws_tsv');
    expect(viaTsv).toHaveLength(awkward.length);
    expect(viaTsv).toEqual(await read('ws_json'));
    expect(viaTsv.map((r) => r.event)).toEqual(awkward);
    expect(viaTsv[0]!.user_id).toBe('');
    expect(viaTsv[0]!.context).toBe('');
  });
});
