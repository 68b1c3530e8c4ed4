import { randomUUID } from 'node:crypto';
import type { Warehouse } from '../create-warehouse.ts';
import { translateWarehouseError } from '../translate-error.ts';
import { alterTable } from './alter-table.ts';

/**
 * Rollups cannot be corrected by subtraction: `actors` and `entities` are uniqExact states (a set
 * of hashed ids), and a sum cannot tell whose events it counted. After an erasure each affected
 * rollup is therefore rebuilt, for the UTC days the erased rows fell on, from what remains in the
 * raw table — with exactly the SELECT of its materialized view in 0003_rollups.sql, so a rebuilt
 * bucket is what the view would have written had the erased rows never arrived.
 *
 * Concurrent inserts: the DELETE mutation applies to the parts that exist when it is submitted,
 * and the rebuild reads only raw rows ingested before that moment (`ingested_at < cutoff`). Rows
 * ingested later reach the rollup through the view, in parts the mutation does not touch, so they
 * are counted once — except in the milliseconds between reading the cutoff and submitting the
 * mutation, which is why an erasure reports the days it rebuilt and `verifyErasure` compares them
 * with the raw table again.
 */
interface RollupRebuild {
  source: 'product_events' | 'crm_entity_events';
  /** The view's SELECT, columns in the rollup's order. */
  select: string;
  groupBy: string;
  /** Day totals that must match between rollup and raw table: [rollup expression, raw expression]. */
  checks: Record<string, [string, string]>;
}

const productSelect = (bucket: string) => `workspace_id, ${bucket} AS bucket, type, event,
  JSONExtractString(properties, 'feature') AS feature,
  JSONExtractString(properties, 'automation') AS automation,
  count() AS events,
  sum(JSONExtractFloat(properties, 'timeSavedSeconds')) AS time_saved_seconds,
  uniqExactState(actor_id) AS actors,
  uniqExactState(session_id) AS sessions`;
const productGroupBy = 'workspace_id, bucket, type, event, feature, automation';
const crmSelect = (
  bucket: string,
) => `workspace_id, ${bucket} AS bucket, source, entity, action, status, source_campaign_id,
  count() AS changes, uniqExactState(entity_id) AS entities`;
const crmGroupBy = 'workspace_id, bucket, source, entity, action, status, source_campaign_id';
const productChecks: Record<string, [string, string]> = {
  events: ['sum(events)', 'count()'],
  actors: ['uniqExactMerge(actors)', 'uniqExact(actor_id)'],
  sessions: ['uniqExactMerge(sessions)', 'uniqExact(session_id)'],
};
const crmChecks: Record<string, [string, string]> = {
  changes: ['sum(changes)', 'count()'],
  entities: ['uniqExactMerge(entities)', 'uniqExact(entity_id)'],
};

export const rollupRebuilds: Readonly<Record<string, RollupRebuild>> = {
  product_activity_minute: {
    source: 'product_events',
    select: productSelect('toStartOfMinute(timestamp)'),
    groupBy: productGroupBy,
    checks: productChecks,
  },
  product_activity_hour: {
    source: 'product_events',
    select: productSelect('toStartOfHour(timestamp)'),
    groupBy: productGroupBy,
    checks: productChecks,
  },
  product_activity_day: {
    source: 'product_events',
    select: productSelect('toStartOfDay(timestamp)'),
    groupBy: productGroupBy,
    checks: productChecks,
  },
  product_actors_day: {
    source: 'product_events',
    // 64-bit keys (0007_actor_keys.sql).
    select: 'workspace_id, toStartOfDay(timestamp) AS bucket, uniqExactState(cityHash64(actor_id)) AS actors',
    groupBy: 'workspace_id, bucket',
    checks: { actors: ['uniqExactMerge(actors)', 'uniqExact(cityHash64(actor_id))'] },
  },
  crm_activity_hour: {
    source: 'crm_entity_events',
    select: crmSelect('toStartOfHour(timestamp)'),
    groupBy: crmGroupBy,
    checks: crmChecks,
  },
  crm_activity_day: {
    source: 'crm_entity_events',
    select: crmSelect('toStartOfDay(timestamp)'),
    groupBy: crmGroupBy,
    checks: crmChecks,
  },
};

/** Rebuilds `rollup` for `days` (UTC dates, YYYY-MM-DD) of one workspace. */
export async function rebuildRollupDays(
  warehouse: Warehouse,
  rollup: string,
  workspaceId: string,
  days: readonly string[],
): Promise<void> {
  const def = rollupRebuilds[rollup];
  if (!def) throw new Error(`no rebuild is defined for rollup ${rollup}`);
  if (days.length === 0) return;
  const params = { ws: workspaceId, days: [...days] };
  try {
    // The server's clock, the one that stamps ingested_at.
    const [row] = await (
      await warehouse.client.query({ query: 'SELECT toString(now64(3)) AS cutoff', format: 'JSONEachRow' })
    ).json<{ cutoff: string }>();
    const cutoff = row!.cutoff;
    await alterTable(
      warehouse,
      rollup,
      'DELETE WHERE workspace_id = {ws:String} AND has({days:Array(Date)}, toDate(bucket))',
      params,
    );
    await warehouse.client.command({
      query: `INSERT INTO ${rollup}
        SELECT ${def.select}
        FROM ${def.source}
        WHERE workspace_id = {ws:String} AND has({days:Array(Date)}, toDate(timestamp))
          AND ingested_at < {cutoff:DateTime64(3, 'UTC')}
        GROUP BY ${def.groupBy}`,
      query_params: { ...params, cutoff },
      clickhouse_settings: {
        // A rebuilt block may equal one written before; block-hash deduplication must not drop it.
        insert_deduplicate: 0,
        insert_deduplication_token: `rebuild:${rollup}:${randomUUID()}`,
      },
    });
  } catch (err) {
    throw translateWarehouseError(
      err,
      'PRIVACY_ROLLUP_REBUILD_FAILED',
      `could not rebuild rollup ${rollup}`,
      {
        rollup,
        days: days.length,
      },
    );
  }
}
