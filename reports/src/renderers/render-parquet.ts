import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PulseError } from '@pulse/core';
import type { Warehouse } from '@pulse/warehouse';
import type { ByteSink } from './byte-sink.ts';
import type { ReportDocument } from './report-document.ts';

/**
 * Parquet written by the engine: the tile's own statement runs again in ClickHouse, which writes
 * the file (typed columns, compression, row groups) without a row passing through JavaScript.
 * That needs one tile backed by a statement, with nothing computed after the warehouse answered:
 * a previous-period comparison is joined in the process, so such a tile is refused.
 */
export async function renderParquet(doc: ReportDocument, sink: ByteSink, warehouse: Warehouse | undefined) {
  const [tile] = doc.tiles;
  const refuse = (why: string, hint: string) =>
    new PulseError('REPORT_FORMAT_UNSUPPORTED', `cannot write "${doc.title}" as Parquet: ${why}`, {
      hint,
      context: { tiles: doc.tiles.length },
    });
  if (!warehouse)
    throw refuse('no warehouse to write it', 'Pass { warehouse } in the render options for Parquet.');
  if (doc.tiles.length !== 1 || !tile || !tile.result.sql)
    throw refuse(
      'Parquet holds one table from one query',
      'Export a single tile or Explore result as Parquet, or use Arrow for several tiles.',
    );
  if (tile.result.comparison)
    throw refuse(
      'its previous-period comparison is computed after the query',
      'Drop the comparison, or export as Arrow, which carries it.',
    );
  // The compiler asks for one row past the limit to flag truncation; the file holds what was shown.
  const params = { ...tile.result.params };
  if (tile.result.truncated) params.limit = tile.result.rows.length;
  const dir = mkdtempSync(join(tmpdir(), 'pulse-parquet-'));
  try {
    const path = join(dir, 'report.parquet');
    await warehouse.raw.queryToFile({
      query: tile.result.sql,
      params,
      format: 'Parquet',
      path,
      settings: { output_format_parquet_string_as_string: 1, max_execution_time: 900 },
    });
    for await (const chunk of createReadStream(path)) await sink.write(chunk as Buffer);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
