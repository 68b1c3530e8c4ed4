import type { Warehouse } from '../create-warehouse.ts';
import { translateWarehouseError } from '../translate-error.ts';
import { alterTable } from './alter-table.ts';
import { rebuildRollupDays } from './rebuild-rollups.ts';
import { resolveIdentities, type Subject, type SubjectIdentities } from './subject.ts';
import { isEmptyIdentity, subjectParams, subjectTables } from './subject-tables.ts';

export interface ErasureResult {
  identities: SubjectIdentities;
  /** Rows removed per raw table. */
  removed: Record<string, number>;
  /** Rollups rebuilt, with the UTC days (YYYY-MM-DD) rebuilt in each. */
  rebuilt: Record<string, string[]>;
}

/**
 * Removes every row of a data subject from one workspace: the raw tables by `ALTER TABLE …
 * DELETE` (a mutation rewrites the parts, so the bytes are gone from disk, unlike a lightweight
 * DELETE that only masks rows until a merge), then the rollups those rows fed, rebuilt for the
 * days they touched (rebuild-rollups.ts says why subtraction cannot work).
 *
 * Idempotent: running it again finds nothing and rebuilds nothing.
 */
export async function eraseSubject(
  warehouse: Warehouse,
  workspaceId: string,
  subject: Subject,
): Promise<ErasureResult> {
  const identities = await resolveIdentities(warehouse, workspaceId, subject);
  const result: ErasureResult = { identities, removed: {}, rebuilt: {} };
  const params = subjectParams(workspaceId, identities);
  for (const t of subjectTables) {
    result.removed[t.table] = 0;
    if (isEmptyIdentity(identities)) continue;
    const days = await affectedDays(warehouse, t.table, t.timeColumn, t.predicate, params);
    const rows = days.reduce((n, d) => n + d.rows, 0);
    if (rows === 0) continue;
    try {
      await alterTable(
        warehouse,
        t.table,
        `DELETE WHERE workspace_id = {ws:String} AND ${t.predicate}`,
        params,
      );
    } catch (err) {
      throw translateWarehouseError(
        err,
        'PRIVACY_ERASURE_FAILED',
        `could not erase the subject's rows from ${t.table}`,
        {
          table: t.table,
        },
      );
    }
    result.removed[t.table] = rows;
    for (const rollup of t.rollups) {
      const dayList = days.map((d) => d.day);
      await rebuildRollupDays(warehouse, rollup, workspaceId, dayList);
      result.rebuilt[rollup] = dayList;
    }
  }
  return result;
}

async function affectedDays(
  warehouse: Warehouse,
  table: string,
  timeColumn: string,
  predicate: string,
  params: Record<string, unknown>,
): Promise<{ day: string; rows: number }[]> {
  try {
    const result = await warehouse.client.query({
      query: `SELECT toString(toDate(${timeColumn})) AS day, count() AS rows FROM ${table}
              WHERE workspace_id = {ws:String} AND ${predicate} GROUP BY day ORDER BY day`,
      query_params: params,
      format: 'JSONEachRow',
    });
    return (await result.json<{ day: string; rows: string | number }>()).map((r) => ({
      day: r.day,
      rows: Number(r.rows),
    }));
  } catch (err) {
    throw translateWarehouseError(
      err,
      'PRIVACY_QUERY_FAILED',
      `could not count the subject's rows in ${table}`,
      {
        table,
      },
    );
  }
}
