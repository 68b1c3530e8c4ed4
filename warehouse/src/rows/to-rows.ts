import type { CrmEvent, ProductEvent, PulseEvent, SocialEvent } from '@pulse/core';

export type TableName =
  | 'product_events'
  | 'social_posts'
  | 'social_post_metrics'
  | 'social_comments'
  | 'social_followers'
  | 'crm_entity_events'
  | 'crm_deal_stage_changes';
export type Row = Record<string, string | number | null>;

/**
 * The "to row" step: contract events → rows of the raw tables. Known fields become typed columns;
 * every other field goes to a JSON column (properties / context / extra / attributes), so nothing
 * a sender sent is lost.
 */
export function toRows(events: readonly PulseEvent[]): Map<TableName, Row[]> {
  const tables = new Map<TableName, Row[]>();
  for (const event of events) {
    const [table, row] = toRow(event);
    const rows = tables.get(table);
    if (rows) rows.push(row);
    else tables.set(table, [row]);
  }
  return tables;
}

export function toRow(event: PulseEvent): [TableName, Row] {
  switch (event.family) {
    case 'product':
      return ['product_events', productRow(event)];
    case 'social':
      return socialRow(event);
    case 'crm':
      return crmRow(event);
  }
}

const envelopeKeys = ['eventId', 'workspaceId', 'family', 'type', 'schemaVersion', 'timestamp', 'receivedAt'];

/** Fields not in `known`, as a JSON object text ('' when none): the lossless remainder. */
function rest(event: object, known: readonly string[], merge?: unknown): string {
  let out: Record<string, unknown> | undefined =
    typeof merge === 'object' && merge !== null ? { ...(merge as object) } : undefined;
  for (const k in event) {
    if (!Object.hasOwn(event, k) || envelopeKeys.includes(k) || known.includes(k)) continue;
    out ??= {};
    out[k] = (event as Record<string, unknown>)[k];
  }
  return out && Object.keys(out).length > 0 ? JSON.stringify(out) : '';
}

const json = (value: unknown) => (value === undefined || value === null ? '' : JSON.stringify(value));
const base = (e: PulseEvent) => ({ event_id: e.eventId, workspace_id: e.workspaceId });

function productRow(e: ProductEvent): Row {
  const p = e as Record<string, unknown>;
  const props = (p.properties ?? p.traits) as Record<string, unknown> | undefined;
  return {
    ...base(e),
    type: e.type,
    event: String(p.event ?? p.name ?? ''),
    category: String(p.category ?? ''),
    user_id: String(p.userId ?? ''),
    anonymous_id: String(p.anonymousId ?? ''),
    group_id: String(p.groupId ?? ''),
    previous_id: String(p.previousId ?? ''),
    session_id: String(
      props?.sessionId ?? (p.context as Record<string, unknown> | undefined)?.sessionId ?? '',
    ),
    timestamp: e.timestamp,
    received_at: e.receivedAt ?? e.timestamp,
    properties: json(props),
    context: json(p.context),
    extra: rest(e, [
      'event',
      'name',
      'category',
      'userId',
      'anonymousId',
      'groupId',
      'previousId',
      'properties',
      'traits',
      'context',
    ]),
  };
}

