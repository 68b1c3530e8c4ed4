import { quoteIdentifier, type Warehouse } from '../create-warehouse.ts';

/**
 * Runs `ALTER TABLE <table> <clause>` and waits until every replica has applied it: a privacy
 * request that reports "done" must be done. On a cluster the data lives in the shard-local
 * `<table>_local` tables (see render-ddl.ts), so the mutation goes there, ON CLUSTER.
 * `table` comes from the typed lists in this folder, never from a request.
 */
export async function alterTable(
  warehouse: Warehouse,
  table: string,
  clause: string,
  params: Record<string, unknown> = {},
): Promise<void> {
  const target = warehouse.cluster
    ? `${table}_local ON CLUSTER ${quoteIdentifier(warehouse.cluster)}`
    : table;
  await warehouse.client.command({
    query: `ALTER TABLE ${target} ${clause}`,
    query_params: params,
    clickhouse_settings: { mutations_sync: '2' },
  });
}
