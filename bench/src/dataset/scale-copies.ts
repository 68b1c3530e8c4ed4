// Scales a demo workspace up inside the engine: every raw table of the workspace is copied again
// and again with `INSERT … SELECT`, each copy with its own identities, so the rollup views fill
// exactly as they do on ingest and distinct counts (DAU, leads, posts) grow with the copies.
import type { Warehouse } from '@pulse/warehouse';

/** Raw tables, with the columns that carry an identity and must differ between copies. */
export const identityColumns: Record<string, string[]> = {
  product_events: ['event_id', 'user_id', 'anonymous_id', 'group_id', 'previous_id', 'session_id'],
  social_posts: ['event_id', 'account_id', 'post_id'],
  social_post_metrics: ['event_id', 'account_id', 'post_id'],
  social_comments: ['event_id', 'account_id', 'post_id', 'comment_id', 'author_id'],
  social_followers: ['event_id', 'account_id'],
  crm_entity_events: ['event_id', 'entity_id', 'company_id', 'email'],
  crm_deal_stage_changes: ['event_id', 'deal_id'],
};
export const rawTables = Object.keys(identityColumns);

/**
 * Copy n's value of an identity. Simulator ids are `prefix_seed_counter` in base 36 and emails
 * `local@domain`; '.' is in neither alphabet before the suffix, so `id.n` never meets an id of
 * another copy. Empty means "none" and stays empty. Campaigns, owners and platforms are kept:
 * more leads from the same campaigns is what a bigger workspace looks like, and the campaign id
 * encodes its platform (`campaign_platform`).
 */
export const copiedIdentity = (column: string): string =>
  column === 'email'
    ? `if(email = '', '', concat('c', toString({copy:UInt32}), '.', email))`
    : `if(${column} = '', '', concat(${column}, '.', toString({copy:UInt32})))`;

/** The `INSERT … SELECT` that writes copy `copy` of `table` from the seed database. */
export function copyStatement(table: string, columns: string[], seedDatabase: string): string {
  const remapped = new Set(identityColumns[table]);
  const select = columns.map((c) => (remapped.has(c) ? `${copiedIdentity(c)} AS ${c}` : c));
  return (
    `INSERT INTO ${table} (${columns.join(', ')}) ` +
    `SELECT ${select.join(', ')} FROM ${seedDatabase}.${table} WHERE workspace_id = {workspace:String}`
  );
}

/** Columns an insert must name: MATERIALIZED and ALIAS columns are computed by the table. */
export async function insertableColumns(warehouse: Warehouse, database: string, table: string) {
  const result = await warehouse.client.query({
    query:
      "SELECT name FROM system.columns WHERE database = {db:String} AND table = {table:String} AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') ORDER BY position",
    query_params: { db: database, table },
    format: 'JSONEachRow',
  });
  return (await result.json<{ name: string }>()).map((r) => r.name);
}

/**
 * Snapshots the workspace's raw rows into `seedDatabase` (copy 0 stays where it is), then writes
 * copies 1 … copies-1 into the warehouse's own tables. Each insert carries its own deduplication
 * token (chDB keeps the last insert's settings for the session, and a repeated token would drop
 * a copy as a duplicate); a rerun of the same copy with the same token adds nothing.
 */
export async function scaleCopies(
  warehouse: Warehouse,
  options: {
    workspace: string;
    copies: number;
    seedDatabase: string;
    onCopy?: (copy: number) => void;
  },
): Promise<void> {
  const { workspace, seedDatabase } = options;
  const ch = warehouse.client;
  await ch.command({ query: `DROP DATABASE IF EXISTS ${seedDatabase} SYNC` });
  await ch.command({ query: `CREATE DATABASE ${seedDatabase}` });
  const columns = new Map<string, string[]>();
  for (const table of rawTables) {
    columns.set(table, await insertableColumns(warehouse, warehouse.database, table));
    // The seed has no views: it is read, never ingested into.
    await ch.command({
      query: `CREATE TABLE ${seedDatabase}.${table} AS ${warehouse.database}.${table}`,
    });
    await ch.command({
      query: `INSERT INTO ${seedDatabase}.${table} SELECT * FROM ${warehouse.database}.${table} WHERE workspace_id = {workspace:String}`,
      query_params: { workspace },
      clickhouse_settings: { insert_deduplication_token: `bench-seed:${workspace}:${table}` },
    });
  }
  for (let copy = 1; copy < options.copies; copy++) {
    for (const table of rawTables)
      await ch.command({
        query: copyStatement(table, columns.get(table) as string[], seedDatabase),
        query_params: { workspace, copy },
        clickhouse_settings: { insert_deduplication_token: `bench-copy:${workspace}:${copy}:${table}` },
      });
    options.onCopy?.(copy);
  }
  await ch.command({ query: `DROP DATABASE ${seedDatabase} SYNC` });
}
