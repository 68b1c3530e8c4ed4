-- 0004: daily active people in one state per workspace and UTC day.
--
-- product_activity_day can answer DAU, but keyed by event, feature and automation it holds a
-- person once per thing they did that day, so a month of DAU merged ~900 states of ~5-10x the
-- distinct people. This rollup keeps one uniqExact state per day: merging it reads each active
-- person of each day once. The metric compiler prefers it when a query needs no dimension.
--
-- The backfill below is safe while events arrive: a uniqExact state is a set, so a row counted by
-- both the view and the backfill is still counted once. GDPR erasure rebuilds the days it
-- touches, like the other product rollups (warehouse/src/privacy/rebuild-rollups.ts).

CREATE TABLE IF NOT EXISTS product_actors_day {{on_cluster}} (
  workspace_id LowCardinality(String),
  bucket DateTime('UTC'),
  actors AggregateFunction(uniqExact, String)
) ENGINE = {{engine:AggregatingMergeTree()}}
PARTITION BY toYear(bucket)
ORDER BY (workspace_id, bucket);

CREATE MATERIALIZED VIEW IF NOT EXISTS product_actors_day_mv {{on_cluster}} TO product_actors_day{{local}} AS
SELECT workspace_id, toStartOfDay(timestamp) AS bucket, uniqExactState(actor_id) AS actors
FROM product_events{{local}}
GROUP BY workspace_id, bucket;

INSERT INTO product_actors_day
SELECT workspace_id, toStartOfDay(timestamp) AS bucket, uniqExactState(actor_id) AS actors
FROM product_events
GROUP BY workspace_id, bucket;
