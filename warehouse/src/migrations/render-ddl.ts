/**
 * Migrations are written once, in a neutral form, and rendered for a single node or a cluster:
 *
 *   CREATE TABLE IF NOT EXISTS product_events {{on_cluster}} ( … )
 *   ENGINE = {{engine:ReplacingMergeTree(ingested_at)}} …
 *
 * Single node: `{{on_cluster}}` disappears and the engine is used as written.
 * Cluster: DDL runs ON CLUSTER, `XMergeTree(args)` becomes
 * `ReplicatedXMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', args)`, the
 * table is created as `<name>_local`, and a Distributed table `<name>` sharded by
 * `cityHash64(event_id)` fronts it — the same event always lands on the same shard, so
 * deduplication still sees both copies. Queries keep using `<name>` in both modes. `{{local}}`
 * after a table name (materialized views) becomes `_local` on a cluster, so views read and write
 * the shard-local tables.
 */
export interface RenderTarget {
  database: string;
  cluster: string | undefined;
}

const enginePattern = /\{\{engine:(\w*MergeTree)\((.*?)\)\}\}/;
const createTablePattern = /CREATE TABLE IF NOT EXISTS (\w+)/;

export function renderStatement(statement: string, target: RenderTarget): string[] {
  const onCluster = target.cluster ? `ON CLUSTER ${target.cluster}` : '';
  const engine = statement.match(enginePattern);
  let sql = statement
    .replaceAll('{{on_cluster}}', onCluster)
    .replaceAll('{{local}}', target.cluster ? '_local' : '');
  if (!engine) return [sql];

  const [placeholder, family, args] = engine as unknown as [string, string, string];
  if (!target.cluster) return [sql.replace(placeholder, `${family}(${args})`)];

  const table = sql.match(createTablePattern)?.[1];
  if (!table)
    throw new Error(
      `an {{engine:…}} placeholder needs a "CREATE TABLE IF NOT EXISTS <name>" statement: ${statement.slice(0, 80)}`,
    );
  const replicatedArgs = [
    `'/clickhouse/tables/{shard}/{database}/${table}_local'`,
    `'{replica}'`,
    ...(args.trim() ? [args] : []),
  ];
  sql = sql
    .replace(placeholder, `Replicated${family}(${replicatedArgs.join(', ')})`)
    .replace(createTablePattern, `CREATE TABLE IF NOT EXISTS ${table}_local`);
  // Raw tables shard by event id (a re-delivered event meets its first copy); rollups have no
  // event id and merge their states across shards at query time, so any shard will do.
  const shardKey = /\bevent_id\b/.test(statement) ? 'cityHash64(event_id)' : 'rand()';
  const distributed =
    `CREATE TABLE IF NOT EXISTS ${table} ${onCluster} AS ${table}_local\n` +
    `ENGINE = Distributed(${target.cluster}, ${target.database}, ${table}_local, ${shardKey})`;
  return [sql, distributed];
}

/**
 * Splits a migration file into statements on `;` at the end of a line, ignoring `--` comments
 * and semicolons inside quoted strings.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (quote) {
      current += ch;
      if (ch === '\\') current += sql[++i] ?? '';
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end - 1;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    if (ch === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
