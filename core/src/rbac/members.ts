import { PulseError } from '../errors/index.ts';
import type { SqlDriver } from '../metadata/index.ts';
import { iso } from '../metadata/repositories/conflict.ts';
import { rolesRepository } from './roles.ts';

export interface Member {
  userId: string;
  email: string;
  displayName: string;
  kind: 'person' | 'service';
  status: string;
  role: string;
  attributes: Record<string, string>;
  joinedAt: string;
}
type Row = {
  user_id: string;
  email: string;
  display_name: string;
  kind: 'person' | 'service';
  status: string;
  role: string;
  attributes: unknown;
  created_at: unknown;
};
const toMember = (r: Row): Member => ({
  userId: r.user_id,
  email: r.email,
  displayName: r.display_name,
  kind: r.kind,
  status: r.status,
  role: r.role,
  attributes: (typeof r.attributes === 'string' ? JSON.parse(r.attributes) : r.attributes) as Record<
    string,
    string
  >,
  joinedAt: iso(r.created_at),
});

/** Who belongs to a workspace, with which role (built-in or custom) and row-policy attributes. */
export function membersRepository(db: SqlDriver) {
  const roles = rolesRepository(db);
  const select = `SELECT m.user_id, u.email, u.display_name, u.kind, u.status, m.role, m.attributes, m.created_at
    FROM workspace_members m JOIN users u ON u.id = m.user_id`;
  return {
    async list(workspaceId: string): Promise<Member[]> {
      const rows = await db.query<Row>(`${select} WHERE m.workspace_id = $1 ORDER BY lower(u.email)`, [
        workspaceId,
      ]);
      return rows.map(toMember);
    },
    async get(workspaceId: string, userId: string): Promise<Member | undefined> {
      const [row] = await db.query<Row>(`${select} WHERE m.workspace_id = $1 AND m.user_id = $2`, [
        workspaceId,
        userId,
      ]);
      return row && toMember(row);
    },
    /** Every workspace a user belongs to, oldest membership first (the default workspace). */
    async ofUser(userId: string): Promise<(Member & { workspaceId: string; workspaceSlug: string })[]> {
      const rows = await db.query<Row & { workspace_id: string; slug: string }>(
        `SELECT m.workspace_id, w.slug, m.user_id, u.email, u.display_name, u.kind, u.status, m.role, m.attributes, m.created_at
         FROM workspace_members m JOIN users u ON u.id = m.user_id JOIN workspaces w ON w.id = m.workspace_id
         WHERE m.user_id = $1 ORDER BY m.created_at, w.slug`,
        [userId],
      );
      return rows.map((r) => ({ ...toMember(r), workspaceId: r.workspace_id, workspaceSlug: r.slug }));
    },
    /** Adds a member or changes the role; the role must exist in the workspace. */
    async setRole(workspaceId: string, userId: string, role: string): Promise<void> {
      await roles.assertExists(workspaceId, role);
      await db.query(
        `INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
        [workspaceId, userId, role],
      );
    },
    async remove(workspaceId: string, userId: string): Promise<boolean> {
      const [admins] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM workspace_members WHERE workspace_id = $1 AND role = 'admin' AND user_id <> $2`,
        [workspaceId, userId],
      );
      const [target] = await db.query<{ role: string }>(
        'SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2',
        [workspaceId, userId],
      );
      if (target?.role === 'admin' && (admins?.n ?? 0) === 0)
        throw new PulseError('MEMBER_CONFLICT', 'this is the last admin of the workspace', {
          hint: 'Make someone else an admin first.',
        });
      const rows = await db.query(
        'DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2 RETURNING user_id',
        [workspaceId, userId],
      );
      return rows.length > 0;
    },
  };
}
export type MembersRepository = ReturnType<typeof membersRepository>;
