import { filterOperators, grains, timeRangePresets } from '@pulse/warehouse/metrics/vocabulary';
import { z } from 'zod';

/**
 * A saved Explore report, as `saved_reports.definition` holds it and as the share link carries
 * it. `version` is the format's version (the store counts edits separately). `query` is a metric
 * query (POST /api/v1/metrics/query) so dashboards can show the report as a tile and the
 * scheduler can run it; `chart` is how Explore draws it.
 *
 * Kept free of server imports: the browser validates a share link with the same schema.
 */
export const REPORT_FORMAT_VERSION = 1;

export const chartTypes = ['line', 'area', 'bar', 'stacked_bar', 'pie', 'table', 'kpi'] as const;
export type ChartType = (typeof chartTypes)[number];

// The metric layer's own lists (an import-free module), so Explore offers what the API accepts.
export {
  filterOperators as filterOps,
  grains as grainNames,
  timeRangePresets as presetNames,
} from '@pulse/warehouse/metrics/vocabulary';

const name = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and _');

export const reportFilterSchema = z
  .object({
    dimension: name,
    op: z.enum(filterOperators).default('eq'),
    value: z.union([
      z.string().max(1000),
      z.number(),
      z
        .array(z.union([z.string().max(1000), z.number()]))
        .min(1)
        .max(1000),
    ]),
  })
  .strict();
export type ReportFilter = z.infer<typeof reportFilterSchema>;

export const reportQuerySchema = z
  .object({
    metrics: z.array(name).min(1, 'pick at least one metric').max(20),
    dimensions: z.array(name).max(5).default([]),
    filters: z.array(reportFilterSchema).max(20).default([]),
    grain: z.enum(grains).optional(),
    timeRange: z.union([
      z.object({ preset: z.enum(timeRangePresets) }).strict(),
      z.object({ from: z.string().min(1).max(40), to: z.string().min(1).max(40) }).strict(),
    ]),
    timezone: z.string().min(1).max(64).default('UTC'),
    compare: z.enum(['previous_period']).optional(),
    limit: z.number().int().min(1).max(10_000).default(1000),
  })
  .strict();
export type ReportQuery = z.infer<typeof reportQuerySchema>;

export const reportDefinitionSchema = z
  .object({
    version: z.literal(REPORT_FORMAT_VERSION),
    query: reportQuerySchema,
    chart: z.enum(chartTypes).default('line'),
    description: z.string().max(1000).default(''),
  })
  .strict();
export type ReportDefinition = z.infer<typeof reportDefinitionSchema>;
export type ReportDefinitionInput = z.input<typeof reportDefinitionSchema>;

/** The dashboard tile type that draws a report's chart type. */
export const tileTypeFor: Record<ChartType, string> = {
  line: 'timeseries',
  area: 'timeseries',
  bar: 'bar',
  stacked_bar: 'stacked_bar',
  pie: 'pie',
  table: 'table',
  kpi: 'kpi',
};

/** Problems as "path: message" lines, for error hints and the builder's messages. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'definition'}: ${i.message}`).join('; ');
}
