import type { StreamFamily } from '@pulse/core';
import type { Warehouse } from '../create-warehouse.ts';
import { translateWarehouseError } from '../translate-error.ts';

export interface FamilyCount {
  family: StreamFamily;
  events: number;
  lastEventAt: string | null;
}
export interface LatestEvent {
  family: StreamFamily;
  type: string;
  eventId: string;
  workspaceId: string;
  timestamp: string;
  summary: string;
}

/** Every raw table with its family, time column and a one-line summary expression. */
const rawTables: { table: string; family: StreamFamily; time: string; type: string; summary: string }[] = [
  {
    table: 'product_events',
    family: 'product',
    time: 'timestamp',
    type: 'type',
    summary:
      "concat(type, if(event != '', concat(' · ', event), ''), ' · ', if(user_id != '', 'user ' || user_id, 'anonymous'))",
  },
  {
    table: 'social_posts',
    family: 'social',
    time: 'updated_at',
    type: 'type',
    summary: "concat(platform, ' · ', replaceOne(type, '_', ' '), ' · ', leftUTF8(text, 60))",
  },
  {
    table: 'social_post_metrics',
    family: 'social',
    time: 'timestamp',
    type: "'post_metrics_snapshot'",
    summary:
      "concat(platform, ' · post metrics · ', formatReadableQuantity(impressions), ' impressions, ', toString(likes), ' likes')",
  },
  {
    table: 'social_comments',
    family: 'social',
    time: 'timestamp',
    type: "'comment_received'",
    summary: "concat(platform, ' · comment · ', leftUTF8(text, 60))",
  },
  {
    table: 'social_followers',
    family: 'social',
    time: 'timestamp',
    type: "'account_followers_snapshot'",
    summary: "concat(platform, ' · followers · ', formatReadableQuantity(followers))",
  },
  {
    table: 'crm_entity_events',
    family: 'crm',
    time: 'timestamp',
    type: 'type',
    summary: "concat(source, ' · ', entity, ' ', action, if(status != '', concat(' · ', status), ''))",
  },
  {
    table: 'crm_deal_stage_changes',
    family: 'crm',
    time: 'timestamp',
    type: "'deal_stage_changed'",
    summary: "concat(source, ' · deal → ', stage, ' · ', toString(amount), ' ', currency)",
  },
];

// An empty workspace parameter means every workspace; values reach SQL only as parameters.
const workspaceFilter = "({ws:String} = '' OR workspace_id = {ws:String})";

export async function countEventsByFamily(
  warehouse: Warehouse,
  options: { workspaceId?: string; since: Date },
): Promise<FamilyCount[]> {
  const union = rawTables
    .map(
      (t) =>
        `SELECT '${t.family}' AS family, count() AS n, max(${t.time}) AS last FROM ${t.table} WHERE ${workspaceFilter} AND ${t.time} >= {since:DateTime64(3)}`,
    )
    .join(' UNION ALL ');
  const query = `SELECT family, sum(n) AS events, if(sum(n) = 0, NULL, toString(max(last))) AS last_event_at FROM (${union}) GROUP BY family`;
  const rows = await run<{ family: StreamFamily; events: string; last_event_at: string | null }>(
    warehouse,
    query,
    {
      ws: options.workspaceId ?? '',
      since: options.since.toISOString().replace('T', ' ').replace('Z', ''),
    },
  );
  return (['product', 'social', 'crm'] as const).map((family) => {
    const row = rows.find((r) => r.family === family);
    return {
      family,
      events: Number(row?.events ?? 0),
      lastEventAt: row?.last_event_at ? `${row.last_event_at.replace(' ', 'T')}Z` : null,
    };
  });
}

export async function latestEvents(
  warehouse: Warehouse,
  options: { workspaceId?: string; limit: number },
): Promise<LatestEvent[]> {
  const union = rawTables
    .map(
      (t) =>
        `(SELECT '${t.family}' AS family, ${t.type} AS type, event_id, workspace_id, ${t.time} AS ts, ${t.summary} AS summary FROM ${t.table} WHERE ${workspaceFilter} ORDER BY ${t.time} DESC LIMIT {limit:UInt32})`,
    )
    .join(' UNION ALL ');
  const rows = await run<{
    family: StreamFamily;
    type: string;
    event_id: string;
    workspace_id: string;
    ts: string;
    summary: string;
  }>(
    warehouse,
    `SELECT family, toString(type) AS type, event_id, toString(workspace_id) AS workspace_id, toString(ts) AS ts, summary FROM (${union}) ORDER BY ts DESC, event_id LIMIT {limit:UInt32}`,
    { ws: options.workspaceId ?? '', limit: options.limit },
  );
  return rows.map((r) => ({
    family: r.family,
    type: r.type,
    eventId: r.event_id,
    workspaceId: r.workspace_id,
    timestamp: `${r.ts.replace(' ', 'T')}Z`,
    summary: r.summary,
  }));
}

/** True when no raw table holds a row: first start, so the demo loads. */
export async function isWarehouseEmpty(warehouse: Warehouse): Promise<boolean> {
  const union = rawTables
    .map((t) => `SELECT count() AS n FROM (SELECT 1 FROM ${t.table} LIMIT 1)`)
    .join(' UNION ALL ');
  const rows = await run<{ n: string }>(warehouse, `SELECT sum(n) AS n FROM (${union})`, {});
  return Number(rows[0]?.n ?? 0) === 0;
}

async function run<T>(warehouse: Warehouse, query: string, params: Record<string, unknown>): Promise<T[]> {
  try {
    const result = await warehouse.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return await result.json<T>();
  } catch (err) {
    throw translateWarehouseError(err, 'WAREHOUSE_QUERY_FAILED', 'overview query failed');
  }
}
