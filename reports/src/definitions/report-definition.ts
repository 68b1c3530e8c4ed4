import { PulseError } from '@pulse/core';
import { metricQuerySchema, timeRangePresets } from '@pulse/warehouse';
import { z } from 'zod';

/** A relative range, resolved at the run's scheduled instant in the schedule's time zone. */
export const relativeTimeRangeSchema = z.object({ preset: z.enum(timeRangePresets) }).strict();

/**
 * A saved Explore report: one metric query. Its own `timeRange` is what the screen showed; a
 * schedule replaces it with its relative range so "last full week" moves with every run.
 */
export const exploreReportSchema = z
  .object({
    kind: z.literal('explore'),
    query: metricQuerySchema,
    chart: z.enum(['line', 'bar', 'table', 'kpi']).optional(),
  })
  .strict();

/** Dashboard filters as the dashboard applies them to each tile's query. */
export const dashboardFilterSchema = metricQuerySchema.shape.filters.unwrap().element;

/**
 * A dashboard with its filters. The tiles are resolved when the run is built, through the
 * `resolveDashboard` function the server injects, so a report always shows the dashboard as it
 * is now and this package does not depend on the dashboard code.
 */
export const dashboardReportSchema = z
  .object({
    kind: z.literal('dashboard'),
    dashboardId: z.string().min(1).max(200),
    filters: z.array(dashboardFilterSchema).max(20).default([]),
  })
  .strict();

export const reportSourceSchema = z.discriminatedUnion('kind', [exploreReportSchema, dashboardReportSchema]);
export type ReportSource = z.infer<typeof reportSourceSchema>;
export type ReportSourceInput = z.input<typeof reportSourceSchema>;
export type RelativeTimeRange = z.infer<typeof relativeTimeRangeSchema>;
export type DashboardFilter = z.infer<typeof dashboardFilterSchema>;

/**
 * Reads the `definition` of a `saved_reports` row. Explore saves `{ version, chart, query }`
 * (dashboard/src/lib/explore/report-definition.ts); a bare metric query and the explicit
 * `{ kind, … }` forms are accepted too. Explore's chart kinds map onto the renderers' four.
 */
export function parseReportSource(definition: unknown, reportId?: string): ReportSource {
  const parsed = reportSourceSchema.safeParse(normalize(definition));
  if (parsed.success) return parsed.data;
  throw new PulseError('REPORT_DEFINITION_INVALID', 'the saved report cannot be scheduled', {
    hint: describeIssues(parsed.error),
    context: { reportId, issues: issueList(parsed.error) },
  });
}

const exploreCharts: Record<string, 'line' | 'bar' | 'table' | 'kpi'> = {
  line: 'line',
  area: 'line',
  bar: 'bar',
  stacked_bar: 'bar',
  pie: 'bar',
  table: 'table',
  kpi: 'kpi',
};

function normalize(definition: unknown): unknown {
  if (!definition || typeof definition !== 'object' || 'kind' in definition) return definition;
  if ('metrics' in definition) return { kind: 'explore', query: definition };
  if ('query' in definition) {
    const { query, chart } = definition as { query: unknown; chart?: unknown };
    const mapped = typeof chart === 'string' ? exploreCharts[chart] : undefined;
    return { kind: 'explore', query, ...(mapped ? { chart: mapped } : {}) };
  }
  return definition;
}

export const describeIssues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

export const issueList = (error: z.ZodError) =>
  error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
