import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvents, insertRows } from '../rows/insert-rows.ts';
import { createScratchWarehouse, type ScratchWarehouse } from '../testing/scratch-warehouse.ts';
import { eraseSubject } from './erase-subject.ts';
import { exportSubject } from './export-subject.ts';
import { rollupRebuilds } from './rebuild-rollups.ts';
import { parseSubject } from './subject.ts';
import {
  erin,
  erinEvents,
  otherEvents,
  otherWorkspace,
  privacyDays,
  privacyWorkspace,
} from './subject-fixtures.ts';
import { subjectTables } from './subject-tables.ts';
import { verifyErasure } from './verify-erasure.ts';

let scratch: ScratchWarehouse;
const ws = privacyWorkspace;

const rows = async <T>(query: string, params: Record<string, unknown> = {}) =>
  (await scratch.warehouse.client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();

/** Per-day totals of a rollup, as dashboards read them. */
const rollupTotals = async (rollup: string) => {
  const measures = Object.entries(rollupRebuilds[rollup]!.checks);
  return rows<Record<string, string>>(
    `SELECT toString(toDate(bucket)) AS day, ${measures.map(([m, [expr]]) => `toString(${expr}) AS ${m}`).join(', ')}
     FROM ${rollup} WHERE workspace_id = {ws:String} GROUP BY day ORDER BY day`,
    { ws },
  );
};

/** Rows of everyone but the subject, per table. */
const othersQuery = `SELECT * FROM (
  SELECT 'product' AS t, toString(count()) AS n FROM product_events WHERE user_id IN ('u_kim', 'u_lou') OR workspace_id = {other:String}
  UNION ALL SELECT 'crm', toString(count()) FROM crm_entity_events WHERE entity_id = 'hs_kim'
  UNION ALL SELECT 'comments', toString(count()) FROM social_comments WHERE author_id = 'x_kim'
  UNION ALL SELECT 'errors', toString(count()) FROM ingest_errors WHERE event_id = 'e-kim') ORDER BY t`;

beforeAll(async () => {
  scratch = await createScratchWarehouse();
  await insertEvents(scratch.warehouse, [...erinEvents, ...otherEvents], { dedupToken: 'privacy-fixture' });
  await insertRows(
    scratch.warehouse,
    'ingest_errors',
    [
      {
        event_id: '',
        workspace_id: ws,
        family: 'product',
        step: 'decode',
        reason: 'invalid_json',
        detail: 'unexpected end of input',
        payload: `{"type":"identify","traits":{"email":"${erin.email.toUpperCase()}"`,
        topic: 'pulse.product',
        partition: 0,
        offset: '17',
      },
      {
        event_id: 'e-kim',
        workspace_id: ws,
        family: 'product',
        step: 'validate',
        reason: 'contract_violation',
        detail: 'timestamp is required',
        payload: '{"type":"track","userId":"u_kim"}',
        topic: 'pulse.product',
        partition: 0,
        offset: '18',
      },
    ],
    { dedupToken: 'privacy-errors' },
  );
});
afterAll(async () => {
  await scratch?.cleanup();
});

describe('access export of a data subject', () => {
  it('returns every row of the subject from every subject table as JSON lines, and nobody else’s', async () => {
    const exported = await exportSubject(scratch.warehouse, ws, parseSubject({ email: 'ERIN@example.com' }));
    expect(exported.identities.userIds).toEqual([erin.userId]);
    expect(exported.identities.anonymousIds).toEqual([erin.anonymousId]);
    expect(exported.identities.crmEntityIds).toEqual(['hs_erin']);
    expect(exported.rows).toEqual({
      product_events: 4,
      social_comments: 0,
      crm_entity_events: 2,
      ingest_errors: 1,
    });
    const lines = exported.jsonLines
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { table: string; row: Record<string, unknown> });
    expect(lines).toHaveLength(7);
    expect(lines.map((l) => l.table)).toEqual([
      ...Array(4).fill('product_events'),
      'crm_entity_events',
      'crm_entity_events',
      'ingest_errors',
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/u_kim|u_lou|hs_kim/);
  });
});

describe('erasure of a data subject', () => {
  it('removes the subject from raw tables, rollups and refused events; others and totals stay', async () => {
    const totalsBefore = Object.fromEntries(
      await Promise.all(Object.keys(rollupRebuilds).map(async (r) => [r, await rollupTotals(r)] as const)),
    );
    const othersBefore = await rows<{ t: string; n: string }>(othersQuery, { other: otherWorkspace });

    const result = await eraseSubject(scratch.warehouse, ws, parseSubject({ email: erin.email }));
    expect(result.removed).toEqual({
      product_events: 4,
      social_comments: 0,
      crm_entity_events: 2,
      ingest_errors: 1,
    });
    expect(result.rebuilt.product_activity_minute).toEqual(privacyDays);
    expect(result.rebuilt.crm_activity_day).toEqual(privacyDays);

    // No row of Erin's anywhere, by her every identifier.
    const [left] = await rows<Record<string, string>>(
      `SELECT
         (SELECT toString(count()) FROM product_events WHERE workspace_id = {ws:String}
            AND (user_id = {u:String} OR anonymous_id = {a:String} OR positionCaseInsensitive(properties, {e:String}) > 0)) AS product,
         (SELECT toString(count()) FROM crm_entity_events WHERE workspace_id = {ws:String}
            AND (entity_id = 'hs_erin' OR lower(email) = {e:String})) AS crm,
         (SELECT toString(count()) FROM ingest_errors WHERE positionCaseInsensitive(payload, {e:String}) > 0) AS errors`,
      { ws, u: erin.userId, a: erin.anonymousId, e: erin.email },
    );
    expect(left).toEqual({ product: '0', crm: '0', errors: '0' });

    // Everyone else's rows are all still there, including the other workspace's "u_erin".
    expect(await rows(othersQuery, { other: otherWorkspace })).toEqual(othersBefore);
    expect(othersBefore.map((r) => Number(r.n))).toEqual([1, 2, 1, 5]);

    // Rollups: Erin's events, actor and sessions are gone from every bucket; Kim's and Lou's remain.
    const totalsAfter = Object.fromEntries(
      await Promise.all(Object.keys(rollupRebuilds).map(async (r) => [r, await rollupTotals(r)] as const)),
    );
    for (const rollup of ['product_activity_minute', 'product_activity_hour', 'product_activity_day']) {
      expect(totalsBefore[rollup]).toEqual([
        { day: privacyDays[0], events: '6', actors: '4', sessions: '4' },
        { day: privacyDays[1], events: '2', actors: '2', sessions: '2' },
      ]);
      expect(totalsAfter[rollup]).toEqual([
        { day: privacyDays[0], events: '3', actors: '2', sessions: '2' },
        { day: privacyDays[1], events: '1', actors: '1', sessions: '1' },
      ]);
    }
    // The daily-actors rollup (DAU without dimensions) loses Erin on both days too.
    expect(totalsBefore.product_actors_day).toEqual([
      { day: privacyDays[0], actors: '4' },
      { day: privacyDays[1], actors: '2' },
    ]);
    expect(totalsAfter.product_actors_day).toEqual([
      { day: privacyDays[0], actors: '2' },
      { day: privacyDays[1], actors: '1' },
    ]);
    expect(result.rebuilt.product_actors_day).toEqual(privacyDays);
    for (const rollup of ['crm_activity_hour', 'crm_activity_day']) {
      expect(totalsAfter[rollup]).toEqual([
        { day: privacyDays[0], changes: '1', entities: '1' },
        { day: privacyDays[1], changes: '1', entities: '1' },
      ]);
    }
    // The minute rollup still has Kim's and Lou's buckets, exactly as the view wrote them.
    expect(
      await rows(
        `SELECT toString(bucket) AS bucket, event, toString(sum(events)) AS events, toString(uniqExactMerge(actors)) AS actors
         FROM product_activity_minute WHERE workspace_id = {ws:String} GROUP BY bucket, event ORDER BY bucket, event`,
        { ws },
      ),
    ).toEqual([
      { bucket: '2026-03-02 09:00:00', event: 'Pricing Viewed', events: '1', actors: '1' },
      { bucket: '2026-03-02 09:01:00', event: 'Report Viewed', events: '2', actors: '2' },
      { bucket: '2026-03-03 14:00:00', event: 'Report Viewed', events: '1', actors: '1' },
    ]);
    // The other workspace's rollup was not touched.
    const [other] = await rows<{ events: string }>(
      'SELECT toString(sum(events)) AS events FROM product_activity_day WHERE workspace_id = {other:String}',
      { other: otherWorkspace },
    );
    expect(other!.events).toBe('1');

    const verification = await verifyErasure(
      scratch.warehouse,
      ws,
      parseSubject({ email: erin.email }),
      result.rebuilt,
    );
    expect(verification.ok).toBe(true);
    expect(Object.keys(verification.remaining).sort()).toEqual(subjectTables.map((t) => t.table).sort());
    expect(Object.values(verification.remaining)).toEqual([0, 0, 0, 0]);
  });

  it('erases a social comment author by user id and is idempotent', async () => {
    const first = await eraseSubject(scratch.warehouse, ws, parseSubject({ userId: erin.author }));
    expect(first.removed.social_comments).toBe(1);
    const again = await eraseSubject(scratch.warehouse, ws, parseSubject({ userId: erin.author }));
    expect(Object.values(again.removed)).toEqual([0, 0, 0, 0]);
    const [kim] = await rows<{ n: string }>(
      "SELECT toString(count()) AS n FROM social_comments WHERE author_id = 'x_kim'",
    );
    expect(kim!.n).toBe('1');
  });

  it('verification finds a subject whose events arrive again after the erasure', async () => {
    await insertEvents(scratch.warehouse, [{ ...erinEvents[2]!, eventId: 'replayed-1' }], {
      dedupToken: 'replay',
    });
    const verification = await verifyErasure(scratch.warehouse, ws, parseSubject({ userId: erin.userId }));
    expect(verification.ok).toBe(false);
    expect(verification.remaining.product_events).toBe(1);
  });

  it('refuses a request that names nobody, with a hint', () => {
    expect(() => parseSubject({})).toThrow(/userId or email/);
    expect(() => parseSubject({ email: 'not-an-address' })).toThrow(/e-mail/);
  });
});
