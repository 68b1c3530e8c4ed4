-- 0003: real-time rollups for the metric layer.
--
-- Each rollup is an AggregatingMergeTree fed by a materialized view on a raw table, so it is up
-- to date the moment an insert returns. Buckets are UTC; the metric compiler uses a rollup only
-- when the query's grain, time zone and range line up with the rollup's buckets, and reads the
-- raw table otherwise (see warehouse/src/metrics/compile-query.ts).
--
-- * Additive measures are SimpleAggregateFunction(sum, …): cheap to merge.
-- * Distinct counts are AggregateFunction(uniqExact, …): merging two buckets' states gives the
--   exact distinct count of their union, so DAU from the minute rollup equals DAU from raw rows.
-- * Snapshot tables (lifetime totals per post, follower counts per account) keep the latest
--   value per entity and bucket as argMax states; the compiler turns them into deltas.
-- * {{local}} becomes `_local` on a cluster, where views read and write the shard-local tables.

-- Product activity: event counts, distinct actors and sessions, automation time saved.
CREATE TABLE IF NOT EXISTS product_activity_minute {{on_cluster}} (
  workspace_id LowCardinality(String),
  bucket DateTime('UTC'),
  type LowCardinality(String),
  event LowCardinality(String),
  feature LowCardinality(String),
  automation LowCardinality(String),
  events SimpleAggregateFunction(sum, UInt64),
  time_saved_seconds SimpleAggregateFunction(sum, Float64),
  actors AggregateFunction(uniqExact, String),
  sessions AggregateFunction(uniqExact, String)
) ENGINE = {{engine:AggregatingMergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (workspace_id, bucket, type, event, feature, automation);

CREATE TABLE IF NOT EXISTS product_activity_hour {{on_cluster}} AS product_activity_minute{{local}}
ENGINE = {{engine:AggregatingMergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (workspace_id, bucket, type, event, feature, automation);

CREATE TABLE IF NOT EXISTS product_activity_day {{on_cluster}} AS product_activity_minute{{local}}
ENGINE = {{engine:AggregatingMergeTree()}}
PARTITION BY toYear(bucket)
ORDER BY (workspace_id, bucket, type, event, feature, automation);

CREATE MATERIALIZED VIEW IF NOT EXISTS product_activity_minute_mv {{on_cluster}} TO product_activity_minute{{local}} AS
SELECT workspace_id, toStartOfMinute(timestamp) AS bucket, type, event,
  JSONExtractString(properties, 'feature') AS feature,
  JSONExtractString(properties, 'automation') AS automation,
  count() AS events,
  sum(JSONExtractFloat(properties, 'timeSavedSeconds')) AS time_saved_seconds,
  uniqExactState(actor_id) AS actors,
  uniqExactState(session_id) AS sessions
FROM product_events{{local}}
GROUP BY workspace_id, bucket, type, event, feature, automation;

CREATE MATERIALIZED VIEW IF NOT EXISTS product_activity_hour_mv {{on_cluster}} TO product_activity_hour{{local}} AS
SELECT workspace_id, toStartOfHour(timestamp) AS bucket, type, event,
  JSONExtractString(properties, 'feature') AS feature,
  JSONExtractString(properties, 'automation') AS automation,
  count() AS events,
  sum(JSONExtractFloat(properties, 'timeSavedSeconds')) AS time_saved_seconds,
  uniqExactState(actor_id) AS actors,
  uniqExactState(session_id) AS sessions
FROM product_events{{local}}
GROUP BY workspace_id, bucket, type, event, feature, automation;

CREATE MATERIALIZED VIEW IF NOT EXISTS product_activity_day_mv {{on_cluster}} TO product_activity_day{{local}} AS
SELECT workspace_id, toStartOfDay(timestamp) AS bucket, type, event,
  JSONExtractString(properties, 'feature') AS feature,
  JSONExtractString(properties, 'automation') AS automation,
  count() AS events,
  sum(JSONExtractFloat(properties, 'timeSavedSeconds')) AS time_saved_seconds,
  uniqExactState(actor_id) AS actors,
  uniqExactState(session_id) AS sessions
FROM product_events{{local}}
GROUP BY workspace_id, bucket, type, event, feature, automation;

-- CRM entity changes: counts and distinct entities by source, entity, action, status, campaign.
CREATE TABLE IF NOT EXISTS crm_activity_hour {{on_cluster}} (
  workspace_id LowCardinality(String),
  bucket DateTime('UTC'),
  source LowCardinality(String),
  entity LowCardinality(String),
  action LowCardinality(String),
  status LowCardinality(String),
  source_campaign_id LowCardinality(String),
  changes SimpleAggregateFunction(sum, UInt64),
  entities AggregateFunction(uniqExact, String)
) ENGINE = {{engine:AggregatingMergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (workspace_id, bucket, source, entity, action, status, source_campaign_id);

CREATE TABLE IF NOT EXISTS crm_activity_day {{on_cluster}} AS crm_activity_hour{{local}}
ENGINE = {{engine:AggregatingMergeTree()}}
PARTITION BY toYear(bucket)
ORDER BY (workspace_id, bucket, source, entity, action, status, source_campaign_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS crm_activity_hour_mv {{on_cluster}} TO crm_activity_hour{{local}} AS
SELECT workspace_id, toStartOfHour(timestamp) AS bucket, source, entity, action, status, source_campaign_id,
  count() AS changes, uniqExactState(entity_id) AS entities
FROM crm_entity_events{{local}}
GROUP BY workspace_id, bucket, source, entity, action, status, source_campaign_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS crm_activity_day_mv {{on_cluster}} TO crm_activity_day{{local}} AS
SELECT workspace_id, toStartOfDay(timestamp) AS bucket, source, entity, action, status, source_campaign_id,
  count() AS changes, uniqExactState(entity_id) AS entities
FROM crm_entity_events{{local}}
GROUP BY workspace_id, bucket, source, entity, action, status, source_campaign_id;

-- Deal stage changes: deals entering each stage, won/lost counts and amounts.
CREATE TABLE IF NOT EXISTS crm_deal_stages_hour {{on_cluster}} (
  workspace_id LowCardinality(String),
  bucket DateTime('UTC'),
  source LowCardinality(String),
  pipeline LowCardinality(String),
  stage LowCardinality(String),
  previous_stage LowCardinality(String),
  currency LowCardinality(String),
  owner_id LowCardinality(String),
  source_campaign_id LowCardinality(String),
  is_won UInt8,
  is_closed UInt8,
  changes SimpleAggregateFunction(sum, UInt64),
  amount SimpleAggregateFunction(sum, Decimal(38, 2)),
  deals AggregateFunction(uniqExact, String)
) ENGINE = {{engine:AggregatingMergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (workspace_id, bucket, source, pipeline, stage, previous_stage, currency, owner_id, source_campaign_id, is_won, is_closed);

CREATE TABLE IF NOT EXISTS crm_deal_stages_day {{on_cluster}} AS crm_deal_stages_hour{{local}}
ENGINE = {{engine:AggregatingMergeTree()}}
PARTITION BY toYear(bucket)
ORDER BY (workspace_id, bucket, source, pipeline, stage, previous_stage, currency, owner_id, source_campaign_id, is_won, is_closed);

CREATE MATERIALIZED VIEW IF NOT EXISTS crm_deal_stages_hour_mv {{on_cluster}} TO crm_deal_stages_hour{{local}} AS
SELECT workspace_id, toStartOfHour(timestamp) AS bucket, source, pipeline, stage, previous_stage, currency,
  owner_id, source_campaign_id, is_won, is_closed,
  count() AS changes, sum(toDecimal128(amount, 2)) AS amount, uniqExactState(deal_id) AS deals
FROM crm_deal_stage_changes{{local}}
GROUP BY workspace_id, bucket, source, pipeline, stage, previous_stage, currency, owner_id, source_campaign_id, is_won, is_closed;

CREATE MATERIALIZED VIEW IF NOT EXISTS crm_deal_stages_day_mv {{on_cluster}} TO crm_deal_stages_day{{local}} AS
SELECT workspace_id, toStartOfDay(timestamp) AS bucket, source, pipeline, stage, previous_stage, currency,
  owner_id, source_campaign_id, is_won, is_closed,
  count() AS changes, sum(toDecimal128(amount, 2)) AS amount, uniqExactState(deal_id) AS deals
FROM crm_deal_stage_changes{{local}}
GROUP BY workspace_id, bucket, source, pipeline, stage, previous_stage, currency, owner_id, source_campaign_id, is_won, is_closed;

-- Post metric snapshots: the latest lifetime totals per post and bucket.
CREATE TABLE IF NOT EXISTS social_post_metrics_hour {{on_cluster}} (
  workspace_id LowCardinality(String),
  bucket DateTime('UTC'),
  platform LowCardinality(String),
  account_id LowCardinality(String),
  post_id String,
  impressions AggregateFunction(argMax, UInt64, DateTime64(3, 'UTC')),
  reach AggregateFunction(argMax, UInt64, DateTime64(3, 'UTC')),
  likes AggregateFunction(argMax, UInt64, DateTime64(3, 'UTC')),
  comments AggregateFunction(argMax, UInt64, DateTime64(3, 'UTC')),
  shares AggregateFunction(argMax, UInt64, DateTime64(3, 'UTC')),
  saves AggregateFunction(argMax, UInt64, DateTime64(3, 'UTC')),
  clicks AggregateFunction(argMax, UInt64, DateTime64(3, 'UTC')),
  video_views AggregateFunction(argMax, UInt64, DateTime64(3, 'UTC'))
) ENGINE = {{engine:AggregatingMergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (workspace_id, bucket, platform, account_id, post_id);

CREATE TABLE IF NOT EXISTS social_post_metrics_day {{on_cluster}} AS social_post_metrics_hour{{local}}
ENGINE = {{engine:AggregatingMergeTree()}}
PARTITION BY toYear(bucket)
ORDER BY (workspace_id, bucket, platform, account_id, post_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS social_post_metrics_hour_mv {{on_cluster}} TO social_post_metrics_hour{{local}} AS
SELECT workspace_id, toStartOfHour(timestamp) AS bucket, platform, account_id, post_id,
  argMaxState(impressions, timestamp) AS impressions, argMaxState(reach, timestamp) AS reach,
  argMaxState(likes, timestamp) AS likes, argMaxState(comments, timestamp) AS comments,
  argMaxState(shares, timestamp) AS shares, argMaxState(saves, timestamp) AS saves,
  argMaxState(clicks, timestamp) AS clicks, argMaxState(video_views, timestamp) AS video_views
FROM social_post_metrics{{local}}
GROUP BY workspace_id, bucket, platform, account_id, post_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS social_post_metrics_day_mv {{on_cluster}} TO social_post_metrics_day{{local}} AS
SELECT workspace_id, toStartOfDay(timestamp) AS bucket, platform, account_id, post_id,
  argMaxState(impressions, timestamp) AS impressions, argMaxState(reach, timestamp) AS reach,
  argMaxState(likes, timestamp) AS likes, argMaxState(comments, timestamp) AS comments,
  argMaxState(shares, timestamp) AS shares, argMaxState(saves, timestamp) AS saves,
  argMaxState(clicks, timestamp) AS clicks, argMaxState(video_views, timestamp) AS video_views
FROM social_post_metrics{{local}}
GROUP BY workspace_id, bucket, platform, account_id, post_id;

-- Follower counts: the latest count per account and bucket.
CREATE TABLE IF NOT EXISTS social_followers_day {{on_cluster}} (
  workspace_id LowCardinality(String),
  bucket DateTime('UTC'),
  platform LowCardinality(String),
  account_id LowCardinality(String),
  followers AggregateFunction(argMax, UInt64, DateTime64(3, 'UTC'))
) ENGINE = {{engine:AggregatingMergeTree()}}
PARTITION BY toYear(bucket)
ORDER BY (workspace_id, bucket, platform, account_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS social_followers_day_mv {{on_cluster}} TO social_followers_day{{local}} AS
SELECT workspace_id, toStartOfDay(timestamp) AS bucket, platform, account_id,
  argMaxState(followers, timestamp) AS followers
FROM social_followers{{local}}
GROUP BY workspace_id, bucket, platform, account_id;
