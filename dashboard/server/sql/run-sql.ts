import { PulseError } from '@pulse/core';
import { translateWarehouseError, type Warehouse } from '@pulse/warehouse';
import { checkAst, checkQueryTree } from './inspect-query.ts';
import { singleStatement } from './single-statement.ts';
import { loadSqlCatalog } from './sql-catalog.ts';
import {
  mergePolicyRestrictions,
  type PolicyRestrictions,
  renderTableFilters,
  workspaceRestrictions,
} from './table-filters.ts';

export interface SqlRunOptions {
  sql: string;
  workspaceId: string;
  /** Row and column restrictions of the caller's data policy, merged over the workspace filter. */
  policy?: PolicyRestrictions;
  /** Most rows returned; one more is read to tell whether the result was cut. */
  maxRows: number;
  timeoutSeconds: number;
  /** Memory one query may take; on the embedded engine it shares the Pulse process. */
  maxMemoryBytes?: number;
}

export interface SqlResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  /** More rows matched than `maxRows`. */
  truncated: boolean;
  /** The Pulse tables the query read (after CTEs and aliases were resolved). */
  tables: string[];
  elapsedMs: number;
}

/**
 * Runs an analyst's SQL on the warehouse, read-only and inside the caller's workspace:
 *
 * 1. one statement only (checked before the engine sees it: chDB runs `a; b` as two);
 * 2. `EXPLAIN AST` (a parse): a SELECT, no SETTINGS/FORMAT clause, no other database, no
 *    table function or file-reading function;
 * 3. `EXPLAIN QUERY TREE` under the guard: every table read is a served Pulse table;
 * 4. the query itself, wrapped as a subquery under the guard.
 *
 * The guard is the query's own SETTINGS clause, not `clickhouse_settings`: on chDB those become
 * session-wide `SET`s that would outlive the query. `readonly = 1` refuses writes and DDL,
 * `additional_table_filters` makes the engine add `workspace_id = …` to every read of every
 * Pulse table (joins and subqueries included), and the limits bound time and rows.
 */
export async function runSql(warehouse: Warehouse, options: SqlRunOptions): Promise<SqlResult> {
  const started = performance.now();
  const statement = singleStatement(options.sql);
  const catalog = await loadSqlCatalog(warehouse);
  const restrictions = mergePolicyRestrictions(
    workspaceRestrictions(
      options.workspaceId,
      catalog.tables.map((t) => t.name),
    ),
    options.policy,
  );
  const guard = [
    'readonly = 1',
    `max_execution_time = ${options.timeoutSeconds}`,
    // 'break' stops the query without an exception (see `queryDrained`); running out of time is
    // then told from the engine's own elapsed time and reported as an error, never as a result.
    "timeout_overflow_mode = 'break'",
    `max_result_rows = ${options.maxRows + 1}`,
    `max_memory_usage = ${options.maxMemoryBytes ?? 2_000_000_000}`,
    "result_overflow_mode = 'break'",
    'output_format_json_quote_64bit_integers = 0',
    `additional_table_filters = ${renderTableFilters(restrictions.tableFilters)}`,
  ].join(', ');
  // The newline before `)` keeps a trailing `-- comment` from swallowing the guard.
  const wrapped = `SELECT * FROM (\n${statement}\n) LIMIT ${options.maxRows + 1} SETTINGS ${guard}`;

  const ast = await explain(warehouse, `EXPLAIN AST ${statement}`);
  checkAst(ast, catalog);
  const tables = checkQueryTree(
    await explain(warehouse, `EXPLAIN QUERY TREE ${wrapped}`),
    catalog,
    restrictions,
  );

  try {
    const body = await queryDrained(warehouse, wrapped);
    if ((body.statistics?.elapsed ?? 0) >= options.timeoutSeconds)
      throw new PulseError(
        'SQL_TIMEOUT_INVALID',
        `the query ran past the ${options.timeoutSeconds} s time limit`,
        { hint: hints.TIMEOUT_EXCEEDED, context: { elapsedSeconds: body.statistics?.elapsed } },
      );
    const rows = body.data as unknown[][];
    return {
      columns: body.meta?.map((m) => ({ name: m.name, type: m.type })) ?? [],
      rows: rows.slice(0, options.maxRows),
      truncated: rows.length > options.maxRows,
      tables,
      elapsedMs: Math.round(performance.now() - started),
    };
  } catch (err) {
    throw sqlError(err);
  }
}

