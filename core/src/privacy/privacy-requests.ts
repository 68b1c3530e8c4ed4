import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { PulseError } from '../errors/index.ts';
import { iso } from '../metadata/repositories/conflict.ts';
import { type Page, type PageRequest, pageClause, toPage } from '../metadata/repositories/paginate.ts';
import type { SqlDriver } from '../metadata/sql-driver.ts';

export type PrivacyRequestKind = 'erasure' | 'access';
export type PrivacyRequestStatus = 'pending' | 'running' | 'completed' | 'failed';

/**
 * One entry of the privacy ledger (0005_privacy.sql): who asked to erase or export whose data,
 * what happened per table, and when. The warehouse work is done by `processPrivacyRequest` in
 * @pulse/warehouse; this repository only keeps the record.
 */
export interface PrivacyRequest {
  id: string;
  workspaceId: string;
  kind: PrivacyRequestKind;
  subjectType: 'user_id' | 'email';
  subject: string;
  requestedBy: string;
  status: PrivacyRequestStatus;
  /** Rows removed (erasure) or exported (access) per table. */
  tableCounts: Record<string, number>;
  /** Erasure: rollup → UTC days rebuilt. */
  rebuilt: Record<string, string[]>;
  error: string | null;
  createdAt: string;
  completedAt: string | null;
  verifiedAt: string | null;
  verification: Record<string, unknown> | null;
}

type Row = {
  id: string;
  workspace_id: string;
  kind: PrivacyRequestKind;
  subject_type: 'user_id' | 'email';
  subject: string;
  requested_by: string;
  status: PrivacyRequestStatus;
  table_counts: Record<string, number>;
  rebuilt: Record<string, string[]>;
  error: string | null;
  created_at: unknown;
  completed_at: unknown;
  verified_at: unknown;
  verification: Record<string, unknown> | null;
};

