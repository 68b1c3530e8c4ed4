import { classifications } from '@pulse/core/rbac/data-policies';
import { z } from 'zod';

import { filterOperators, grains } from './vocabulary.ts';

export { type FilterOperator, filterOperators, type Grain, grains } from './vocabulary.ts';

export const metricFormats = ['number', 'percent', 'currency', 'duration'] as const;
export type MetricFormat = (typeof metricFormats)[number];

const identifier = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]*$/,
    'use lower_snake_case: letters, digits and underscores, starting with a letter',
  );

export const filterSchema = z
  .object({
    dimension: identifier,
    op: z.enum(filterOperators).default('eq'),
    value: z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()])).min(1)]),
  })
  .strict();
export type MetricFilter = z.infer<typeof filterSchema>;

const common = {
  name: identifier,
  label: z.string().min(1),
  description: z.string().min(10, 'say in a sentence what the number means and how it is counted'),
  owner: z.string().min(1),
  version: z.number().int().positive(),
  /** Allowed dimensions; by default every dimension the metric's sources share. */
  dimensions: z.array(identifier).optional(),
  grains: z
    .array(z.enum(grains))
    .min(1)
    .default([...grains]),
  format: z.enum(metricFormats).default('number'),
  /** ISO currency code shown with `currency` formats, or the dimension that holds it. */
  currency: z.string().optional(),
  up_is_good: z.boolean().default(true),
  category: z.enum(['social', 'crm', 'product', 'pipeline']),
  /** Who may query the metric (default internal); a workspace can override it. */
  classification: z.enum(classifications).optional(),
};

/**
 * One metric, as written in `models/metrics/*.yaml`.
 *
 * - `sum`, `count`, `count_distinct` aggregate `expression` over the rows of `source` that pass
 *   `filters`. On a snapshot source, `sum` adds up each entity's change over the bucket
 *   (`snapshot: delta`, the default) or the entities' latest values at its end (`snapshot: level`).
 * - `per` (count_distinct only) averages the distinct count over sub-buckets: DAU is the average
 *   of the daily distinct users over whatever bucket the query asks for.
 * - `ratio` divides two metrics, `derived` combines metrics with arithmetic, and `share` gives
 *   a metric's part of the total over the query's dimensions within each time bucket.
 */
export const metricDefinitionSchema = z.discriminatedUnion('type', [
  z
    .object({
      ...common,
      type: z.enum(['sum', 'count', 'count_distinct']),
      source: identifier,
      expression: z.string().min(1).optional(),
      filters: z.array(filterSchema).default([]),
      snapshot: z.enum(['delta', 'level']).optional(),
      per: z.enum(['day', 'week', 'month']).optional(),
    })
    .strict(),
  z.object({ ...common, type: z.literal('ratio'), numerator: identifier, denominator: identifier }).strict(),
  z
    .object({
      ...common,
      type: z.literal('derived'),
      expression: z
        .string()
        .regex(/^[a-z0-9_+\-*/(). ]+$/, 'only metric names, numbers, + - * / and parentheses'),
    })
    .strict(),
  z.object({ ...common, type: z.literal('share'), of: identifier }).strict(),
]);
export type MetricDefinition = z.infer<typeof metricDefinitionSchema>;
export type BaseMetricDefinition = Extract<MetricDefinition, { type: 'sum' | 'count' | 'count_distinct' }>;

export const isBaseMetric = (m: MetricDefinition): m is BaseMetricDefinition =>
  m.type === 'sum' || m.type === 'count' || m.type === 'count_distinct';

/** Metric names a derived or ratio metric refers to. */
export function metricDependencies(m: MetricDefinition): string[] {
  switch (m.type) {
    case 'ratio':
      return [m.numerator, m.denominator];
    case 'share':
      return [m.of];
    case 'derived':
      return [...new Set(m.expression.match(/[a-z][a-z0-9_]*/g) ?? [])];
    default:
      return [];
  }
}
