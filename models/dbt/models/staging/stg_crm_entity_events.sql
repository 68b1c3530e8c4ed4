-- One row per CRM entity change (contact, lead, company, deal × created, updated, deleted).
select
    event_id,
    workspace_id,
    source as crm_source,
    type as event_type,
    entity,
    action,
    entity_id,
    timestamp as changed_at,
    toDate(timestamp) as change_date,
    nullIf(status, '') as status,
    nullIf(email, '') as email,
    nullIf(name, '') as name,
    nullIf(company_id, '') as company_id,
    nullIf(owner_id, '') as owner_id,
    nullIf(source_campaign_id, '') as source_campaign_id,
    amount,
    nullIf(currency, '') as currency,
    nullIf(stage, '') as stage,
    nullIf(pipeline, '') as pipeline,
    ingested_at,
    attributes
from {{ source('pulse_raw', 'crm_entity_events') }} final
