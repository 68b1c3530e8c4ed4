/**
 * The sources metrics are defined over: what rows they read, which dimensions they offer and
 * which rollups can answer for them. A source is warehouse knowledge (tables, columns, rollups);
 * a metric (models/metrics/*.yaml) names a source and an expression over it.
 *
 * SQL here is written by us and reviewed; request values never reach it except as
 * `{name:Type}` query parameters. `{timezone:String}` is the query's time zone.
 */
import type { Classification } from '@pulse/core/rbac/data-policies';

export type RollupGrain = 'minute' | 'hour' | 'day';

export interface DimensionDefinition {
  sql: string;
  type: 'string' | 'number';
  description: string;
  /**
   * Who may see the dimension's values (a workspace can override it): a caller whose role's
   * clearance is lower sees them masked and may not filter by them. Personal data is restricted.
   */
  classification: Classification;
}

export interface EventsRollup {
  table: string;
  grain: RollupGrain;
  /** Dimension name → column of the rollup table. */
  dimensions: Record<string, string>;
  /**
   * Aggregate → rollup column and how to merge it, keyed as the compiler asks for it:
   * `count`, `sum:<expression>` or `count_distinct:<expression>`.
   */
  measures: Record<string, { column: string; merge: 'sum' | 'uniqExactMerge' }>;
  /** Per-day answers of finished days, sealed by seal-changes.ts (a rollup without dimensions). */
  sealed?: SealedDays & {
    /** The measure the sealed column answers per UTC day (`count_distinct:actor_id`). */
    measure: string;
    column: string;
  };
}

/**
 * A table the seal job fills for finished UTC days (0006_sealed_changes.sql), with a marker row per
 * day (`sealed_rows`) holding the day's row count when it was sealed. A query uses it for the days
 * before the first whose count differs now (late rows, erasure, a day not sealed yet).
 */
export interface SealedDays {
  table: string;
  /** `SELECT bucket, n`: the rows of each UTC day now, for `{workspace:String}`. */
  rows: string;
}

export interface EventsSource {
  kind: 'events';
  name: string;
  description: string;
  /** A table, or a parenthesised subquery that may use `{workspace:String}`. */
  from: string;
  time: string;
  dimensions: Record<string, DimensionDefinition>;
  rollups: EventsRollup[];
}

export interface SnapshotRollup {
  table: string;
  grain: RollupGrain;
  entity: string;
  dimensions: Record<string, string>;
  /** Value name → the merged latest value in the rollup. */
  values: Record<string, string>;
}

/**
 * Rows that report an entity's current value at a time (lifetime totals of a post, followers of
 * an account, open amount of a deal). Metrics take each entity's latest value per bucket and
 * then either the change over the bucket (`delta`) or the total at its end (`level`).
 */
export interface SnapshotSource {
  kind: 'snapshot';
  name: string;
  description: string;
  from: string;
  time: string;
  entity: string;
  /** Attributes of the entity (constant per entity). */
  dimensions: Record<string, DimensionDefinition>;
  /** Value name → SQL over the row. */
  values: Record<string, string>;
  rollups: SnapshotRollup[];
  /** Sealed per-hour changes (0006_sealed_changes.sql, filled by seal-changes.ts), if kept. */
  changes?: SnapshotChanges;
}

/**
 * A table of what the source's values changed by, per UTC hour and dimension, for days the seal
 * job has sealed. A value's change is attributed to the entity's dimensions at the time; when they
 * change, the old group loses the previous value and the new one gains the new value.
 */
export interface SnapshotChanges extends SealedDays {
  /** Dimension name → the column of the changes table (and of the raw table). */
  dimensions: Record<string, string>;
  /** Value name → the ClickHouse type of its column (a signed type: changes can be negative). */
  values: Record<string, string>;
}

export type MetricSource = EventsSource | SnapshotSource;

const dim = (
  sql: string,
  description: string,
  type: 'string' | 'number' = 'string',
  classification: Classification = 'internal',
): DimensionDefinition => ({
  sql,
  type,
  description,
  classification,
});