function socialRow(e: SocialEvent): [TableName, Row] {
  const common = { ...base(e), platform: e.platform, account_id: e.accountId };
  switch (e.type) {
    case 'post_published':
    case 'post_updated':
    case 'post_deleted': {
      const p = e as Record<string, unknown>;
      return [
        'social_posts',
        {
          ...common,
          type: e.type,
          post_id: e.postId,
          campaign_id: String(p.campaignId ?? ''),
          media_type: String(p.mediaType ?? ''),
          text: String(p.text ?? ''),
          published_at:
            (p.publishedAt as string | undefined) ?? (e.type === 'post_published' ? e.timestamp : null),
          updated_at: e.timestamp,
          is_deleted: e.type === 'post_deleted' ? 1 : 0,
          properties: rest(
            e,
            [
              'platform',
              'accountId',
              'postId',
              'campaignId',
              'mediaType',
              'text',
              'publishedAt',
              'properties',
            ],
            e.properties,
          ),
        },
      ];
    }
    case 'post_metrics_snapshot': {
      const m = e.metrics;
      return [
        'social_post_metrics',
        {
          ...common,
          post_id: e.postId,
          timestamp: e.timestamp,
          impressions: m.impressions,
          reach: m.reach ?? 0,
          likes: m.likes,
          comments: m.comments ?? 0,
          shares: m.shares ?? 0,
          saves: m.saves ?? 0,
          clicks: m.clicks ?? 0,
          video_views: m.videoViews ?? 0,
          properties: rest(e, ['platform', 'accountId', 'postId', 'metrics', 'properties'], {
            ...e.properties,
            ...extraMetrics(m),
          }),
        },
      ];
    }
    case 'comment_received':
      return [
        'social_comments',
        {
          ...common,
          post_id: e.postId,
          comment_id: e.commentId,
          timestamp: e.timestamp,
          text: e.text,
          author_id: e.author.id,
          author_handle: e.author.handle ?? '',
          language: e.language ?? '',
          sentiment: null,
          properties: rest(
            e,
            ['platform', 'accountId', 'postId', 'commentId', 'text', 'author', 'language', 'properties'],
            e.properties,
          ),
        },
      ];
    case 'account_followers_snapshot':
      return [
        'social_followers',
        {
          ...common,
          timestamp: e.timestamp,
          followers: e.followers,
          properties: rest(e, ['platform', 'accountId', 'followers', 'properties'], e.properties),
        },
      ];
  }
}

const knownMetrics = ['impressions', 'reach', 'likes', 'comments', 'shares', 'saves', 'clicks', 'videoViews'];
function extraMetrics(metrics: object): Record<string, unknown> {
  const extra = Object.entries(metrics).filter(([k]) => !knownMetrics.includes(k));
  return extra.length > 0 ? { metrics: Object.fromEntries(extra) } : {};
}

function crmRow(e: CrmEvent): [TableName, Row] {
  if (e.type === 'deal_stage_changed') {
    return [
      'crm_deal_stage_changes',
      {
        ...base(e),
        source: e.source,
        deal_id: e.entityId,
        timestamp: e.timestamp,
        stage: e.stage,
        previous_stage: e.previousStage ?? '',
        pipeline: e.pipeline,
        amount: e.amount,
        currency: e.currency,
        owner_id: e.ownerId ?? '',
        source_campaign_id: e.sourceCampaignId ?? '',
        is_won: e.isWon ? 1 : 0,
        is_closed: e.isClosed ? 1 : 0,
        properties: rest(
          e,
          [
            'source',
            'entityId',
            'stage',
            'previousStage',
            'pipeline',
            'amount',
            'currency',
            'ownerId',
            'sourceCampaignId',
            'isWon',
            'isClosed',
            'properties',
          ],
          e.properties,
        ),
      },
    ];
  }
  const [entity, action] = e.type.split('_') as [string, string];
  const a = (e.attributes ?? {}) as Record<string, unknown>;
  const str = (k: string) => (a[k] === undefined || a[k] === null ? '' : String(a[k]));
  return [
    'crm_entity_events',
    {
      ...base(e),
      source: e.source,
      type: e.type,
      entity,
      action,
      entity_id: e.entityId,
      timestamp: e.timestamp,
      status: str('status'),
      email: str('email'),
      name: str('name'),
      company_id: str('companyId'),
      owner_id: str('ownerId'),
      source_campaign_id: str('sourceCampaignId'),
      amount: typeof a.amount === 'number' ? a.amount : null,
      currency: str('currency'),
      stage: str('stage'),
      pipeline: str('pipeline'),
      attributes: json(e.attributes),
      properties: rest(e, ['source', 'entityId', 'entity', 'attributes', 'properties'], e.properties),
    },
  ];
}