const toRequest = (r: Row): PrivacyRequest => ({
  id: r.id,
  workspaceId: r.workspace_id,
  kind: r.kind,
  subjectType: r.subject_type,
  subject: r.subject,
  requestedBy: r.requested_by,
  status: r.status,
  tableCounts: r.table_counts,
  rebuilt: r.rebuilt,
  error: r.error,
  createdAt: iso(r.created_at),
  completedAt: r.completed_at ? iso(r.completed_at) : null,
  verifiedAt: r.verified_at ? iso(r.verified_at) : null,
  verification: r.verification,
});

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function privacyRequestsRepository(db: SqlDriver) {
  const byId = async (id: string): Promise<PrivacyRequest | undefined> => {
    if (!uuidPattern.test(id)) return undefined;
    const [row] = await db.query<Row>('SELECT * FROM privacy_requests WHERE id = $1', [id]);
    return row ? toRequest(row) : undefined;
  };
  return {
    async create(input: {
      workspaceId: string;
      kind: PrivacyRequestKind;
      subjectType: 'user_id' | 'email';
      subject: string;
      requestedBy: string;
    }): Promise<PrivacyRequest> {
      const [row] = await db.query<Row>(
        `INSERT INTO privacy_requests (id, workspace_id, kind, subject_type, subject, requested_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [randomUUID(), input.workspaceId, input.kind, input.subjectType, input.subject, input.requestedBy],
      );
      return toRequest(row!);
    },

    /** Only within `workspaceId`: a request of another workspace is "not found", not "forbidden". */
    async get(workspaceId: string, id: string): Promise<PrivacyRequest> {
      const found = await byId(id);
      if (!found || found.workspaceId !== workspaceId)
        throw new PulseError('PRIVACY_REQUEST_NOT_FOUND', `no privacy request ${id} in this workspace`, {
          hint: 'GET /api/v1/privacy/requests lists the requests of your workspace.',
        });
      return found;
    },

    /** Any workspace: for the CLI, which acts as the operator. */
    getAny: byId,

    async list(
      workspaceId: string | null,
      request: PageRequest & { kind?: PrivacyRequestKind; status?: PrivacyRequestStatus } = {},
    ): Promise<Page<PrivacyRequest>> {
      const params: unknown[] = [];
      const where: string[] = [];
      if (workspaceId !== null) where.push(`workspace_id = $${params.push(workspaceId)}`);
      if (request.kind) where.push(`kind = $${params.push(request.kind)}`);
      if (request.status) where.push(`status = $${params.push(request.status)}`);
      const page = pageClause(request, params.length + 1);
      const rows = await db.query<Row>(
        `SELECT * FROM privacy_requests WHERE ${[...where, page.where].join(' AND ')}
         ORDER BY created_at, id LIMIT ${page.limit + 1}`,
        [...params, ...page.params],
      );
      return toPage(rows.map(toRequest), page.limit);
    },

    async markRunning(id: string): Promise<void> {
      await db.query(`UPDATE privacy_requests SET status = 'running', error = NULL WHERE id = $1`, [id]);
    },

    async complete(id: string, tableCounts: Record<string, number>, rebuilt: Record<string, string[]> = {}) {
      await db.query(
        `UPDATE privacy_requests SET status = 'completed', table_counts = $2::jsonb, rebuilt = $3::jsonb,
           completed_at = date_trunc('milliseconds', clock_timestamp()) WHERE id = $1`,
        [id, JSON.stringify(tableCounts), JSON.stringify(rebuilt)],
      );
    },

    /** `reason` is shown to admins: an error code and message, never a subject's data. */
    async fail(id: string, reason: string): Promise<void> {
      await db.query(`UPDATE privacy_requests SET status = 'failed', error = $2 WHERE id = $1`, [id, reason]);
    },

    async recordVerification(id: string, verification: Record<string, unknown>): Promise<void> {
      await db.query(
        `UPDATE privacy_requests SET verification = $2::jsonb,
           verified_at = date_trunc('milliseconds', clock_timestamp()) WHERE id = $1`,
        [id, JSON.stringify(verification)],
      );
    },

    async saveExport(id: string, jsonLines: string, rows: number): Promise<void> {
      const content = await promisify(gzip)(Buffer.from(jsonLines, 'utf8'));
      await db.query(
        `INSERT INTO privacy_exports (request_id, content_gzip, rows, bytes) VALUES ($1, $2, $3, $4)
         ON CONFLICT (request_id) DO UPDATE SET content_gzip = EXCLUDED.content_gzip, rows = EXCLUDED.rows, bytes = EXCLUDED.bytes`,
        [id, content, rows, Buffer.byteLength(jsonLines)],
      );
    },

    /**
     * Deletes the access-export files of a subject once they are erased: an export is a copy of
     * their data. The ledger entries stay (they hold no rows, only counts).
     */
    async deleteExportsOf(
      workspaceId: string,
      ids: { userIds: string[]; emails: string[] },
    ): Promise<number> {
      const rows = await db.query(
        `DELETE FROM privacy_exports WHERE request_id IN (
           SELECT id FROM privacy_requests WHERE workspace_id = $1 AND kind = 'access'
             AND ((subject_type = 'user_id' AND subject = ANY($2::text[]))
               OR (subject_type = 'email' AND lower(subject) = ANY($3::text[]))))
         RETURNING request_id`,
        [workspaceId, ids.userIds, ids.emails],
      );
      return rows.length;
    },

    /** The JSON-lines file of a completed access request of `workspaceId`. */
    async readExport(
      workspaceId: string,
      id: string,
    ): Promise<{ request: PrivacyRequest; jsonLines: Buffer }> {
      const request = await this.get(workspaceId, id);
      const [row] = await db.query<{ content_gzip: Uint8Array }>(
        'SELECT content_gzip FROM privacy_exports WHERE request_id = $1',
        [id],
      );
      if (request.kind !== 'access' || !row)
        throw new PulseError('PRIVACY_EXPORT_NOT_FOUND', `privacy request ${id} has no export file`, {
          hint:
            request.kind === 'access'
              ? `The request is ${request.status}; the file is ready when its status is completed.`
              : 'Only access requests produce an export file.',
        });
      return { request, jsonLines: await promisify(gunzip)(Buffer.from(row.content_gzip)) };
    },
  };
}
export type PrivacyRequests = ReturnType<typeof privacyRequestsRepository>;