const productDims = {
  type: dim('type', 'Segment call: track, identify, page, screen, group or alias', 'string', 'public'),
  event: dim("if(type = 'track', event, '')", 'track event name (empty for other calls)', 'string', 'public'),
  feature: dim("JSONExtractString(properties, 'feature')", 'product feature (Feature Used events)'),
  automation: dim("JSONExtractString(properties, 'automation')", 'automation name (Automation Run events)'),
  hour_of_week: dim(
    '(toDayOfWeek(timestamp, 0, {timezone:String}) - 1) * 24 + toHour(timestamp, {timezone:String})',
    'hour of the week in the query time zone, 0 = Monday 00:00',
    'number',
    'public',
  ),
  // Segment's context.location.country; no rollup carries it, so a policy on it reads raw rows.
  country: dim(
    "JSONExtractString(context, 'location', 'country')",
    'country the SDK reported (context.location.country)',
  ),
  user_id: dim('user_id', 'the identified user (empty for anonymous visitors)', 'string', 'restricted'),
};

const productRollup = (grain: RollupGrain): EventsRollup => ({
  table: `product_activity_${grain}`,
  grain,
  dimensions: {
    type: 'type',
    event: "if(type = 'track', event, '')",
    feature: 'feature',
    automation: 'automation',
  },
  measures: {
    count: { column: 'events', merge: 'sum' },
    "sum:JSONExtractFloat(properties, 'timeSavedSeconds')": { column: 'time_saved_seconds', merge: 'sum' },
    'count_distinct:actor_id': { column: 'actors', merge: 'uniqExactMerge' },
    'count_distinct:session_id': { column: 'sessions', merge: 'uniqExactMerge' },
  },
});

/**
 * Distinct people per UTC day and nothing else (0004_daily_actors.sql): listed before the product
 * rollups so that DAU and the like, asked without dimensions, merge one state a day instead of
 * one per event kind.
 */
const dailyActorsRollup: EventsRollup = {
  table: 'product_actors_day',
  grain: 'day',
  dimensions: {},
  measures: { 'count_distinct:actor_id': { column: 'actors', merge: 'uniqExactMerge' } },
  // DAU of finished days as a number: a day's count stands while its event total is unchanged
  // (product_activity_day is rebuilt by an erasure, so an erased person changes it too).
  sealed: {
    table: 'product_actor_counts_day',
    rows: 'SELECT bucket, events AS n FROM product_activity_day WHERE workspace_id = {workspace:String}',
    measure: 'count_distinct:actor_id',
    column: 'actors',
  },
};

/**
 * Each UTC day of a sealed table with rows now or a seal: `bucket`, its rows now (`n`) and the rows
 * it was sealed with (`s`), for `{workspace:String}`. A day may use its sealed rows while n = s.
 * The seal job and the metric compiler both read it, so they agree on what counts as sealed.
 */
export function sealedDayCounts(sealed: SealedDays, condition = '1'): string {
  return (
    'SELECT bucket, sum(n) AS n, sum(s) AS s FROM (' +
    `SELECT bucket, toUInt64(n) AS n, toUInt64(0) AS s FROM (${sealed.rows}) WHERE ${condition} ` +
    `UNION ALL SELECT toStartOfDay(bucket) AS bucket, toUInt64(0) AS n, sealed_rows AS s FROM ${sealed.table} ` +
    `WHERE workspace_id = {workspace:String} AND sealed_rows > 0 AND ${condition}` +
    ') GROUP BY bucket'
  );
}

/** Rows per UTC day of a snapshot source, counted on insert (snapshot_rows_day). */
const snapshotRows = (source: string) =>
  `SELECT bucket, rows AS n FROM snapshot_rows_day WHERE workspace_id = {workspace:String} AND source = '${source}'`;

