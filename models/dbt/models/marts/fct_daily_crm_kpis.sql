{{ config(order_by=['workspace_id', 'day'], partition_by='toYYYYMM(day)') }}

-- Daily CRM KPIs per workspace (UTC days).
-- new_leads: leads created that day. deals_won / deals_lost: deals whose last closing stage change
-- of the day was won / lost; won_revenue: the amounts of those won deals. Amounts are summed as
-- the CRM sent them, with no currency conversion: a workspace is expected to report in one
-- currency (see `currencies` for the ones that occurred).
with leads as (
    select
        change_date as day,
        workspace_id,
        uniqExact(entity_id) as new_leads
    from {{ ref('stg_crm_entity_events') }}
    where entity = 'lead' and action = 'created'
    group by day, workspace_id
),

deal_closings as (
    -- One row per deal and day it was closed; the last closing change of the day wins.
    select
        change_date as day,
        workspace_id,
        deal_id,
        argMax(is_won, changed_at) as is_won,
        argMax(is_lost, changed_at) as is_lost,
        argMax(amount, changed_at) as amount,
        argMax(currency, changed_at) as currency
    from {{ ref('stg_crm_deal_stage_changes') }}
    where is_closed
    group by day, workspace_id, deal_id
),

deals as (
    select
        day,
        workspace_id,
        countIf(is_won) as deals_won,
        countIf(is_lost) as deals_lost,
        sumIf(amount, is_won) as won_revenue,
        groupUniqArrayIf(currency, is_won) as currencies
    from deal_closings
    group by day, workspace_id
)

select
    day,
    workspace_id,
    sum(new_leads) as new_leads,
    sum(won_revenue) as won_revenue,
    sum(deals_won) as deals_won,
    sum(deals_lost) as deals_lost,
    arraySort(groupUniqArrayArray(currencies)) as currencies
from (
    select
        day, workspace_id, new_leads,
        toDecimal128(0, 2) as won_revenue,
        toUInt64(0) as deals_won,
        toUInt64(0) as deals_lost,
        cast([] as Array(String)) as currencies
    from leads
    union all
    select
        day, workspace_id,
        toUInt64(0) as new_leads,
        toDecimal128(won_revenue, 2) as won_revenue,
        deals_won,
        deals_lost,
        cast(currencies as Array(String)) as currencies
    from deals
)
group by day, workspace_id
