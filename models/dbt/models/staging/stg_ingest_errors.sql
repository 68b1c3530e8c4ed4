-- One row per event the ingester refused. Plain MergeTree with a 30-day TTL: no FINAL needed.
select
    nullIf(event_id, '') as event_id,
    nullIf(workspace_id, '') as workspace_id,
    nullIf(family, '') as family,
    step,
    reason,
    detail,
    payload,
    topic,
    partition as bus_partition,
    offset as bus_offset,
    error_at,
    toDate(error_at) as error_date
from {{ source('pulse_raw', 'ingest_errors') }}
