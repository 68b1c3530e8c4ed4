import { PulseError } from '@pulse/core';
import { z } from 'zod';
import type { Warehouse } from '../create-warehouse.ts';
import { translateWarehouseError } from '../translate-error.ts';

/**
 * A data subject as a privacy request names them: by a user id, an e-mail address, or both.
 * "User id" is the person's id in any connected system — the product's `userId`, a social
 * platform's comment author id, or a CRM contact/lead id — because the person asking usually
 * knows only one of them and the request must reach every table.
 */
export const subjectInput = z
  .object({
    userId: z.string().trim().min(1).max(200).optional(),
    email: z
      .string()
      .trim()
      .max(320)
      .email('expected an e-mail address such as ada@example.com')
      .transform((e) => e.toLowerCase())
      .optional(),
  })
  .strict()
  .refine((s) => s.userId !== undefined || s.email !== undefined, {
    message: 'name the data subject by userId or email',
  });
export type Subject = z.output<typeof subjectInput>;

/**
 * Every identifier that belongs to the subject in one workspace, found by following the links the
 * data itself holds: identify traits link an e-mail to user ids, events carrying both a user id
 * and an anonymous id (and alias calls) link the pre-login anonymous ids, and CRM contacts or
 * leads link an e-mail to their record ids. One level of links is followed, which is what the
 * event contract can express; anything further would start matching other people.
 */
export interface SubjectIdentities {
  userIds: string[];
  anonymousIds: string[];
  /** Lower-case. */
  emails: string[];
  crmEntityIds: string[];
}

export function parseSubject(input: unknown): Subject {
  const parsed = subjectInput.safeParse(input);
  if (!parsed.success)
    throw new PulseError(
      'PRIVACY_SUBJECT_INVALID',
      `the data subject is not valid: ${z.prettifyError(parsed.error)}`,
      {
        hint: 'Send {"userId": "…"} or {"email": "…"} (or both).',
      },
    );
  return parsed.data;
}

export async function resolveIdentities(
  warehouse: Warehouse,
  workspaceId: string,
  subject: Subject,
): Promise<SubjectIdentities> {
  const ws = workspaceId;
  const userIds = new Set(subject.userId ? [subject.userId] : []);
  const emails = new Set(subject.email ? [subject.email] : []);

  // Identify calls tie an e-mail to user ids (only identify traits: a track call's properties.email
  // is often someone else's, an invitee's for instance).
  for (const r of await select<{ user_id: string; email: string }>(
    warehouse,
    `SELECT DISTINCT user_id, lower(JSONExtractString(properties, 'email')) AS email
     FROM product_events
     WHERE workspace_id = {ws:String} AND type = 'identify'
       AND (has({userIds:Array(String)}, user_id) OR has({emails:Array(String)}, lower(JSONExtractString(properties, 'email'))))`,
    { ws, userIds: [...userIds], emails: [...emails] },
  )) {
    if (r.user_id) userIds.add(r.user_id);
    if (r.email) emails.add(r.email);
  }

  const anonymous = await select<{ id: string }>(
    warehouse,
    `SELECT DISTINCT anonymous_id AS id FROM product_events
     WHERE workspace_id = {ws:String} AND has({userIds:Array(String)}, user_id) AND anonymous_id != ''
     UNION DISTINCT
     SELECT DISTINCT previous_id AS id FROM product_events
     WHERE workspace_id = {ws:String} AND type = 'alias' AND has({userIds:Array(String)}, user_id) AND previous_id != ''`,
    { ws, userIds: [...userIds] },
  );

  const crm = await select<{ entity_id: string; email: string }>(
    warehouse,
    `SELECT DISTINCT entity_id, lower(email) AS email FROM crm_entity_events
     WHERE workspace_id = {ws:String} AND entity IN ('contact', 'lead')
       AND (has({emails:Array(String)}, lower(email)) OR has({userIds:Array(String)}, entity_id))`,
    { ws, userIds: [...userIds], emails: [...emails] },
  );
  for (const r of crm) if (r.email) emails.add(r.email);

  return {
    userIds: [...userIds].sort(),
    anonymousIds: anonymous.map((r) => r.id).sort(),
    emails: [...emails].sort(),
    crmEntityIds: [...new Set(crm.map((r) => r.entity_id))].sort(),
  };
}

async function select<T>(warehouse: Warehouse, query: string, params: Record<string, unknown>): Promise<T[]> {
  try {
    const result = await warehouse.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return await result.json<T>();
  } catch (err) {
    throw translateWarehouseError(
      err,
      'PRIVACY_QUERY_FAILED',
      'could not look up the data subject in the warehouse',
    );
  }
}