/**
 * Runs the analyst's query and, on the embedded engine, a tiny query queued right behind it.
 * chDB 3.4 hands the partial output of a query that failed mid-execution (a runtime error such as
 * throwIf, or a division error) to the NEXT query on the session, whoever sent it — another
 * workspace's request included. Both are issued in the same tick, so the drain is next in line
 * and absorbs whatever the failed query left behind.
 */
async function queryDrained(warehouse: Warehouse, query: string) {
  const main = warehouse.client.query({ query, format: 'JSONCompact' }).then((r) => r.json<unknown[]>());
  if (warehouse.mode !== 'embedded') return main;
  const drain = warehouse.client
    .query({ query: "SELECT 'drained' AS pulse_drain", format: 'JSONEachRow' })
    .then((r) => r.text())
    .catch(() => '');
  try {
    return await main;
  } finally {
    await drain;
  }
}

async function explain(warehouse: Warehouse, query: string): Promise<string[]> {
  try {
    // Read through SELECT so the client's FORMAT lands on the outer query, not the explained one.
    const result = await warehouse.client.query({
      query: `SELECT explain FROM (\n${query}\n)`,
      format: 'JSONEachRow',
    });
    return (await result.json<{ explain: string }>()).map((r) => r.explain);
  } catch (err) {
    throw sqlError(err);
  }
}

/** Hints for the mistakes analysts make most; ClickHouse's own message always comes along. */
const hints: Record<string, string> = {
  UNKNOWN_IDENTIFIER: 'A column name is misspelt or belongs to another table: check the schema browser.',
  UNKNOWN_TABLE: 'Use one of the tables listed in the schema browser.',
  UNKNOWN_FUNCTION: 'Check the function name in the ClickHouse documentation.',
  SYNTAX_ERROR: 'The SQL does not parse: look near the position ClickHouse names.',
  TIMEOUT_EXCEEDED:
    'The query ran past the time limit: filter on a narrower time range or use a rollup table (*_hour, *_day).',
  TOO_SLOW: 'The query would run past the time limit: filter on a narrower time range or use a rollup table.',
  READONLY: 'The SQL tab only reads: write queries are refused.',
  TYPE_MISMATCH: 'Compare values of the same type, or cast one side (toString, toDateTime, …).',
  ILLEGAL_TYPE_OF_ARGUMENT: 'A function got a value of the wrong type: cast it first.',
  NOT_AN_AGGREGATE: 'Add the column to GROUP BY or wrap it in an aggregate such as any().',
};

function sqlError(err: unknown): PulseError {
  if (err instanceof PulseError) return err;
  const type = String((err as { type?: unknown }).type ?? '');
  const message = String((err as Error).message ?? err)
    // The wrapper is Pulse's, not the analyst's: keep the scope the engine names readable.
    .replace(/\s*SETTINGS readonly = 1.*$/s, '');
  if (type === 'TIMEOUT_EXCEEDED' || type === 'TOO_SLOW')
    return new PulseError('SQL_TIMEOUT_INVALID', message, {
      hint: hints[type],
      context: { clickhouseType: type },
    });
  const translated = translateWarehouseError(
    err,
    'SQL_WAREHOUSE_UNAVAILABLE',
    'the warehouse did not answer',
  );
  if (translated.retriable) return translated;
  return new PulseError('SQL_QUERY_INVALID', message, {
    cause: err,
    hint: hints[type] ?? 'Check the query against the schema browser; the message above is ClickHouse’s own.',
    context: { clickhouseType: type, clickhouseCode: (err as { code?: unknown }).code },
  });
}
