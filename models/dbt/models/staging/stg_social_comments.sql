-- One row per comment received. text, author_id and author_handle are personal data.
select
    event_id,
    workspace_id,
    platform,
    account_id,
    post_id,
    comment_id,
    timestamp as commented_at,
    toDate(timestamp) as comment_date,
    text as comment_text,
    author_id,
    nullIf(author_handle, '') as author_handle,
    nullIf(language, '') as language,
    sentiment,
    ingested_at
from {{ source('pulse_raw', 'social_comments') }} final
