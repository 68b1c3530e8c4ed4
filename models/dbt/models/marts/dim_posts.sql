{{ config(
    order_by=['workspace_id', 'platform', 'post_id'],
    query_settings={'join_use_nulls': 1}
) }}

-- One row per post: its current state from the lifecycle events and its latest lifetime totals.
-- Text, media type and campaign come from the latest event that carried them (post_deleted
-- events carry none), so a deleted post keeps what it said. Posts without any metrics snapshot
-- have NULL metrics (join_use_nulls).
with posts as (
    select
        workspace_id,
        platform,
        post_id,
        argMax(account_id, updated_at) as account_id,
        argMaxIf(post_text, updated_at, event_type != 'post_deleted') as post_text,
        argMax(media_type, updated_at) as media_type,
        argMax(campaign_id, updated_at) as campaign_id,
        min(published_at) as published_at,
        max(updated_at) as last_updated_at,
        argMax(is_deleted, updated_at) as is_deleted
    from {{ ref('stg_social_posts') }}
    group by workspace_id, platform, post_id
),

latest_metrics as (
    select
        workspace_id,
        platform,
        post_id,
        max(snapshot_at) as metrics_at,
        argMax(impressions, snapshot_at) as impressions,
        argMax(reach, snapshot_at) as reach,
        argMax(likes, snapshot_at) as likes,
        argMax(comments, snapshot_at) as comments,
        argMax(shares, snapshot_at) as shares,
        argMax(saves, snapshot_at) as saves,
        argMax(clicks, snapshot_at) as clicks,
        argMax(video_views, snapshot_at) as video_views
    from {{ ref('stg_social_post_metrics') }}
    group by workspace_id, platform, post_id
)

select
    concat(posts.workspace_id, ':', posts.platform, ':', posts.post_id) as post_key,
    posts.workspace_id as workspace_id,
    posts.platform as platform,
    posts.post_id as post_id,
    posts.account_id as account_id,
    posts.post_text as post_text,
    posts.media_type as media_type,
    posts.campaign_id as campaign_id,
    posts.published_at as published_at,
    posts.last_updated_at as last_updated_at,
    posts.is_deleted as is_deleted,
    latest_metrics.metrics_at as metrics_at,
    latest_metrics.impressions as impressions,
    latest_metrics.reach as reach,
    latest_metrics.likes + latest_metrics.comments + latest_metrics.shares
        + latest_metrics.saves + latest_metrics.clicks as engagements,
    latest_metrics.likes as likes,
    latest_metrics.comments as comments,
    latest_metrics.shares as shares,
    latest_metrics.saves as saves,
    latest_metrics.clicks as clicks,
    latest_metrics.video_views as video_views
from posts
left join latest_metrics
    on posts.workspace_id = latest_metrics.workspace_id
    and posts.platform = latest_metrics.platform
    and posts.post_id = latest_metrics.post_id
