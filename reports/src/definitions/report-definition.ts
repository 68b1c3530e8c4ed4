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
 * Reads the `definition` of a `saved_reports` row. Explore saves its query either wrapped
 * (`{ kind: 'explore', query }`) or bare (`{ metrics, timeRange, … }`); both are accepted.
 */
export function parseReportSource(definition: unknown, reportId?: string): ReportSource {
  const wrapped =
    definition && typeof definition === 'object' && !('kind' in definition) && 'metrics' in definition
      ? { kind: 'explore', query: definition }
      : definition;
  const parsed = reportSourceSchema.safeParse(wrapped);
  if (parsed.success) return parsed.data;
  throw new PulseError('REPORT_DEFINITION_INVALID', 'the saved report cannot be scheduled', {
    hint: describeIssues(parsed.error),
    context: { reportId, issues: issueList(parsed.error) },
  });
}

export const describeIssues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

export const issueList = (error: z.ZodError) =>
  error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
