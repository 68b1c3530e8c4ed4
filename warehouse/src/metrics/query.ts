import { z } from 'zod';
import { filterOperators, grains } from './definition.ts';
import { timeRangePresets } from './time-range.ts';

export const MAX_LIMIT = 10_000;

const name = z.string().min(1).max(64);

/** The body of `POST /api/v1/metrics/query`. */
export const metricQuerySchema = z
  .object({
    metrics: z.array(name).min(1).max(20),
    dimensions: z.array(name).max(5).default([]),
    filters: z
      .array(
        z
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
          .strict(),
      )
      .max(20)
      .default([]),
    timeRange: z.union([
      z.object({ from: z.string(), to: z.string() }).strict(),
      z.object({ preset: z.enum(timeRangePresets) }).strict(),
    ]),
    timezone: z.string().default('UTC'),
    /** Omit for one row per dimension combination over the whole range. */
    grain: z.enum(grains).optional(),
    compare: z.enum(['previous_period']).optional(),
    orderBy: z
      .array(z.object({ field: name, direction: z.enum(['asc', 'desc']).default('desc') }).strict())
      .max(5)
      .optional(),
    limit: z.number().int().min(1).max(MAX_LIMIT).default(1000),
    /** Read raw tables even when a rollup could answer (for checking and benchmarks). */
    useRollups: z.boolean().default(true),
  })
  .strict();

export type MetricQueryInput = z.input<typeof metricQuerySchema>;
export type MetricQuery = z.infer<typeof metricQuerySchema>;