const crmDims = {
  source: dim('source', 'CRM: salesforce, hubspot or pipedrive', 'string', 'public'),
  entity: dim('entity', 'contact, lead, company or deal', 'string', 'public'),
  action: dim('action', 'created, updated or deleted', 'string', 'public'),
  status: dim('status', 'lead status after the change (new, mql, sql, …)'),
  source_campaign_id: dim('source_campaign_id', 'the social campaign the lead or deal came from'),
  campaign_platform: dim(
    "if(source_campaign_id = '', '', splitByChar('_', source_campaign_id)[2])",
    'social platform of the source campaign (empty when not from social)',
  ),
};

const crmRollup = (grain: 'hour' | 'day'): EventsRollup => ({
  table: `crm_activity_${grain}`,
  grain,
  dimensions: {
    source: 'source',
    entity: 'entity',
    action: 'action',
    status: 'status',
    source_campaign_id: 'source_campaign_id',
    campaign_platform: "if(source_campaign_id = '', '', splitByChar('_', source_campaign_id)[2])",
  },
  measures: {
    count: { column: 'changes', merge: 'sum' },
    'count_distinct:entity_id': { column: 'entities', merge: 'uniqExactMerge' },
  },
});

const dealDims = {
  source: dim('source', 'CRM: salesforce, hubspot or pipedrive', 'string', 'public'),
  pipeline: dim('pipeline', 'sales pipeline'),
  stage: dim('stage', 'the stage the deal moved to'),
  previous_stage: dim('previous_stage', 'the stage the deal left'),
  currency: dim('currency', 'deal currency (amounts are never converted)', 'string', 'public'),
  owner_id: dim('owner_id', 'deal owner (a person)', 'string', 'confidential'),
  source_campaign_id: dim('source_campaign_id', 'the social campaign the deal came from'),
  campaign_platform: dim(
    "if(source_campaign_id = '', '', splitByChar('_', source_campaign_id)[2])",
    'social platform of the source campaign (empty when not from social)',
  ),
  is_won: dim('is_won', '1 when the change closed the deal as won', 'number'),
  is_closed: dim('is_closed', '1 when the change closed the deal (won or lost)', 'number'),
};

const dealRollup = (grain: 'hour' | 'day'): EventsRollup => ({
  table: `crm_deal_stages_${grain}`,
  grain,
  dimensions: Object.fromEntries(Object.entries(dealDims).map(([name, d]) => [name, d.sql])),
  measures: {
    count: { column: 'changes', merge: 'sum' },
    'sum:amount': { column: 'amount', merge: 'sum' },
    'count_distinct:deal_id': { column: 'deals', merge: 'uniqExactMerge' },
  },
});

const counters = ['impressions', 'reach', 'likes', 'comments', 'shares', 'saves', 'clicks', 'video_views'];
const engagementSum = 'likes + comments + shares + saves + clicks';

const postMetricsRollup = (grain: 'hour' | 'day'): SnapshotRollup => ({
  table: `social_post_metrics_${grain}`,
  grain,
  entity: 'post_id',
  dimensions: { platform: 'platform', account_id: 'account_id', post_id: 'post_id' },
  values: {
    ...Object.fromEntries(counters.map((c) => [c, `argMaxMerge(${c})`])),
    engagements: ['likes', 'comments', 'shares', 'saves', 'clicks']
      .map((c) => `argMaxMerge(${c})`)
      .join(' + '),
  },
});

/**
 * Impressions, reach and the engagement total per post and day, one argMax state each
 * (0005_post_engagement_day.sql): listed first, so engagements and the engagement rates merge one
 * state per post and day instead of one per counter.
 */
const postEngagementRollup: SnapshotRollup = {
  table: 'social_post_engagement_day',
  grain: 'day',
  entity: 'post_id',
  dimensions: { platform: 'platform', account_id: 'account_id', post_id: 'post_id' },
  values: {
    impressions: 'argMaxMerge(impressions)',
    reach: 'argMaxMerge(reach)',
    engagements: 'argMaxMerge(engagements)',
  },
};

