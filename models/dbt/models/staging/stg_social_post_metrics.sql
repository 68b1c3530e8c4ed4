-- One row per lifetime-counter snapshot of a post, with the increase since the previous snapshot
-- of the same post (the activity that happened between them). The first snapshot of a post
-- carries its whole total. A counter that goes down (platforms recount, e.g. removing spam) gives
-- a zero delta rather than a negative one.
with snapshots as (
    select
        event_id,
        workspace_id,
        platform,
        account_id,
        post_id,
        timestamp as snapshot_at,
        impressions,
        reach,
        likes,
        comments,
        shares,
        saves,
        clicks,
        video_views,
        ingested_at
    from {{ source('pulse_raw', 'social_post_metrics') }} final
)

select
    event_id,
    workspace_id,
    platform,
    account_id,
    post_id,
    snapshot_at,
    toDate(snapshot_at) as snapshot_date,
    impressions,
    reach,
    likes,
    comments,
    shares,
    saves,
    clicks,
    video_views,
    {%- for metric in ['impressions', 'reach', 'likes', 'comments', 'shares', 'saves', 'clicks', 'video_views'] %}
    toUInt64(greatest(
        toInt64({{ metric }}) - lagInFrame(toInt64({{ metric }}), 1, toInt64(0)) over post_window,
        toInt64(0)
    )) as {{ metric }}_delta,
    {%- endfor %}
    likes_delta + comments_delta + shares_delta + saves_delta + clicks_delta as engagements_delta,
    ingested_at
from snapshots
window post_window as (
    partition by workspace_id, platform, post_id
    order by snapshot_at, event_id
    rows between unbounded preceding and current row
)
