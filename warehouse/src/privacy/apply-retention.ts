import type { Logger, RetentionConfig, StreamFamily } from '@pulse/core';
import type { Warehouse } from '../create-warehouse.ts';
import { translateWarehouseError } from '../translate-error.ts';
import { alterTable } from './alter-table.ts';

/**
 * Raw tables per stream family. All are partitioned by `toYYYYMM(<time>)` (0001_raw_event_tables.sql),
 * so retention drops whole months: a metadata operation that frees the disk at once, instead of a
 * TTL or DELETE that rewrites parts. The price is granularity — a month is dropped when its last
 * day is older than the retention, so between N and N + 31 days are kept.
 *
 * Rollups are not dropped: they hold counts and hashed distinct-count states, no event a person
 * could be read from, and they keep KPI history beyond the raw retention (queries older than the
 * raw retention are answered from rollups only).
 */
export const retentionTables: Readonly<Record<StreamFamily, readonly string[]>> = {
  product: ['product_events'],
  social: ['social_posts', 'social_post_metrics', 'social_comments', 'social_followers'],
  crm: ['crm_entity_events', 'crm_deal_stage_changes'],
};

export interface RetentionResult {
  dropped: { family: StreamFamily; table: string; partition: string }[];
}

export async function applyRetention(
  warehouse: Warehouse,
  retention: RetentionConfig,
  options: { now?: Date; logger?: Logger } = {},
): Promise<RetentionResult> {
  const now = options.now ?? new Date();
  const result: RetentionResult = { dropped: [] };
  for (const [family, tables] of Object.entries(retentionTables) as [StreamFamily, string[]][]) {
    const days = retention[family];
    if (days <= 0) continue;
    const cutoff = now.getTime() - days * 86_400_000;
    for (const table of tables) {
      for (const partition of await monthPartitions(warehouse, table)) {
        if (monthEnd(partition) > cutoff) continue;
        try {
          await alterTable(warehouse, table, `DROP PARTITION ID {partition:String}`, { partition });
        } catch (err) {
          throw translateWarehouseError(
            err,
            'RETENTION_FAILED',
            `could not drop partition ${partition} of ${table}`,
            {
              table,
              partition,
            },
          );
        }
        result.dropped.push({ family, table, partition });
        options.logger?.info({ family, table, partition, days }, 'retention dropped a month of raw events');
      }
    }
  }
  return result;
}

export interface RetentionSchedule {
  stop(): void;
}

/**
 * Applies retention now and then once a day. Failures are logged, never thrown: the next tick
 * tries again, and retention must not take the server down. Several processes may run this at
 * once; dropping a partition that is already gone is a no-op.
 */
export function startRetentionSchedule(
  warehouse: Warehouse,
  retention: RetentionConfig,
  options: { logger?: Logger; intervalMs?: number } = {},
): RetentionSchedule {
  const run = () =>
    applyRetention(warehouse, retention, { logger: options.logger }).catch((err: unknown) =>
      options.logger?.error({ err }, 'retention failed; retrying on the next daily tick'),
    );
  void run();
  const timer = setInterval(run, options.intervalMs ?? 86_400_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

async function monthPartitions(warehouse: Warehouse, table: string): Promise<string[]> {
  const local = warehouse.cluster ? `${table}_local` : table;
  const source = warehouse.cluster ? 'clusterAllReplicas({cluster:String}, system.parts)' : 'system.parts';
  const result = await warehouse.client.query({
    query: `SELECT DISTINCT partition_id FROM ${source}
            WHERE database = currentDatabase() AND table = {table:String} AND active ORDER BY partition_id`,
    query_params: { table: local, cluster: warehouse.cluster ?? '' },
    format: 'JSONEachRow',
  });
  return (await result.json<{ partition_id: string }>())
    .map((r) => r.partition_id)
    .filter((p) => /^\d{6}$/.test(p));
}

/** The first millisecond after the month a `YYYYMM` partition holds. */
function monthEnd(partition: string): number {
  return Date.UTC(Number(partition.slice(0, 4)), Number(partition.slice(4, 6)), 1);
}