/** Each published post with its latest lifetime totals, dated by when it was published. */
const postLifetime = `(
  SELECT p.workspace_id AS workspace_id, p.post_id AS post_id, p.last_platform AS platform,
    p.last_account_id AS account_id, p.last_campaign_id AS campaign_id, p.last_media_type AS media_type,
    p.last_text AS text, p.last_published_at AS published_at,
    ${counters.map((c) => `m.last_${c} AS ${c}`).join(', ')}
  FROM (
    SELECT workspace_id, post_id, argMax(platform, updated_at) AS last_platform,
      argMax(account_id, updated_at) AS last_account_id, argMax(campaign_id, updated_at) AS last_campaign_id,
      argMax(media_type, updated_at) AS last_media_type, argMax(text, updated_at) AS last_text,
      assumeNotNull(argMax(published_at, updated_at)) AS last_published_at
    FROM social_posts
    WHERE workspace_id = {workspace:String}
    GROUP BY workspace_id, post_id
    HAVING argMax(published_at, updated_at) IS NOT NULL AND argMax(is_deleted, updated_at) = 0
  ) AS p
  LEFT JOIN (
    SELECT post_id, ${counters.map((c) => `argMax(${c}, timestamp) AS last_${c}`).join(', ')}
    FROM social_post_metrics
    WHERE workspace_id = {workspace:String}
    GROUP BY post_id
  ) AS m ON m.post_id = p.post_id
)`;

/** Each deal's time from creation to close, dated by the close. */
const dealOutcomes = `(
  SELECT workspace_id, deal_id, any(source) AS source, any(pipeline) AS pipeline,
    any(currency) AS currency, any(owner_id) AS owner_id, any(source_campaign_id) AS source_campaign_id,
    max(is_won) AS is_won, maxIf(timestamp, is_closed = 1) AS closed_at,
    dateDiff('second', min(timestamp), maxIf(timestamp, is_closed = 1)) / 86400 AS cycle_days,
    sumIf(amount, is_closed = 1) AS amount
  FROM crm_deal_stage_changes
  WHERE workspace_id = {workspace:String}
  GROUP BY workspace_id, deal_id
  HAVING max(is_closed) = 1
)`;

/** Every stage a deal left, with the days it spent there, dated by when it left. */
const stageDurations = `(
  SELECT workspace_id, deal_id, source, pipeline, previous_stage AS stage, timestamp,
    dateDiff('second', entered_at, timestamp) / 86400 AS days_in_stage
  FROM (
    SELECT workspace_id, deal_id, source, pipeline, previous_stage, timestamp,
      lagInFrame(timestamp, 1, timestamp) OVER (PARTITION BY deal_id ORDER BY timestamp
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS entered_at
    FROM crm_deal_stage_changes
    WHERE workspace_id = {workspace:String}
  )
  WHERE previous_stage != ''
)`;

const socialDims = {
  platform: dim('platform', 'social platform', 'string', 'public'),
  account_id: dim('account_id', 'the brand account on the platform'),
};

