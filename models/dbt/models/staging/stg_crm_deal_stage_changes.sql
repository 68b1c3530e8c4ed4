-- One row per deal stage transition.
select
    event_id,
    workspace_id,
    source as crm_source,
    deal_id,
    timestamp as changed_at,
    toDate(timestamp) as change_date,
    stage,
    nullIf(previous_stage, '') as previous_stage,
    pipeline,
    amount,
    currency,
    nullIf(owner_id, '') as owner_id,
    nullIf(source_campaign_id, '') as source_campaign_id,
    is_won = 1 as is_won,
    is_closed = 1 as is_closed,
    is_closed = 1 and is_won = 0 as is_lost,
    ingested_at
from {{ source('pulse_raw', 'crm_deal_stage_changes') }} final
