import type { Warehouse } from '../create-warehouse.ts';
import { translateWarehouseError } from '../translate-error.ts';
import { rollupRebuilds } from './rebuild-rollups.ts';
import { resolveIdentities, type Subject } from './subject.ts';
import { subjectParams, subjectTables, tablesWithoutSubjects } from './subject-tables.ts';

export interface ErasureVerification {
  ok: boolean;
  /** Rows of the subject still found per raw table: all zero when ok. */
  remaining: Record<string, number>;
  /** Rollup days whose totals differ from the raw table (a rebuild missed or was undone). */
  rollupMismatches: { rollup: string; day: string; measure: string; rollupValue: number; rawValue: number }[];
  /** Tables that never hold data-subject rows, with the reason. */
  notApplicable: Readonly<Record<string, string>>;
}

/**
 * The proof that an erasure holds. Raw tables: the subject's identifiers are resolved again from
 * what the warehouse holds now (so an identify call replayed after the erasure is found too) and
 * every subject table is counted — each must be zero. Rollups keep hashed states, not ids, so they
 * cannot be searched for a person; instead each rebuilt day's totals and distinct counts must
 * equal the raw table's, which shows no erased row is still counted there.
 */
export async function verifyErasure(
  warehouse: Warehouse,
  workspaceId: string,
  subject: Subject,
  rebuilt: Readonly<Record<string, readonly string[]>> = {},
): Promise<ErasureVerification> {
  const identities = await resolveIdentities(warehouse, workspaceId, subject);
  const params = subjectParams(workspaceId, identities);
  const remaining: Record<string, number> = {};
  for (const t of subjectTables) {
    const [row] = await select<{ n: string }>(
      warehouse,
      `SELECT count() AS n FROM ${t.table} WHERE workspace_id = {ws:String} AND ${t.predicate}`,
      params,
    );
    remaining[t.table] = Number(row?.n ?? 0);
  }
  const rollupMismatches: ErasureVerification['rollupMismatches'] = [];
  for (const [rollup, days] of Object.entries(rebuilt)) {
    const def = rollupRebuilds[rollup];
    if (!def || days.length === 0) continue;
    const measures = Object.entries(def.checks);
    const query = `SELECT toString(day) AS d, ${measures.map(([m]) => `r.${m} AS r_${m}, w.${m} AS w_${m}`).join(', ')}
      FROM (SELECT toDate(bucket) AS day, ${measures.map(([m, [expr]]) => `${expr} AS ${m}`).join(', ')}
            FROM ${rollup} WHERE workspace_id = {ws:String} AND has({days:Array(Date)}, toDate(bucket)) GROUP BY day) AS r
      FULL OUTER JOIN
           (SELECT toDate(timestamp) AS day, ${measures.map(([m, [, expr]]) => `${expr} AS ${m}`).join(', ')}
            FROM ${def.source} WHERE workspace_id = {ws:String} AND has({days:Array(Date)}, toDate(timestamp)) GROUP BY day) AS w
      USING (day)
      SETTINGS join_use_nulls = 0`;
    for (const row of await select<Record<string, string | number>>(warehouse, query, {
      ws: workspaceId,
      days: [...days],
    })) {
      for (const [m] of measures) {
        const r = Number(row[`r_${m}`] ?? 0);
        const w = Number(row[`w_${m}`] ?? 0);
        if (r !== w)
          rollupMismatches.push({ rollup, day: String(row.d), measure: m, rollupValue: r, rawValue: w });
      }
    }
  }
  return {
    ok: Object.values(remaining).every((n) => n === 0) && rollupMismatches.length === 0,
    remaining,
    rollupMismatches,
    notApplicable: tablesWithoutSubjects,
  };
}

async function select<T>(warehouse: Warehouse, query: string, params: Record<string, unknown>): Promise<T[]> {
  try {
    return await (
      await warehouse.client.query({ query, query_params: params, format: 'JSONEachRow' })
    ).json<T>();
  } catch (err) {
    throw translateWarehouseError(err, 'PRIVACY_QUERY_FAILED', 'could not verify the erasure');
  }
}
