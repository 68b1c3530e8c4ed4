import { randomUUID } from 'node:crypto';
import { PulseError } from '../../errors/index.ts';
import type { SqlDriver } from '../sql-driver.ts';
import { iso, translateConflict } from './conflict.ts';
import { type Page, type PageRequest, pageClause, toPage } from './paginate.ts';

/** A dashboard or a saved report: a JSON definition with a version bumped on every change. */
export interface StoredDocument {
  id: string;
  workspaceId: string;
  slug?: string;
  title: string;
  definition: unknown;
  version: number;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}
type Row = {
  id: string;
  workspace_id: string;
  slug?: string;
  title: string;
  definition: unknown;
  version: number;
  created_by: string | null;
  created_at: unknown;
  updated_at: unknown;
};
const toDocument = (r: Row): StoredDocument => ({
  id: r.id,
  workspaceId: r.workspace_id,
  ...(r.slug === undefined ? {} : { slug: r.slug }),
  title: r.title,
  definition: typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition,
  version: r.version,
  createdBy: r.created_by,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export function documentsRepository(db: SqlDriver, table: 'dashboards' | 'saved_reports') {
  const kind = table === 'dashboards' ? 'dashboard' : 'report';
  const withSlug = table === 'dashboards';
  return {
    async create(input: {
      workspaceId: string;
      slug?: string;
      title: string;
      definition: unknown;
      createdBy?: string;
    }): Promise<StoredDocument> {
      if (withSlug && !input.slug) throw new PulseError('METADATA_INVALID', 'a dashboard needs a slug');
      const columns = [
        'id',
        'workspace_id',
        ...(withSlug ? ['slug'] : []),
        'title',
        'definition',
        'created_by',
      ];
      const values = [
        randomUUID(),
        input.workspaceId,
        ...(withSlug ? [input.slug] : []),
        input.title,
        JSON.stringify(input.definition),
        input.createdBy ?? null,
      ];
      const rows = await translateConflict(
        `${kind} "${input.slug ?? input.title}"`,
        'Slugs are unique per workspace: pick another.',
        () =>
          db.query<Row>(
            `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
            values,
          ),
      );
      return toDocument(rows[0]!);
    },
    async get(id: string): Promise<StoredDocument | undefined> {
      const [row] = await db.query<Row>(`SELECT * FROM ${table} WHERE id = $1`, [id]);
      return row && toDocument(row);
    },
    async list(workspaceId: string, page: PageRequest = {}): Promise<Page<StoredDocument>> {
      const { where, limit, params } = pageClause(page, 2);
      const rows = await db.query<Row>(
        `SELECT * FROM ${table} WHERE workspace_id = $1 AND ${where} ORDER BY created_at, id LIMIT ${limit + 1}`,
        [workspaceId, ...params],
      );
      return toPage(rows.map(toDocument), limit);
    },
    /**
     * Saves a change and bumps the version. With `expectedVersion`, a concurrent edit in between
     * is refused instead of silently overwritten.
     */
    async update(
      id: string,
      change: { title?: string; definition?: unknown; expectedVersion?: number },
    ): Promise<StoredDocument> {
      const rows = await db.query<Row>(
        `UPDATE ${table} SET title = COALESCE($2, title), definition = COALESCE($3::jsonb, definition), version = version + 1, updated_at = now()
         WHERE id = $1 AND ($4::integer IS NULL OR version = $4) RETURNING *`,
        [
          id,
          change.title ?? null,
          change.definition === undefined ? null : JSON.stringify(change.definition),
          change.expectedVersion ?? null,
        ],
      );
      if (rows[0]) return toDocument(rows[0]);
      const exists = await this.get(id);
      throw exists
        ? new PulseError(
            'METADATA_CONFLICT',
            `${kind} ${id} changed since version ${change.expectedVersion}`,
            { hint: 'Reload it, reapply your change and save again.' },
          )
        : new PulseError('METADATA_NOT_FOUND', `${kind} ${id} does not exist`);
    },
    async delete(id: string): Promise<boolean> {
      return (await db.query(`DELETE FROM ${table} WHERE id = $1 RETURNING id`, [id])).length === 1;
    },
  };
}
