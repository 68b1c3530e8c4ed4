import { PulseError } from '@pulse/core';
import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import { z } from 'zod';
import type { Warehouse } from '../create-warehouse.ts';
import { rowPolicyConditions } from '../policy/row-conditions.ts';
import { translateWarehouseError } from '../translate-error.ts';
import { type RunOptions, runOptions } from './run-metric-query.ts';
import { type EventsSource, sourcesByName } from './sources.ts';
import { type ResolvedRange, resolveTimeRange, timeRangePresets } from './time-range.ts';

const timeRange = z.union([
  z.object({ from: z.string(), to: z.string() }).strict(),
  z.object({ preset: z.enum(timeRangePresets) }).strict(),
]);

export const funnelQuerySchema = z
  .object({
    /** Ordered steps: a track event name, or a page/screen name. */
    steps: z.array(z.string().min(1).max(200)).min(2).max(10),
    /** How long a person has from the first step to the last. */
    windowSeconds: z
      .number()
      .int()
      .min(60)
      .max(90 * 86_400)
      .default(7 * 86_400),
    timeRange,
    timezone: z.string().default('UTC'),
  })
  .strict();
export type FunnelQuery = z.input<typeof funnelQuerySchema>;

export const retentionQuerySchema = z
  .object({
    /** The event that puts a person in a cohort (their first in the range); default: sign-up. */
    cohortEvent: z.string().min(1).max(200).default('Signed Up'),
    /** Weeks after the cohort week to follow. */
    weeks: z.number().int().min(1).max(26).default(8),
    timeRange,
    timezone: z.string().default('UTC'),
  })
  .strict();
export type RetentionQuery = z.input<typeof retentionQuerySchema>;

export interface FunnelResult {
  steps: {
    step: string;
    users: number;
    conversionFromStart: number | null;
    conversionFromPrevious: number | null;
  }[];
  timeRange: { from: string; to: string; timezone: string };
  sql: string;
}

export interface RetentionResult {
  cohorts: { cohort: string; size: number; retained: number[]; rates: (number | null)[] }[];
  weeks: number;
  timeRange: { from: string; to: string; timezone: string };
  sql: string;
}

function parse<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success)
    throw new PulseError('INVALID_QUERY', `the ${what} query is not valid`, {
      hint: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    });
  return parsed.data;
}

const productEvents = sourcesByName.get('product_events') as EventsSource;

/**
 * The policy's row filters on product events as ` AND …` conditions (values as parameters added
 * to `params`), so a row-filtered caller's funnel or cohorts count only the people and events
 * they may see. Column names are unqualified: in the retention join only product_events has them.
 */
function policySql(policy: DataPolicy | undefined, params: Record<string, unknown>): string {
  let n = 0;
  const conditions = rowPolicyConditions(
    policy,
    productEvents,
    (d) => productEvents.dimensions[d]?.sql as string,
    (value, type) => {
      const name = `policy${n++}`;
      params[name] = value;
      return `{${name}:${type}}`;
    },
  );
  return conditions.map((c) => ` AND ${c}`).join('');
}

const paramTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
const rangeOut = (r: ResolvedRange, timezone: string) => ({
  from: r.from.toISOString(),
  to: r.to.toISOString(),
  timezone,
});

