-- 0005: the latest impressions, reach and engagement total per post and UTC day, one argMax each.
--
-- social_post_metrics_day keeps every counter as its own argMax state, so "engagements" (likes +
-- comments + shares + saves + clicks) merged five states per post and day, and engagement rate six:
-- at 100M demo events that was 0.7-0.9 s a statement. Here the sum is taken per snapshot row before
-- the argMax, as the raw path computes it, so engagements and the engagement rates merge one or two
-- states. The metric compiler prefers this rollup when it carries every value a query needs.
--
-- The backfill is safe while snapshots arrive: argMax over a row counted twice (by the view and the
-- backfill) is the same value. Post totals hold no personal data, so erasure has nothing to rebuild.

CREATE TABLE IF NOT EXISTS social_post_engagement_day {{on_cluster}} (
  workspace_id LowCardinality(String),
  bucket DateTime('UTC'),
  platform LowCardinality(String),
  account_id LowCardinality(String),
  post_id String,
  impressions AggregateFunction(argMax, UInt64, DateTime64(3, 'UTC')),
  reach AggregateFunction(argMax, UInt64, DateTime64(3, 'UTC')),
  engagements AggregateFunction(argMax, UInt64, DateTime64(3, 'UTC'))
) ENGINE = {{engine:AggregatingMergeTree()}}
PARTITION BY toYear(bucket)
ORDER BY (workspace_id, bucket, platform, account_id, post_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS social_post_engagement_day_mv {{on_cluster}} TO social_post_engagement_day{{local}} AS
SELECT workspace_id, toStartOfDay(timestamp) AS bucket, platform, account_id, post_id,
  argMaxState(impressions, timestamp) AS impressions, argMaxState(reach, timestamp) AS reach,
  argMaxState(likes + comments + shares + saves + clicks, timestamp) AS engagements
FROM social_post_metrics{{local}}
GROUP BY workspace_id, bucket, platform, account_id, post_id;

INSERT INTO social_post_engagement_day
SELECT workspace_id, toStartOfDay(timestamp) AS bucket, platform, account_id, post_id,
  argMaxState(impressions, timestamp) AS impressions, argMaxState(reach, timestamp) AS reach,
  argMaxState(likes + comments + shares + saves + clicks, timestamp) AS engagements
FROM social_post_metrics
GROUP BY workspace_id, bucket, platform, account_id, post_id;
