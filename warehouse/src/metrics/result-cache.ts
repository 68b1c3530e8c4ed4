import type { Warehouse } from '../create-warehouse.ts';
import { translateWarehouseError } from '../translate-error.ts';

export type CachedRow = Record<string, string | number | null>;

export interface MetricResultCacheOptions {
  /** Most statements kept; the least recently used goes first. */
  maxEntries?: number;
  /** How long an answer may be reused at most, even when nothing it reads has changed. */
  maxAgeMs?: number;
  /** Larger answers are not kept (exports and wide breakdowns rarely repeat). */
  maxRows?: number;
}

export interface MetricResultCache {
  /**
   * The rows of `sql` with `params`: reused when the same statement ran since the tables it reads
   * last changed, shared when it is running right now, else run with `execute`. Each caller gets
   * its own copy of the rows.
   */
  rows(
    warehouse: Warehouse,
    statement: { sql: string; params: Record<string, unknown> },
    execute: () => Promise<CachedRow[]>,
  ): Promise<CachedRow[]>;
  readonly stats: { hits: number; misses: number };
  clear(): void;
}

interface Entry {
  rows: Promise<CachedRow[]>;
  storedAt: number;
}

/**
 * A short-lived cache of metric statements keyed by (SQL, parameters, data version of the tables
 * the SQL reads). A dashboard on a wall screen, the same overview open in ten browsers and the
 * refresh timer all send identical tile statements; the warehouse answers each once per change.
 *
 * The data version is read from `system.parts` before every use, so an answer is never older than
 * the last insert, merge or mutation that finished before the call began: any of them changes a
 * part count, row count, block number, data version or modification time of an active part. The
 * version lookups of one event-loop tick (a dashboard's tiles) go to the warehouse as one
 * statement. A data policy reaches the SQL as conditions and parameters, so callers under
 * different policies never share an entry.
 *
 * On a cluster `system.parts` describes one node only, so the cache steps aside there.
 */
export function createMetricResultCache(options: MetricResultCacheOptions = {}): MetricResultCache {
  const maxEntries = options.maxEntries ?? 500;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const maxRows = options.maxRows ?? 2_000;
  const entries = new Map<string, Entry>();
  const stats = { hits: 0, misses: 0 };
  const versions = createVersionReader();

  return {
    stats,
    clear: () => entries.clear(),
    async rows(warehouse, statement, execute) {
      if (warehouse.cluster) return execute();
      const tables = tablesRead(statement.sql);
      const version = await versions.read(warehouse, tables);
      const key = JSON.stringify([statement.sql, statement.params, version]);
      const now = Date.now();
      const cached = entries.get(key);
      if (cached && now - cached.storedAt <= maxAgeMs) {
        stats.hits++;
        entries.delete(key); // re-inserted last: Map order is the recency order
        entries.set(key, cached);
        return structuredClone(await cached.rows);
      }
      stats.misses++;
      const entry: Entry = { rows: execute(), storedAt: now };
      entries.set(key, entry);
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries) break;
        entries.delete(oldest);
      }
      try {
        const rows = await entry.rows;
        if (rows.length > maxRows && entries.get(key) === entry) entries.delete(key);
        return structuredClone(rows);
      } catch (err) {
        if (entries.get(key) === entry) entries.delete(key);
        throw err;
      }
    },
  };
}

/** Table names a compiled statement reads (every `FROM name` and `JOIN name`). */
export function tablesRead(sql: string): string[] {
  const names = [...sql.matchAll(/\b(?:FROM|JOIN)\s+`?([A-Za-z_][A-Za-z0-9_]*)`?/g)].map(
    (m) => m[1] as string,
  );
  return [...new Set(names)].sort();
}

interface VersionBatch {
  tables: Set<string>;
  settle: { resolve(state: Map<string, string>): void; reject(err: unknown): void }[];
}

/** Reads the part state of tables; reads requested in the same tick share one statement. */
function createVersionReader() {
  let pending: VersionBatch | undefined;
  const start = (warehouse: Warehouse): VersionBatch => {
    const batch: VersionBatch = { tables: new Set(), settle: [] };
    // Started after the callers of this tick arrived, so it sees every insert they could know of.
    setImmediate(() => {
      if (pending === batch) pending = undefined;
      readPartState(warehouse, [...batch.tables]).then(
        (state) => {
          for (const s of batch.settle) s.resolve(state);
        },
        (err) => {
          for (const s of batch.settle) s.reject(err);
        },
      );
    });
    return batch;
  };
  return {
    async read(warehouse: Warehouse, tables: string[]): Promise<string> {
      pending ??= start(warehouse);
      const batch = pending;
      for (const t of tables) batch.tables.add(t);
      const state = await new Promise<Map<string, string>>((resolve, reject) => {
        batch.settle.push({ resolve, reject });
      });
      return tables.map((t) => `${t}:${state.get(t) ?? 'empty'}`).join(';');
    },
  };
}

async function readPartState(warehouse: Warehouse, tables: string[]): Promise<Map<string, string>> {
  try {
    const result = await warehouse.client.query({
      query:
        "SELECT table, concat(toString(count()), '/', toString(sum(rows)), '/', toString(sum(max_block_number)), " +
        "'/', toString(max(data_version)), '/', toString(max(modification_time))) AS version " +
        'FROM system.parts WHERE database = {database:String} AND active AND table IN {tables:Array(String)} ' +
        'GROUP BY table',
      query_params: { database: warehouse.database, tables },
      format: 'JSONEachRow',
    });
    const rows = (await result.json()) as { table: string; version: string }[];
    return new Map(rows.map((r) => [r.table, r.version]));
  } catch (err) {
    throw translateWarehouseError(
      err,
      'QUERY_FAILED',
      'could not read the data version of the metric tables',
    );
  }
}
