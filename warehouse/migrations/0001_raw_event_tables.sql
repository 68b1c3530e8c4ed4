-- 0001: raw tables, one per stream family and shape, as the ingester writes them.
--
-- Shared choices, said once:
-- * ORDER BY starts with workspace_id, then time: every dashboard query filters on one workspace
--   and a time range, so both prune granules. event_id closes the key so ReplacingMergeTree
--   collapses a re-delivered event that slipped past insert deduplication.
-- * PARTITION BY month: a few dozen partitions a year, cheap to drop for retention.
-- * non_replicated_deduplication_window: without it `insert_deduplication_token` does nothing on
--   a single node; with it, a batch retried with the same token (derived from the bus offsets)
--   adds nothing. Replicated tables deduplicate through Keeper with the same token.
-- * Known fields are typed columns; everything else is kept as JSON text in `properties`,
--   `context` or `extra` (ZSTD: JSON compresses 5-10x), so no unknown field is ever lost.
-- * LowCardinality for columns with a few dozen values (platform, source, type);
--   DateTime64(3, 'UTC') because SDKs send milliseconds and dashboards convert to the viewer's zone.

CREATE TABLE IF NOT EXISTS product_events {{on_cluster}} (
  event_id String,
  workspace_id LowCardinality(String),
  type LowCardinality(String),            -- track, identify, page, screen, group, alias
  event String,                           -- track: the event name; page/screen: the name
  category String,
  user_id String,
  anonymous_id String,
  group_id String,
  previous_id String,
  -- The person behind the event: user id when known, else the anonymous id. DAU/MAU count it.
  actor_id String MATERIALIZED if(user_id != '', user_id, anonymous_id),
  session_id String,
  timestamp DateTime64(3, 'UTC'),
  received_at DateTime64(3, 'UTC'),
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
  properties String CODEC(ZSTD(3)),        -- properties (track/page/screen) or traits (identify/group)
  context String CODEC(ZSTD(3)),
  extra String CODEC(ZSTD(3))              -- unknown top-level fields
) ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (workspace_id, toStartOfHour(timestamp), type, event_id)
SETTINGS non_replicated_deduplication_window = 10000;

-- Posts as their lifecycle events (published, updated, deleted): ReplacingMergeTree on updated_at
-- keeps the latest state per post after merges; queries use FINAL or argMax for the exact state.
CREATE TABLE IF NOT EXISTS social_posts {{on_cluster}} (
  event_id String,
  workspace_id LowCardinality(String),
  type LowCardinality(String),
  platform LowCardinality(String),
  account_id String,
  post_id String,
  campaign_id String,
  media_type LowCardinality(String),
  text String CODEC(ZSTD(3)),
  published_at Nullable(DateTime64(3, 'UTC')),
  updated_at DateTime64(3, 'UTC'),          -- the event's timestamp
  is_deleted UInt8,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
  properties String CODEC(ZSTD(3))
) ENGINE = {{engine:ReplacingMergeTree(updated_at)}}
PARTITION BY toYYYYMM(updated_at)
ORDER BY (workspace_id, platform, post_id, event_id)
SETTINGS non_replicated_deduplication_window = 10000;

-- Lifetime totals per post as the platform reports them at `timestamp`; activity-date KPIs take
-- the difference between consecutive snapshots. UInt64 counters: platforms never report negatives.
CREATE TABLE IF NOT EXISTS social_post_metrics {{on_cluster}} (
  event_id String,
  workspace_id LowCardinality(String),
  platform LowCardinality(String),
  account_id String,
  post_id String,
  timestamp DateTime64(3, 'UTC'),
  impressions UInt64,
  reach UInt64,
  likes UInt64,
  comments UInt64,
  shares UInt64,
  saves UInt64,
  clicks UInt64,
  video_views UInt64,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
  properties String CODEC(ZSTD(3))
) ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (workspace_id, toStartOfHour(timestamp), platform, post_id, event_id)
SETTINGS non_replicated_deduplication_window = 10000;

-- Comments carry personal data (text, author): GDPR erasure deletes by author_id.
-- sentiment is filled by the enrichment step; NULL until then.
CREATE TABLE IF NOT EXISTS social_comments {{on_cluster}} (
  event_id String,
  workspace_id LowCardinality(String),
  platform LowCardinality(String),
  account_id String,
  post_id String,
  comment_id String,
  timestamp DateTime64(3, 'UTC'),
  text String CODEC(ZSTD(3)),
  author_id String,
  author_handle String,
  language LowCardinality(String),
  sentiment Nullable(Float32),
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
  properties String CODEC(ZSTD(3))
) ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (workspace_id, toStartOfHour(timestamp), platform, event_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS social_followers {{on_cluster}} (
  event_id String,
  workspace_id LowCardinality(String),
  platform LowCardinality(String),
  account_id String,
  timestamp DateTime64(3, 'UTC'),
  followers UInt64,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
  properties String CODEC(ZSTD(3))
) ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (workspace_id, platform, account_id, timestamp, event_id)
SETTINGS non_replicated_deduplication_window = 10000;

-- Every CRM change (contact, lead, company, deal × created/updated/deleted) as a row: the history
-- is what conversion and velocity KPIs need; the current state is argMax(…, timestamp) per entity.
-- Decimal(18, 2): money is never a float.
CREATE TABLE IF NOT EXISTS crm_entity_events {{on_cluster}} (
  event_id String,
  workspace_id LowCardinality(String),
  source LowCardinality(String),            -- salesforce, hubspot, pipedrive
  type LowCardinality(String),
  entity LowCardinality(String),            -- contact, lead, company, deal
  action LowCardinality(String),            -- created, updated, deleted
  entity_id String,
  timestamp DateTime64(3, 'UTC'),
  status LowCardinality(String),
  email String,
  name String,
  company_id String,
  owner_id String,
  source_campaign_id String,
  amount Nullable(Decimal(18, 2)),
  currency LowCardinality(String),
  stage LowCardinality(String),
  pipeline LowCardinality(String),
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
  attributes String CODEC(ZSTD(3)),         -- every attribute as sent, known ones included
  properties String CODEC(ZSTD(3))
) ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (workspace_id, entity, toStartOfHour(timestamp), entity_id, event_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS crm_deal_stage_changes {{on_cluster}} (
  event_id String,
  workspace_id LowCardinality(String),
  source LowCardinality(String),
  deal_id String,
  timestamp DateTime64(3, 'UTC'),
  stage LowCardinality(String),
  previous_stage LowCardinality(String),
  pipeline LowCardinality(String),
  amount Decimal(18, 2),
  currency LowCardinality(String),
  owner_id String,
  source_campaign_id String,
  is_won UInt8,
  is_closed UInt8,
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
  properties String CODEC(ZSTD(3))
) ENGINE = {{engine:ReplacingMergeTree(ingested_at)}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (workspace_id, toStartOfHour(timestamp), deal_id, event_id)
SETTINGS non_replicated_deduplication_window = 10000;
