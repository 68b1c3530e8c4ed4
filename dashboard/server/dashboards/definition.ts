import { PulseError } from '@pulse/core';
import { filterOperators, grains, timeRangePresets } from '@pulse/warehouse';
import { z } from 'zod';

/**
 * The dashboard file format (dashboards as code): what `models/dashboards/*.yaml` hold, what the
 * metadata store keeps in `dashboards.definition`, and what export/import exchange. `version` is
 * the format's version, not the dashboard's edit count (the store bumps that one): a reader
 * refuses a format it does not know instead of guessing.
 */
export const DASHBOARD_FORMAT_VERSION = 1;

export const tileTypes = [
  'kpi', // one number, change vs the previous period, sparkline, target
  'timeseries', // lines over time, one per metric (or per value of the first dimension)
  'bar', // one bar per dimension value
  'stacked_bar', // bars over time stacked by the first dimension
  'pie', // share per dimension value (options.donut for a ring)
  'heatmap', // hour of week: needs the `publish_hour_of_week` dimension
  'funnel', // ordered product-event funnel, or one step per metric (leads → MQLs → SQLs → won)
  'retention', // weekly cohort retention grid
  'table', // sortable, paginated rows
  'leaderboard', // top N rows of a breakdown (top posts)
  'pipeline', // ingest health: rate, lag, freshness, dead letters, error samples
] as const;
export type TileType = (typeof tileTypes)[number];

const identifier = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and _');
const timeRange = z.union([
  z.object({ preset: z.enum(timeRangePresets) }).strict(),
  z.object({ from: z.string().min(1).max(40), to: z.string().min(1).max(40) }).strict(),
]);

export const filterSchema = z
  .object({
    dimension: identifier,
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
export type DashboardFilter = z.infer<typeof filterSchema>;

/**
 * A metric query without the parts the dashboard's global controls own (time range, time zone,
 * comparison). `timeRange` here pins a tile to its own range ("today") whatever the controls say.
 */
export const metricTileQuerySchema = z
  .object({
    metrics: z.array(identifier).min(1).max(20),
    dimensions: z.array(identifier).max(5).default([]),
    filters: z.array(filterSchema).max(20).default([]),
    grain: z.enum(grains).optional(),
    orderBy: z
      .array(
        z
          .object({ field: z.string().min(1).max(64), direction: z.enum(['asc', 'desc']).default('desc') })
          .strict(),
      )
      .max(5)
      .optional(),
    limit: z.number().int().min(1).max(10_000).default(1000),
    timeRange: timeRange.optional(),
  })
  .strict();
export type MetricTileQuery = z.infer<typeof metricTileQuerySchema>;

/** Where a tile's numbers come from. */
export const tileDataSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('metric'), query: metricTileQuerySchema }).strict(),
  /** A report saved in Explore; its metric query is read when the dashboard refreshes. */
  z.object({ kind: z.literal('report'), reportId: z.uuid() }).strict(),
  z
    .object({
      kind: z.literal('funnel'),
      steps: z.array(z.string().min(1).max(200)).min(2).max(10),
      windowSeconds: z
        .number()
        .int()
        .min(60)
        .max(90 * 86_400)
        .default(7 * 86_400),
    })
    .strict(),
  z
    .object({
      kind: z.literal('retention'),
      cohortEvent: z.string().min(1).max(200).default('Signed Up'),
      weeks: z.number().int().min(1).max(26).default(8),
    })
    .strict(),
  z
    .object({ kind: z.literal('pipeline'), view: z.enum(['stats', 'error_reasons', 'error_samples']) })
    .strict(),
]);
export type TileData = z.infer<typeof tileDataSchema>;

export const tileOptionsSchema = z
  .object({
    /** KPI: the value to reach in the range; shown as progress. */
    target: z.number().optional(),
    /** KPI: draw a daily sparkline under the value (default on). */
    sparkline: z.boolean().default(true),
    /** pie: a ring instead of a disc. */
    donut: z.boolean().default(false),
    /** table/leaderboard: rows per page / rows shown. */
    pageSize: z.number().int().min(1).max(200).default(10),
    /** leaderboard: the dimension shown as the row's label (default: the last dimension). */
    labelDimension: identifier.optional(),
    /** timeseries: filled areas instead of lines. */
    area: z.boolean().default(false),
  })
  .strict();
