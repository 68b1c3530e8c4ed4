-- 0006: sealed answers for finished days — what a post's lifetime totals or a deal's open amount
-- changed by per UTC hour, and the distinct people of each day.
--
-- "Impressions in the last 30 days" is the change of every post's lifetime total over the range,
-- which needs each post's latest value before the range and inside it: at 100M demo events that
-- grouped 350k posts over 1.7M post-days per statement (0.2-0.6 s a tile). The seal job
-- (warehouse/src/metrics/seal-changes.ts) computes those changes once per finished day, where the
-- previous value of each post is known, and stores them summed by hour and dimension: a 30-day
-- tile then adds up a few hundred thousand small rows, or a few thousand for deals.
--
-- Correctness never depends on the job having run. snapshot_rows_day counts the raw rows of every
-- day as they are inserted (a materialized view), and the job writes beside each sealed day's
-- changes a marker row with the count it sealed. A query uses sealed changes only for the days
-- before the first day whose counts differ (a late snapshot, a day not sealed yet) and computes
-- the rest from the per-post rollups, as before. The job recomputes from the start of the month of
-- the first day that differs and replaces each month's rows atomically (REPLACE PARTITION).
--
-- Post totals and deal amounts hold no personal data, so erasure has nothing to rebuild here.

CREATE TABLE IF NOT EXISTS snapshot_rows_day {{on_cluster}} (
  workspace_id LowCardinality(String),
  source LowCardinality(String),
  bucket DateTime('UTC'),
  rows UInt64
) ENGINE = {{engine:SummingMergeTree()}}
PARTITION BY toYear(bucket)
ORDER BY (workspace_id, source, bucket);

CREATE MATERIALIZED VIEW IF NOT EXISTS snapshot_rows_day_posts_mv {{on_cluster}} TO snapshot_rows_day{{local}} AS
SELECT workspace_id, 'post_activity' AS source, toStartOfDay(timestamp) AS bucket, count() AS rows
FROM social_post_metrics{{local}}
GROUP BY workspace_id, bucket;

CREATE MATERIALIZED VIEW IF NOT EXISTS snapshot_rows_day_deals_mv {{on_cluster}} TO snapshot_rows_day{{local}} AS
SELECT workspace_id, 'deal_states' AS source, toStartOfDay(timestamp) AS bucket, count() AS rows
FROM crm_deal_stage_changes{{local}}
GROUP BY workspace_id, bucket;

INSERT INTO snapshot_rows_day
SELECT workspace_id, 'post_activity' AS source, toStartOfDay(timestamp) AS bucket, count() AS rows
FROM social_post_metrics
GROUP BY workspace_id, bucket;

INSERT INTO snapshot_rows_day
SELECT workspace_id, 'deal_states' AS source, toStartOfDay(timestamp) AS bucket, count() AS rows
FROM crm_deal_stage_changes
GROUP BY workspace_id, bucket;

-- Changes of the post counters per hour, platform and account. `snapshots` counts the posts that
-- reported in the hour; a marker row (sealed_rows > 0, empty dimensions, zero changes) per day
-- holds the raw row count the day was sealed with.
CREATE TABLE IF NOT EXISTS social_post_changes_hour {{on_cluster}} (
  workspace_id LowCardinality(String),
  bucket DateTime('UTC'),
  platform LowCardinality(String),
  account_id LowCardinality(String),
  impressions Int64,
  reach Int64,
  likes Int64,
  comments Int64,
  shares Int64,
  saves Int64,
  clicks Int64,
  video_views Int64,
  engagements Int64,
  snapshots UInt64,
  sealed_rows UInt64
) ENGINE = {{engine:SummingMergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (workspace_id, bucket, platform, account_id);

-- Changes of the open amount and open deal count per hour, source, pipeline, currency and owner.
CREATE TABLE IF NOT EXISTS crm_deal_changes_hour {{on_cluster}} (
  workspace_id LowCardinality(String),
  bucket DateTime('UTC'),
  source LowCardinality(String),
  pipeline LowCardinality(String),
  currency LowCardinality(String),
  owner_id LowCardinality(String),
  open_amount Decimal(38, 2),
  open_deals Int64,
  snapshots UInt64,
  sealed_rows UInt64
) ENGINE = {{engine:SummingMergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (workspace_id, bucket, source, pipeline, currency, owner_id);

-- Distinct people per finished UTC day (DAU as a number): a 30-day DAU tile merged 30 uniqExact
-- states of ~170k people each at 100M demo events (~100 ms). A day's count stands while the day's
-- event total in product_activity_day is what it was sealed with (late events and erasures, which
-- rebuild that rollup, change it); the marker row holds that total in sealed_rows.
CREATE TABLE IF NOT EXISTS product_actor_counts_day {{on_cluster}} (
  workspace_id LowCardinality(String),
  bucket DateTime('UTC'),
  actors UInt64,
  sealed_rows UInt64
) ENGINE = {{engine:SummingMergeTree()}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (workspace_id, bucket);
