import { PulseError } from '@pulse/core';
import { metricQuerySchema } from '@pulse/warehouse';
import { z } from 'zod';

export const exportFormats = ['csv', 'xlsx', 'pdf', 'arrow', 'parquet'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/**
 * Most rows one export may hold, per format. XLSX stops at Excel's sheet limit (1,048,576 rows
 * with the header); PDF is for reading, and its table is cut at the renderer's page budget anyway.
 */
export const maxExportRows: Record<ExportFormat, number> = {
  csv: 5_000_000,
  parquet: 5_000_000,
  arrow: 5_000_000,
  xlsx: 1_048_575,
  pdf: 10_000,
};

/**
 * The body of `POST /api/v1/exports`. The data comes from exactly one source key: `query` (a
 * metric query, as the Explore page and dashboard tiles send it) today; a `sql` source for the
 * SQL tab adds itself as a second key next to it and a branch in `resolveExportSource`.
 */
export const exportRequestSchema = z
  .object({
    title: z.string().trim().min(1).max(200),
    format: z.enum(exportFormats),
    query: metricQuerySchema,
    /**
     * Rows to export; defaults to the query's own `limit` so the file matches the screen. Set it
     * to export more than a query may show (up to the format's maximum).
     */
    rowLimit: z.number().int().min(1).optional(),
    /** Prefix CSV with a UTF-8 byte order mark, so Excel opens it as UTF-8. */
    csvBom: z.boolean().default(false),
  })
  .strict();

export type ExportRequestInput = z.input<typeof exportRequestSchema>;
export type ExportRequest = z.infer<typeof exportRequestSchema>;

export function parseExportRequest(input: unknown): ExportRequest {
  const parsed = exportRequestSchema.safeParse(input);
  if (!parsed.success)
    throw new PulseError('EXPORT_INVALID', 'the export request is not valid', {
      hint: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      context: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  const request = parsed.data;
  const max = maxExportRows[request.format];
  if ((request.rowLimit ?? request.query.limit) > max)
    throw new PulseError('EXPORT_INVALID', `a ${request.format} export holds at most ${max} rows`, {
      hint:
        request.format === 'xlsx' || request.format === 'pdf'
          ? 'Export as CSV, Arrow or Parquet for more rows, or lower rowLimit.'
          : 'Lower rowLimit, or narrow the query with filters or a shorter time range.',
      context: { format: request.format, rowLimit: request.rowLimit, max },
    });
  if (request.format === 'parquet' && request.query.compare)
    throw new PulseError('EXPORT_INVALID', 'Parquet exports cannot include a previous-period comparison', {
      hint: 'Parquet is written by the warehouse itself, and the comparison is computed after it; drop "compare" or export as Arrow.',
    });
  return request;
}
