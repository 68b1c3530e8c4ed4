-- One row per post lifecycle event (post_published, post_updated, post_deleted).
-- dim_posts folds these into the current state of each post.
select
    event_id,
    workspace_id,
    type as event_type,
    platform,
    account_id,
    post_id,
    nullIf(campaign_id, '') as campaign_id,
    nullIf(media_type, '') as media_type,
    text as post_text,
    published_at,
    updated_at,
    is_deleted = 1 as is_deleted,
    ingested_at,
    properties
from {{ source('pulse_raw', 'social_posts') }} final
