import { randomUUID } from 'node:crypto';
import type { SqlDriver } from '../sql-driver.ts';
import { iso, translateConflict } from './conflict.ts';
import { type Page, type PageRequest, pageClause, toPage } from './paginate.ts';

export interface Workspace {
  id: string;
  slug: string;
  name: string;
  isDemo: boolean;
  createdAt: string;
}
type Row = { id: string; slug: string; name: string; is_demo: boolean; created_at: unknown };
const toWorkspace = (r: Row): Workspace => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  isDemo: r.is_demo,
  createdAt: iso(r.created_at),
});

export function workspacesRepository(db: SqlDriver) {
  return {
    /** `id`: a fixed id (benchmarks and imports whose warehouse data already names it); else a new one. */
    async create(input: { id?: string; slug: string; name: string; isDemo?: boolean }): Promise<Workspace> {
      const rows = await translateConflict(
        `workspace "${input.slug}"`,
        'Choose another slug: lowercase letters, digits and dashes.',
        () =>
          db.query<Row>(
            'INSERT INTO workspaces (id, slug, name, is_demo) VALUES ($1, $2, $3, $4) RETURNING *',
            [input.id ?? randomUUID(), input.slug, input.name, input.isDemo ?? false],
          ),
      );
      return toWorkspace(rows[0]!);
    },
    async get(id: string): Promise<Workspace | undefined> {
      const [row] = await db.query<Row>('SELECT * FROM workspaces WHERE id = $1', [id]);
      return row && toWorkspace(row);
    },
    async getBySlug(slug: string): Promise<Workspace | undefined> {
      const [row] = await db.query<Row>('SELECT * FROM workspaces WHERE slug = $1', [slug]);
      return row && toWorkspace(row);
    },
    async list(page: PageRequest = {}): Promise<Page<Workspace>> {
      const { where, limit, params } = pageClause(page, 1);
      const rows = await db.query<Row>(
        `SELECT * FROM workspaces WHERE ${where} ORDER BY created_at, id LIMIT ${limit + 1}`,
        params,
      );
      return toPage(rows.map(toWorkspace), limit);
    },
  };
}
