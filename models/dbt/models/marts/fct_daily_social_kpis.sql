{{ config(order_by=['workspace_id', 'platform', 'day'], partition_by='toYYYYMM(day)') }}

-- Daily social KPIs per workspace and platform (UTC days).
-- impressions, reach, engagements: the activity of the day, i.e. the sum over posts of the
-- increases between consecutive lifetime snapshots (stg_social_post_metrics.*_delta), dated by
-- the snapshot that observed them.
-- followers: the audience at the end of the day, the sum over the platform's accounts of each
-- account's last follower snapshot of the day; NULL on days without any follower snapshot.
with post_activity as (
    select
        snapshot_date as day,
        workspace_id,
        platform,
        sum(impressions_delta) as impressions,
        sum(reach_delta) as reach,
        sum(engagements_delta) as engagements,
        cast(null as Nullable(UInt64)) as followers
    from {{ ref('stg_social_post_metrics') }}
    group by day, workspace_id, platform
),

account_followers as (
    select
        snapshot_date as day,
        workspace_id,
        platform,
        account_id,
        argMax(followers, snapshot_at) as followers
    from {{ ref('stg_social_followers') }}
    group by day, workspace_id, platform, account_id
),

platform_followers as (
    select
        day,
        workspace_id,
        platform,
        toUInt64(0) as impressions,
        toUInt64(0) as reach,
        toUInt64(0) as engagements,
        toNullable(sum(followers)) as followers
    from account_followers
    group by day, workspace_id, platform
)

select
    day,
    workspace_id,
    platform,
    sum(impressions) as impressions,
    sum(reach) as reach,
    sum(engagements) as engagements,
    max(followers) as followers
from (
    select day, workspace_id, platform, impressions, reach, engagements, followers from post_activity
    union all
    select day, workspace_id, platform, impressions, reach, engagements, followers from platform_followers
)
group by day, workspace_id, platform
