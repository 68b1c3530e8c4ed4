{{ config(order_by=['workspace_id', 'day'], partition_by='toYYYYMM(day)') }}

-- Daily product KPIs per workspace (UTC days).
-- dau: distinct people active that day (actor_id: user id when known, else anonymous id);
-- sessions: distinct session ids sent by the SDKs; events: every event, all call types.
select
    event_date as day,
    workspace_id,
    uniqExactIf(actor_id, actor_id != '') as dau,
    uniqExactIf(session_id, session_id is not null) as sessions,
    count() as events
from {{ ref('stg_product_events') }}
group by day, workspace_id
