import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import {
  compileMetricQuery,
  type MetricCatalog,
  MAX_LIMIT,
  parseMetricQuery,
  type ResultColumn,
  type ResultRow,
  resolveTimeRange,
  runMetricQuery,
  type Warehouse,
} from '@pulse/warehouse';
import { PulseError } from '@pulse/core';
import type { ExportRequest } from './export-request.ts';

/**
 * What an export reads, resolved (and so validated) before anything runs: one statement the
 * engine can stream or write itself, or, for a comparison with the previous period, rows computed
 * in the process (the comparison is joined after the warehouse answered, so it cannot stream).
 */
export interface ExportSource {
  columns: ResultColumn[];
  statement: { sql: string; params: Record<string, unknown> };
  computeRows?: () => Promise<{ columns: ResultColumn[]; rows: ResultRow[] }>;
  /** Rows the export may hold at most. */
  limit: number;
  timeRange: { from: Date; to: Date; timezone: string };
  filters: string[];
}

export interface ExportSourceContext {
  warehouse: Warehouse;
  catalog: MetricCatalog;
  workspaceId: string;
  now: Date;
  policy?: DataPolicy | undefined;
}

export function resolveExportSource(request: ExportRequest, context: ExportSourceContext): ExportSource {
  const { warehouse, catalog, workspaceId, now, policy } = context;
  const q = parseMetricQuery(request.query);
  const limit = request.rowLimit ?? q.limit;
  const range = resolveTimeRange(q.timeRange, q.timezone, now);
  if (q.compare && limit > MAX_LIMIT)
    throw new PulseError('EXPORT_INVALID', `an export with a comparison holds at most ${MAX_LIMIT} rows`, {
      hint: 'Drop "compare" to export more rows, or lower rowLimit.',
    });
  const compiled = compileMetricQuery(q, catalog, range, workspaceId, policy);
  return {
    columns: compiled.columns,
    // The compiler asks for one row more than the limit to flag truncation; an export asks exactly.
    statement: { sql: compiled.sql, params: { ...compiled.params, limit } },
    ...(q.compare
      ? {
          computeRows: async () => {
            const result = await runMetricQuery(warehouse, catalog, { ...q, limit }, workspaceId, {
              now,
              policy,
            });
            return { columns: result.columns, rows: result.rows };
          },
        }
      : {}),
    limit,
    timeRange: { ...range, timezone: q.timezone },
    filters: q.filters.map(
      (f) => `${f.dimension} ${f.op} ${Array.isArray(f.value) ? f.value.join(', ') : f.value}`,
    ),
  };
}
