import { PulseError } from '@pulse/core';
import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import { resolveTimeRange, translateWarehouseError, type Warehouse } from '@pulse/warehouse';
import { MASK, maskRow } from '@pulse/warehouse/policy/index';
import type { DashboardFilter } from './definition.ts';
import type { ViewState } from './view-state.ts';

/**
 * The underlying rows a drill-down ends on: product events, posts, deals. Each entity names the
 * columns it shows and the dimensions it can be filtered by (the same names the metric catalog
 * uses, so a breakdown value carries straight over); values reach SQL only as parameters.
 */
interface RowEntity {
  from: string;
  time: string;
  columns: Record<string, string>;
  filters: Record<string, string>;
}

export const rowEntities = {
  events: {
    from: '(SELECT * FROM product_events FINAL WHERE workspace_id = {workspace:String})',
    time: 'timestamp',
    columns: {
      timestamp: 'timestamp',
      type: 'type',
      event: 'event',
      user_id: 'user_id',
      anonymous_id: 'anonymous_id',
      session_id: 'session_id',
      properties: 'leftUTF8(properties, 200)',
    },
    filters: {
      type: 'type',
      event: "if(type = 'track', event, '')",
      user_id: 'user_id',
      feature: "JSONExtractString(properties, 'feature')",
      automation: "JSONExtractString(properties, 'automation')",
    },
  },
  posts: {
    from: '(SELECT * FROM social_posts FINAL WHERE workspace_id = {workspace:String} AND is_deleted = 0 AND published_at IS NOT NULL)',
    time: 'published_at',
    columns: {
      published_at: 'published_at',
      platform: 'platform',
      account_id: 'account_id',
      post_id: 'post_id',
      media_type: 'media_type',
      campaign_id: 'campaign_id',
      text: 'leftUTF8(text, 200)',
    },
    filters: {
      platform: 'platform',
      account_id: 'account_id',
      post_id: 'post_id',
      media_type: 'media_type',
      campaign_id: 'campaign_id',
    },
  },
  deals: {
    from: `(SELECT deal_id, max(timestamp) AS updated_at, argMax(stage, timestamp) AS stage, any(source) AS source,
      any(pipeline) AS pipeline, argMax(amount, timestamp) AS amount, any(currency) AS currency,
      any(owner_id) AS owner_id, max(is_won) AS is_won, max(is_closed) AS is_closed
      FROM crm_deal_stage_changes WHERE workspace_id = {workspace:String} GROUP BY deal_id)`,
    time: 'updated_at',
    columns: {
      updated_at: 'updated_at',
      deal_id: 'deal_id',
      stage: 'stage',
      source: 'source',
      pipeline: 'pipeline',
      amount: 'toString(amount)',
      currency: 'currency',
      owner_id: 'owner_id',
      is_won: 'is_won',
    },
    filters: {
      source: 'source',
      pipeline: 'pipeline',
      stage: 'stage',
      currency: 'currency',
      owner_id: 'owner_id',
      is_won: 'toString(is_won)',
    },
  },
} satisfies Record<string, RowEntity>;
export type RowEntityName = keyof typeof rowEntities;
export const rowEntityNames = Object.keys(rowEntities) as RowEntityName[];

export interface RowsPage {
  entity: RowEntityName;
  columns: string[];
  rows: Record<string, unknown>[];
  page: number;
  pageSize: number;
  total: number;
  timeRange: { from: string; to: string; timezone: string };
}

