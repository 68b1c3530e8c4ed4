import type { Warehouse } from '../create-warehouse.ts';
import { translateWarehouseError } from '../translate-error.ts';
import { resolveIdentities, type Subject, type SubjectIdentities } from './subject.ts';
import { subjectParams, subjectTables } from './subject-tables.ts';

export interface SubjectExport {
  identities: SubjectIdentities;
  /** JSON lines: one `{"table": …, "row": {…}}` per row, tables in a fixed order, rows by time. */
  jsonLines: string;
  rows: Record<string, number>;
}

/**
 * The access (export) request: every row the warehouse holds for a data subject, from the same
 * tables and with the same identifiers an erasure would remove, so "what we have about you" and
 * "what we deleted" can never disagree. Rollups are left out: they hold counts and hashed states,
 * nothing that can be attributed back to one person.
 */
export async function exportSubject(
  warehouse: Warehouse,
  workspaceId: string,
  subject: Subject,
): Promise<SubjectExport> {
  const identities = await resolveIdentities(warehouse, workspaceId, subject);
  const params = subjectParams(workspaceId, identities);
  const lines: string[] = [];
  const rows: Record<string, number> = {};
  for (const t of subjectTables) {
    try {
      const result = await warehouse.client.query({
        query: `SELECT * FROM ${t.table} WHERE workspace_id = {ws:String} AND ${t.predicate} ORDER BY ${t.timeColumn}`,
        query_params: params,
        format: 'JSONEachRow',
      });
      const found = await result.json<Record<string, unknown>>();
      rows[t.table] = found.length;
      for (const row of found) lines.push(JSON.stringify({ table: t.table, row }));
    } catch (err) {
      throw translateWarehouseError(
        err,
        'PRIVACY_QUERY_FAILED',
        `could not export the subject's rows from ${t.table}`,
        {
          table: t.table,
        },
      );
    }
  }
  return { identities, jsonLines: lines.length > 0 ? `${lines.join('\n')}\n` : '', rows };
}
