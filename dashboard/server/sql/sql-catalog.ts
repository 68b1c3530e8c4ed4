import type { Warehouse } from '@pulse/warehouse';
import { translateWarehouseError } from '@pulse/warehouse';

export interface SqlColumn {
  name: string;
  type: string;
  comment: string;
}
export interface SqlTable {
  name: string;
  /** raw (events as they arrived) or rollup (pre-aggregated minute/hour/day buckets). */
  kind: 'raw' | 'rollup';
  comment: string;
  columns: SqlColumn[];
}

/** What the SQL tab knows about the warehouse: what it serves and what it must refuse. */
export interface SqlCatalog {
  database: string;
  /** Tables the SQL tab serves: every table with a workspace_id column (never views). */
  tables: SqlTable[];
  /** Other objects of Pulse's database (migration ledger, materialized views): never readable. */
  hiddenTables: ReadonlySet<string>;
  /** Databases other than Pulse's (system, information_schema, …): never readable. */
  otherDatabases: ReadonlySet<string>;
  /** Names the engine knows as table functions, and as ordinary functions. */
  tableFunctions: ReadonlySet<string>;
  functions: ReadonlySet<string>;
}

let engineNames: Promise<{ tableFunctions: Set<string>; functions: Set<string> }> | undefined;

/**
 * Reads the catalog from the engine. Tables are read on every call (a migration may have added
 * one); function names only once per process, since they change only with the engine's version.
 */
export async function loadSqlCatalog(warehouse: Warehouse): Promise<SqlCatalog> {
  try {
    engineNames ??= Promise.all([
      rows<{ name: string }>(warehouse, 'SELECT name FROM system.table_functions'),
      rows<{ name: string }>(warehouse, 'SELECT name FROM system.functions'),
    ]).then(([t, f]) => ({
      tableFunctions: new Set(t.map((r) => r.name.toLowerCase())),
      functions: new Set(f.map((r) => r.name.toLowerCase())),
    }));
    const [names, tables, columns, databases] = await Promise.all([
      engineNames,
      rows<{ name: string; engine: string; comment: string }>(
        warehouse,
        'SELECT name, engine, comment FROM system.tables WHERE database = currentDatabase() ORDER BY name',
      ),
      rows<{ table: string; name: string; type: string; comment: string }>(
        warehouse,
        'SELECT table, name, type, comment FROM system.columns WHERE database = currentDatabase() ORDER BY table, position',
      ),
      rows<{ name: string; current: number }>(
        warehouse,
        'SELECT name, name = currentDatabase() AS current FROM system.databases',
      ),
    ]);
    const byTable = Map.groupBy(columns, (c) => c.table);
    const served = tables.filter(
      (t) => !t.engine.endsWith('View') && byTable.get(t.name)?.some((c) => c.name === 'workspace_id'),
    );
    const servedNames = new Set(served.map((t) => t.name));
    return {
      database: databases.find((d) => Number(d.current) === 1)?.name ?? warehouse.database,
      tables: served.map((t) => ({
        name: t.name,
        kind: /_(minute|hour|day)$/.test(t.name) ? 'rollup' : 'raw',
        comment: t.comment,
        columns: (byTable.get(t.name) ?? []).map(({ name, type, comment }) => ({ name, type, comment })),
      })),
      hiddenTables: new Set(tables.map((t) => t.name).filter((n) => !servedNames.has(n))),
      otherDatabases: new Set(
        databases.filter((d) => Number(d.current) !== 1).map((d) => d.name.toLowerCase()),
      ),
      ...names,
    };
  } catch (err) {
    throw translateWarehouseError(err, 'SQL_SCHEMA_UNAVAILABLE', 'could not read the warehouse schema');
  }
}

async function rows<T>(warehouse: Warehouse, query: string): Promise<T[]> {
  return (await warehouse.client.query({ query, format: 'JSONEachRow' })).json<T>();
}
