-- One row per follower-count snapshot of an account.
select
    event_id,
    workspace_id,
    platform,
    account_id,
    timestamp as snapshot_at,
    toDate(timestamp) as snapshot_date,
    followers,
    ingested_at
from {{ source('pulse_raw', 'social_followers') }} final