async function rows<T>(warehouse: Warehouse, query: string, params: Record<string, unknown>): Promise<T[]> {
  try {
    const result = await warehouse.client.query({
      query,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    return (await result.json()) as T[];
  } catch (err) {
    throw translateWarehouseError(err, 'QUERY_FAILED', 'the analysis query failed in the warehouse');
  }
}

/**
 * Ordered funnel over product events: how many people did step 1, then step 2 within the
 * window after step 1, and so on (ClickHouse's windowFunnel). A person counts once, at the
 * furthest step they reached in order.
 */
export async function runFunnel(
  warehouse: Warehouse,
  input: FunnelQuery,
  workspaceId: string,
  nowOrOptions: Date | RunOptions = {},
): Promise<FunnelResult> {
  const { now = new Date(), policy } = runOptions(nowOrOptions, workspaceId);
  const q = parse(funnelQuerySchema, input, 'funnel');
  const range = resolveTimeRange(q.timeRange, q.timezone, now);
  const conditions = q.steps.map((_, i) => `event = {s${i}:String}`).join(', ');
  const policyParams: Record<string, unknown> = {};
  const restrict = policySql(policy, policyParams);
  const sql = `SELECT level, count() AS users FROM (
  SELECT actor_id, windowFunnel({window:UInt64})(toDateTime(timestamp), ${conditions}) AS level
  FROM product_events
  WHERE workspace_id = {workspace:String} AND timestamp >= {from:DateTime64(3, 'UTC')}
    AND timestamp < {to:DateTime64(3, 'UTC')} AND event IN {steps:Array(String)}${restrict}
  GROUP BY actor_id
) WHERE level > 0 GROUP BY level ORDER BY level`;
  const params: Record<string, unknown> = {
    window: q.windowSeconds,
    workspace: workspaceId,
    from: paramTime(range.from),
    to: paramTime(range.to),
    steps: q.steps,
    ...Object.fromEntries(q.steps.map((s, i) => [`s${i}`, s])),
    ...policyParams,
  };
  const levels = await rows<{ level: number; users: number }>(warehouse, sql, params);
  const reached = q.steps.map((_, i) =>
    levels.filter((l) => Number(l.level) >= i + 1).reduce((sum, l) => sum + Number(l.users), 0),
  );
  const first = reached[0] ?? 0;
  return {
    steps: q.steps.map((step, i) => {
      const users = reached[i] ?? 0;
      const previous = i === 0 ? null : (reached[i - 1] ?? 0);
      return {
        step,
        users,
        conversionFromStart: i === 0 ? null : first ? users / first : null,
        conversionFromPrevious: previous ? users / previous : null,
      };
    }),
    timeRange: rangeOut(range, q.timezone),
    sql,
  };
}

/**
 * Weekly cohort retention: people grouped by the week (Monday start, in the query's zone) of
 * their first `cohortEvent` in the range, and the share of each cohort active in each week
 * after it (week 0 is the cohort week itself).
 */
export async function runRetention(
  warehouse: Warehouse,
  input: RetentionQuery,
  workspaceId: string,
  nowOrOptions: Date | RunOptions = {},
): Promise<RetentionResult> {
  const { now = new Date(), policy } = runOptions(nowOrOptions, workspaceId);
  const q = parse(retentionQuerySchema, input, 'retention');
  const range = resolveTimeRange(q.timeRange, q.timezone, now);
  const policyParams: Record<string, unknown> = {};
  const restrict = policySql(policy, policyParams);
  const sql = `WITH cohorts AS (
  SELECT actor_id, toStartOfWeek(min(timestamp), 1, {timezone:String}) AS cohort
  FROM product_events
  WHERE workspace_id = {workspace:String} AND event = {cohortEvent:String}
    AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')}${restrict}
  GROUP BY actor_id
)
SELECT toString(c.cohort) AS cohort,
  dateDiff('week', c.cohort, toStartOfWeek(e.timestamp, 1, {timezone:String})) AS week,
  uniqExact(e.actor_id) AS users
FROM product_events AS e
INNER JOIN cohorts AS c ON c.actor_id = e.actor_id
WHERE e.workspace_id = {workspace:String} AND e.timestamp >= {from:DateTime64(3, 'UTC')}
  AND e.timestamp < {to:DateTime64(3, 'UTC')} + INTERVAL {weeks:UInt32} WEEK
  AND toStartOfWeek(e.timestamp, 1, {timezone:String}) >= c.cohort${restrict}
GROUP BY cohort, week
HAVING week <= {weeks:UInt32}
ORDER BY cohort, week`;
  const result = await rows<{ cohort: string; week: number; users: number }>(warehouse, sql, {
    workspace: workspaceId,
    cohortEvent: q.cohortEvent,
    from: paramTime(range.from),
    to: paramTime(range.to),
    timezone: q.timezone,
    weeks: q.weeks,
    ...policyParams,
  });
  const byCohort = new Map<string, number[]>();
  for (const r of result) {
    const retained = byCohort.get(r.cohort) ?? new Array<number>(q.weeks + 1).fill(0);
    retained[Number(r.week)] = Number(r.users);
    byCohort.set(r.cohort, retained);
  }
  const nowMs = now.getTime();
  return {
    cohorts: [...byCohort].map(([cohort, retained]) => {
      const size = retained[0] ?? 0;
      const cohortStart = Date.parse(`${cohort}T00:00:00Z`);
      return {
        cohort,
        size,
        retained,
        // Weeks that have not happened yet are unknown, not zero.
        rates: retained.map((users, week) =>
          cohortStart + week * 7 * 86_400_000 > nowMs || size === 0 ? null : users / size,
        ),
      };
    }),
    weeks: q.weeks,
    timeRange: rangeOut(range, q.timezone),
    sql,
  };
}
