import type { MetricQueryResult, ResultRow, Warehouse } from '@pulse/warehouse';

/** One dashboard tile as it goes into an export. */
export interface ReportTile {
  title: string;
  result: MetricQueryResult;
  chart?: 'line' | 'bar' | 'table' | 'kpi';
  /**
   * Rows to stream instead of `result.rows`, for exports too large to hold in memory. When set,
   * `result.rows` is ignored by the CSV, XLSX and Arrow renderers (the PDF renderer reads at
   * most its table limit).
   */
  rowsIterable?: AsyncIterable<ResultRow> | Iterable<ResultRow>;
}

export interface ReportDocument {
  title: string;
  /** Human label of the time range, e.g. "1–14 March 2026". */
  period: string;
  generatedAt: Date;
  /** The newest data the warehouse had when the queries ran. */
  dataAsOf: Date;
  /** Human labels of the filters applied, e.g. "platform = instagram". */
  filters: string[];
  timezone: string;
  tiles: ReportTile[];
}

export type ReportFormat = 'csv' | 'xlsx' | 'pdf' | 'arrow' | 'parquet';

export interface RenderOptions {
  /** Prefix CSV with a UTF-8 byte order mark, so Excel opens it as UTF-8. */
  csvBom?: boolean;
  /** The engine that writes Parquet (it reruns the tile's statement); other formats ignore it. */
  warehouse?: Warehouse;
}

export interface RenderedReport {
  bytes: number;
  contentType: string;
  extension: string;
}

/** Yields a tile's rows, from the streaming iterable when there is one. */
export async function* tileRows(tile: ReportTile): AsyncGenerator<ResultRow> {
  if (tile.rowsIterable) {
    yield* tile.rowsIterable;
    return;
  }
  yield* tile.result.rows;
}