export const metricSources: MetricSource[] = [
  {
    kind: 'events',
    name: 'product_events',
    description: 'Product user actions (the Segment calls), one row per event.',
    from: 'product_events',
    time: 'timestamp',
    dimensions: productDims,
    rollups: [dailyActorsRollup, productRollup('minute'), productRollup('hour'), productRollup('day')],
  },
  {
    kind: 'events',
    name: 'crm_changes',
    description: 'Every CRM change (contact, lead, company, deal × created, updated, deleted).',
    from: 'crm_entity_events',
    time: 'timestamp',
    dimensions: crmDims,
    rollups: [crmRollup('hour'), crmRollup('day')],
  },
  {
    kind: 'events',
    name: 'deal_stage_changes',
    description: 'Deals moving between pipeline stages, with the amount at the time.',
    from: 'crm_deal_stage_changes',
    time: 'timestamp',
    dimensions: dealDims,
    rollups: [dealRollup('hour'), dealRollup('day')],
  },
  {
    kind: 'events',
    name: 'deal_outcomes',
    description: 'Closed deals with the days from creation to close, dated by the close.',
    from: dealOutcomes,
    time: 'closed_at',
    dimensions: {
      source: dealDims.source,
      pipeline: dealDims.pipeline,
      currency: dealDims.currency,
      owner_id: dealDims.owner_id,
      campaign_platform: dealDims.campaign_platform,
      is_won: dealDims.is_won,
    },
    rollups: [],
  },
  {
    kind: 'events',
    name: 'deal_stage_durations',
    description: 'The days each deal spent in each stage, dated by when it left the stage.',
    from: stageDurations,
    time: 'timestamp',
    dimensions: {
      source: dealDims.source,
      pipeline: dealDims.pipeline,
      stage: dim('stage', 'the stage the deal spent the time in'),
    },
    rollups: [],
  },
  {
    kind: 'snapshot',
    name: 'post_activity',
    description: 'Lifetime totals each post reported over time; changes are dated by when they happened.',
    from: 'social_post_metrics',
    time: 'timestamp',
    entity: 'post_id',
    dimensions: { ...socialDims, post_id: dim('post_id', 'the post') },
    values: { ...Object.fromEntries(counters.map((c) => [c, c])), engagements: engagementSum },
    rollups: [postEngagementRollup, postMetricsRollup('hour'), postMetricsRollup('day')],
    changes: {
      table: 'social_post_changes_hour',
      rows: snapshotRows('post_activity'),
      dimensions: { platform: 'platform', account_id: 'account_id' },
      values: Object.fromEntries([...counters, 'engagements'].map((c) => [c, 'Int64'])),
    },
  },
  {
    kind: 'events',
    name: 'posts',
    description: 'Published posts with their latest lifetime totals, dated by when they were published.',
    from: postLifetime,
    time: 'published_at',
    dimensions: {
      ...socialDims,
      post_id: dim('post_id', 'the post'),
      post_text: dim('leftUTF8(text, 120)', 'the first 120 characters of the post', 'string', 'confidential'),
      media_type: dim('media_type', 'text, image, video, carousel, link, story or reel', 'string', 'public'),
      campaign_id: dim('campaign_id', 'the campaign the post belongs to'),
      publish_hour_of_week: dim(
        '(toDayOfWeek(published_at, 0, {timezone:String}) - 1) * 24 + toHour(published_at, {timezone:String})',
        'hour of the week the post went out, in the query time zone (0 = Monday 00:00)',
        'number',
      ),
    },
    rollups: [],
  },
  {
    kind: 'snapshot',
    name: 'followers',
    description: 'Follower counts each account reported over time.',
    from: 'social_followers',
    time: 'timestamp',
    entity: 'account_id',
    dimensions: socialDims,
    values: { followers: 'followers' },
    rollups: [
      {
        table: 'social_followers_day',
        grain: 'day',
        entity: 'account_id',
        dimensions: { platform: 'platform', account_id: 'account_id' },
        values: { followers: 'argMaxMerge(followers)' },
      },
    ],
  },
  {
    kind: 'snapshot',
    name: 'deal_states',
    description: 'Each deal as it moves through stages; the open amount is zero once the deal closes.',
    from: 'crm_deal_stage_changes',
    time: 'timestamp',
    entity: 'deal_id',
    dimensions: {
      source: dealDims.source,
      pipeline: dealDims.pipeline,
      currency: dealDims.currency,
      owner_id: dealDims.owner_id,
    },
    values: {
      open_amount: 'if(is_closed = 1, toDecimal128(0, 2), toDecimal128(amount, 2))',
      open_deals: 'if(is_closed = 1, 0, 1)',
    },
    rollups: [],
    changes: {
      table: 'crm_deal_changes_hour',
      rows: snapshotRows('deal_states'),
      dimensions: { source: 'source', pipeline: 'pipeline', currency: 'currency', owner_id: 'owner_id' },
      values: { open_amount: 'Decimal(38, 2)', open_deals: 'Int64' },
    },
  },
];

export const sourcesByName = new Map(metricSources.map((s) => [s.name, s]));
