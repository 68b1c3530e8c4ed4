import type { SubjectIdentities } from './subject.ts';

/**
 * Where a data subject's rows live, as SQL predicates over the identifiers of
 * `resolveIdentities`. Identifiers reach SQL only as the array parameters below.
 *
 * `timeColumn` is the column the table is partitioned by; `rollups` are the aggregate tables its
 * materialized views feed (see rebuild-rollups.ts), which hold per-person distinct-count states and
 * are rebuilt for the days the erasure touched.
 */
export interface SubjectTable {
  table: 'product_events' | 'social_comments' | 'crm_entity_events' | 'ingest_errors';
  timeColumn: string;
  predicate: string;
  rollups: readonly string[];
}

export const subjectTables: readonly SubjectTable[] = [
  {
    table: 'product_events',
    timeColumn: 'timestamp',
    predicate: `(has({userIds:Array(String)}, user_id)
      OR has({anonymousIds:Array(String)}, anonymous_id)
      OR (type = 'alias' AND has({anonymousIds:Array(String)}, previous_id))
      OR (type = 'identify' AND has({emails:Array(String)}, lower(JSONExtractString(properties, 'email')))))`,
    rollups: [
      'product_activity_minute',
      'product_activity_hour',
      'product_activity_day',
      'product_actors_day',
    ],
  },
  {
    table: 'social_comments',
    timeColumn: 'timestamp',
    predicate: 'has({userIds:Array(String)}, author_id)',
    rollups: [],
  },
  {
    table: 'crm_entity_events',
    timeColumn: 'timestamp',
    predicate: `((entity IN ('contact', 'lead') AND has({crmEntityIds:Array(String)}, entity_id))
      OR has({emails:Array(String)}, lower(email)))`,
    rollups: ['crm_activity_hour', 'crm_activity_day'],
  },
  {
    // Refused events keep their payload as received, which may be any of the above, or not even
    // valid JSON; an e-mail address is distinctive enough to match anywhere in the text.
    table: 'ingest_errors',
    timeColumn: 'error_at',
    predicate: `(has({userIds:Array(String)}, JSONExtractString(payload, 'userId'))
      OR has({anonymousIds:Array(String)}, JSONExtractString(payload, 'anonymousId'))
      OR has({userIds:Array(String)}, JSONExtractString(payload, 'author', 'id'))
      OR (JSONExtractString(payload, 'family') = 'crm' AND has({crmEntityIds:Array(String)}, JSONExtractString(payload, 'entityId')))
      OR arrayExists(e -> positionCaseInsensitive(payload, e) > 0, {emails:Array(String)}))`,
    rollups: [],
  },
];

/**
 * Tables that hold no data-subject rows, and why: the verification report lists them too, so an
 * auditor sees every table was considered.
 */
export const tablesWithoutSubjects: Readonly<Record<string, string>> = {
  social_posts: "the workspace's own posts on its own accounts",
  social_post_metrics: 'per-post totals reported by the platform',
  social_followers: 'per-account follower counts',
  crm_deal_stage_changes: 'deal history; owner_id is a member of the workspace, not a data subject',
  social_post_metrics_hour: 'per-post totals',
  social_post_metrics_day: 'per-post totals',
  social_post_engagement_day: 'per-post totals',
  social_followers_day: 'per-account follower counts',
  crm_deal_stages_hour: 'deal counts and amounts',
  crm_deal_stages_day: 'deal counts and amounts',
  social_post_changes_hour: 'changes of post totals per hour and account',
  crm_deal_changes_hour: 'changes of open deal amounts per hour, pipeline and owner',
  snapshot_rows_day: 'row counts per day',
};

export function subjectParams(workspaceId: string, ids: SubjectIdentities): Record<string, unknown> {
  return {
    ws: workspaceId,
    userIds: ids.userIds,
    anonymousIds: ids.anonymousIds,
    emails: ids.emails,
    crmEntityIds: ids.crmEntityIds,
  };
}

export const isEmptyIdentity = (ids: SubjectIdentities): boolean =>
  ids.userIds.length + ids.anonymousIds.length + ids.emails.length + ids.crmEntityIds.length === 0;
