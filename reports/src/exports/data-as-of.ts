import type { Warehouse } from '@pulse/warehouse';

const tables = ['product_events', 'social_post_metrics', 'social_followers', 'crm_entity_events'];

/**
 * The newest row the warehouse had for the workspace (its ingest time), so the file says how
 * fresh its numbers are; never later than `atMost`. Same reading as scheduled reports use.
 */
export async function readDataAsOf(warehouse: Warehouse, workspaceId: string, atMost: Date): Promise<Date> {
  const union = tables
    .map((t) => `SELECT max(ingested_at) AS t FROM ${t} WHERE workspace_id = {ws:String}`)
    .join(' UNION ALL ');
  const result = await warehouse.client.query({
    query: `SELECT toUnixTimestamp64Milli(max(t)) AS ms FROM (${union})`,
    query_params: { ws: workspaceId },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const [row] = (await result.json()) as { ms: number }[];
  const ms = Number(row?.ms ?? 0);
  return new Date(ms > 0 ? Math.min(ms, atMost.getTime()) : atMost.getTime());
}
