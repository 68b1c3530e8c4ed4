-- 0002: events the ingester could not decode or validate, with the reason, so the UI can show
-- them next to the dead-letter topic. Kept 30 days: long enough to fix a sender and replay.
-- event_id may be empty (an undecodable message has none); the bus position identifies it.
CREATE TABLE IF NOT EXISTS ingest_errors {{on_cluster}} (
  event_id String,
  workspace_id LowCardinality(String),
  family LowCardinality(String),
  step LowCardinality(String),              -- the pipeline step that refused it: decode, validate, …
  reason LowCardinality(String),            -- a stable code: invalid_json, contract_violation, …
  detail String,
  payload String CODEC(ZSTD(3)),
  topic LowCardinality(String),
  partition UInt32,
  offset String,
  error_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = {{engine:MergeTree()}}
PARTITION BY toYYYYMMDD(error_at)
ORDER BY (workspace_id, error_at)
TTL toDateTime(error_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;