export type TileOptions = z.infer<typeof tileOptionsSchema>;

/**
 * One tile. Its place on the 12-column grid is its order in `tiles` plus `layout` (columns wide,
 * rows tall); the grid packs tiles densely, so reordering is moving the tile in the list.
 */
export const tileSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -'),
    type: z.enum(tileTypes),
    title: z.string().min(1).max(120),
    description: z.string().max(500).optional(),
    data: tileDataSchema,
    layout: z
      .object({ w: z.number().int().min(1).max(12).default(3), h: z.number().int().min(1).max(6).default(1) })
      .strict()
      .default({ w: 3, h: 1 }),
    options: tileOptionsSchema.default(() => tileOptionsSchema.parse({})),
  })
  .strict();
export type Tile = z.infer<typeof tileSchema>;
export type TileInput = z.input<typeof tileSchema>;

export const dashboardDefinitionSchema = z
  .object({
    version: z.literal(DASHBOARD_FORMAT_VERSION),
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -'),
    title: z.string().min(1).max(120),
    description: z.string().max(1000).default(''),
    /** What the global controls start at; the URL overrides them. */
    defaults: z
      .object({
        timeRange: timeRange.default({ preset: 'last_30_days' }),
        compare: z.boolean().default(true),
        filters: z.array(filterSchema).max(20).default([]),
      })
      .strict()
      .default({ timeRange: { preset: 'last_30_days' }, compare: true, filters: [] }),
    /** Dimensions offered as global filters (each tile applies the ones its metrics allow). */
    filterDimensions: z.array(identifier).max(10).default([]),
    /** Tiles whose source has had no event for this long are marked stale. */
    staleAfterMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(60),
    tiles: z.array(tileSchema).max(60),
  })
  .strict()
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    for (const [i, t] of d.tiles.entries()) {
      if (seen.has(t.id))
        ctx.addIssue({ code: 'custom', path: ['tiles', i, 'id'], message: `duplicate tile id "${t.id}"` });
      seen.add(t.id);
      const kind = t.data.kind;
      const fits =
        t.type === 'funnel'
          ? kind === 'funnel' || kind === 'metric' || kind === 'report'
          : t.type === 'retention'
            ? kind === 'retention'
            : t.type === 'pipeline'
              ? kind === 'pipeline'
              : kind === 'metric' || kind === 'report';
      if (!fits)
        ctx.addIssue({
          code: 'custom',
          path: ['tiles', i, 'data', 'kind'],
          message: `a ${t.type} tile cannot show ${kind} data`,
        });
    }
  });
export type DashboardDefinition = z.infer<typeof dashboardDefinitionSchema>;
export type DashboardDefinitionInput = z.input<typeof dashboardDefinitionSchema>;

/** Validates a dashboard file or body; every problem is named with its path in one error. */
export function parseDashboardDefinition(input: unknown): DashboardDefinition {
  return parseWith(dashboardDefinitionSchema, input, 'dashboard definition');
}

export function parseTile(input: unknown): Tile {
  return parseWith(tileSchema, input, 'tile');
}

export function parseWith<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const version = (input as { version?: unknown } | null)?.version;
  if (what === 'dashboard definition' && version !== undefined && version !== DASHBOARD_FORMAT_VERSION)
    throw new PulseError(
      'DASHBOARD_INVALID',
      `dashboard format version ${String(version)} is not supported`,
      {
        hint: `this Pulse reads format version ${DASHBOARD_FORMAT_VERSION}; export it again from a Pulse of the same version`,
      },
    );
  const parsed = schema.safeParse(input);
  if (!parsed.success)
    throw new PulseError('DASHBOARD_INVALID', `the ${what} is not valid`, {
      hint: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      context: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  return parsed.data;
}
