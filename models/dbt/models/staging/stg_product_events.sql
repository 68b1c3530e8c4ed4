-- One row per product event (track, identify, page, screen, group, alias), deduplicated.
-- FINAL collapses re-delivered events that ReplacingMergeTree has not merged yet.
select
    event_id,
    workspace_id,
    type as event_type,
    event as event_name,
    category,
    user_id,
    anonymous_id,
    actor_id,
    group_id,
    previous_id,
    nullIf(session_id, '') as session_id,
    timestamp as event_at,
    toDate(timestamp) as event_date,
    received_at,
    ingested_at,
    properties,
    context,
    extra
from {{ source('pulse_raw', 'product_events') }} final