export async function queryRows(
  warehouse: Warehouse,
  input: {
    entity: string;
    state: ViewState;
    page: number;
    pageSize: number;
    workspaceId: string;
    policy?: DataPolicy | undefined;
    now?: Date;
  },
): Promise<RowsPage> {
  if (!(input.entity in rowEntities))
    throw new PulseError('ROWS_INVALID', `no rows called "${input.entity}"`, {
      hint: `choose from: ${rowEntityNames.join(', ')}`,
    });
  const entityName = input.entity as RowEntityName;
  const entity: RowEntity = rowEntities[entityName];
  const range = resolveTimeRange(input.state.timeRange, input.state.timezone, input.now);
  const params: Record<string, unknown> = {
    workspace: input.workspaceId,
    from: paramTime(range.from),
    to: paramTime(range.to),
    limit: input.pageSize,
    offset: (input.page - 1) * input.pageSize,
  };
  const where = [`${entity.time} >= {from:DateTime64(3)}`, `${entity.time} < {to:DateTime64(3)}`];
  input.state.filters.forEach((f, i) => {
    // Filtering by a column the caller may not see would leak its values one guess at a time.
    if (input.policy && maskRow({ [f.dimension]: '' }, input.policy)[f.dimension] === MASK)
      throw new PulseError('DIMENSION_FORBIDDEN', `your role may not filter rows by "${f.dimension}"`, {
        hint: 'Drill down without that filter, or ask an admin about the column’s classification.',
      });
    where.push(filterSql(entity, f, i, params));
  });
  // Row policies hold here as in metric queries; rows that cannot be checked are not shown.
  if (input.policy && !input.policy.unrestricted)
    input.policy.rowFilters.forEach((rule, i) => {
      if (!entity.filters[rule.dimension])
        throw new PulseError(
          'ROWS_FORBIDDEN',
          `your data policy limits ${rule.dimension}, which these rows cannot be checked against`,
          {
            hint: 'ask an admin to relax the row policy, or drill into a metric the policy allows',
          },
        );
      where.push(
        filterSql(entity, { dimension: rule.dimension, op: 'in', value: rule.values }, 100 + i, params),
      );
    });
  const select = Object.entries(entity.columns).map(([name, sql]) => `${sql} AS \`${name}\``);
  const query = `SELECT ${select.join(', ')}, count() OVER () AS __total FROM ${entity.from} WHERE ${where.join(' AND ')}
    ORDER BY ${entity.time} DESC, ${Object.keys(entity.columns)[1]} LIMIT {limit:UInt32} OFFSET {offset:UInt32}`;
  try {
    const result = await warehouse.client.query({
      query,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const raw = (await result.json()) as Record<string, unknown>[];
    const total = Number(raw[0]?.__total ?? 0);
    for (const r of raw) delete r.__total;
    // Columns above the caller's clearance (user ids, free text…) come back masked.
    const rows = raw.map((r) => maskRow(r, input.policy));
    return {
      entity: entityName,
      columns: Object.keys(entity.columns),
      rows,
      page: input.page,
      pageSize: input.pageSize,
      total,
      timeRange: {
        from: range.from.toISOString(),
        to: range.to.toISOString(),
        timezone: input.state.timezone,
      },
    };
  } catch (err) {
    throw translateWarehouseError(err, 'QUERY_FAILED', 'reading the underlying rows failed');
  }
}

function filterSql(
  entity: RowEntity,
  f: DashboardFilter,
  i: number,
  params: Record<string, unknown>,
): string {
  const sql = entity.filters[f.dimension];
  if (!sql)
    throw new PulseError('ROWS_INVALID', `these rows cannot be filtered by "${f.dimension}"`, {
      hint: `filter on one of: ${Object.keys(entity.filters).join(', ')}`,
    });
  const name = `f${i}`;
  const values = [f.value].flat().map(String);
  params[name] = f.op === 'in' || f.op === 'not_in' ? values : values[0];
  switch (f.op) {
    case 'eq':
      return `toString(${sql}) = {${name}:String}`;
    case 'neq':
      return `toString(${sql}) != {${name}:String}`;
    case 'in':
      return `toString(${sql}) IN {${name}:Array(String)}`;
    case 'not_in':
      return `toString(${sql}) NOT IN {${name}:Array(String)}`;
    case 'contains':
      return `positionCaseInsensitiveUTF8(toString(${sql}), {${name}:String}) > 0`;
    default:
      throw new PulseError(
        'ROWS_INVALID',
        `rows are filtered with eq, neq, in, not_in or contains, not "${f.op}"`,
        {
          hint: 'use a breakdown value with eq',
        },
      );
  }
}

const paramTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
