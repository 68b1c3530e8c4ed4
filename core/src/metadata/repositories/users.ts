import { randomUUID } from 'node:crypto';
import type { SqlDriver } from '../sql-driver.ts';
import { iso, translateConflict } from './conflict.ts';
import { type Page, type PageRequest, pageClause, toPage } from './paginate.ts';

export type Role = 'viewer' | 'analyst' | 'editor' | 'admin';
export interface User {
  id: string;
  email: string;
  displayName: string;
  status: 'active' | 'invited' | 'disabled';
  createdAt: string;
}
export interface Membership {
  workspaceId: string;
  userId: string;
  role: Role;
}
type Row = { id: string; email: string; display_name: string; status: User['status']; created_at: unknown };
const toUser = (r: Row): User => ({
  id: r.id,
  email: r.email,
  displayName: r.display_name,
  status: r.status,
  createdAt: iso(r.created_at),
});

export function usersRepository(db: SqlDriver) {
  return {
    async create(input: {
      email: string;
      displayName?: string;
      passwordHash?: string | null;
      status?: User['status'];
    }): Promise<User> {
      const rows = await translateConflict(
        'a user with this e-mail',
        'Sign in with the existing account or use another address.',
        () =>
          db.query<Row>(
            'INSERT INTO users (id, email, display_name, password_hash, status) VALUES ($1, $2, $3, $4, $5) RETURNING id, email, display_name, status, created_at',
            [
              randomUUID(),
              input.email.trim(),
              input.displayName ?? '',
              input.passwordHash ?? null,
              input.status ?? 'active',
            ],
          ),
      );
      return toUser(rows[0]!);
    },
    async get(id: string): Promise<User | undefined> {
      const [row] = await db.query<Row>(
        'SELECT id, email, display_name, status, created_at FROM users WHERE id = $1',
        [id],
      );
      return row && toUser(row);
    },
    async getByEmail(email: string): Promise<User | undefined> {
      const [row] = await db.query<Row>(
        'SELECT id, email, display_name, status, created_at FROM users WHERE lower(email) = lower($1)',
        [email.trim()],
      );
      return row && toUser(row);
    },
    async list(page: PageRequest = {}): Promise<Page<User>> {
      const { where, limit, params } = pageClause(page, 1);
      const rows = await db.query<Row>(
        `SELECT id, email, display_name, status, created_at FROM users WHERE ${where} ORDER BY created_at, id LIMIT ${limit + 1}`,
        params,
      );
      return toPage(rows.map(toUser), limit);
    },
    /** Adds the user to the workspace, or changes the role when already a member. */
    async setRole(workspaceId: string, userId: string, role: Role): Promise<void> {
      await translateConflict('membership', 'Check the role name.', () =>
        db.query(
          'INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = EXCLUDED.role',
          [workspaceId, userId, role],
        ),
      );
    },
    async memberships(userId: string): Promise<Membership[]> {
      const rows = await db.query<{ workspace_id: string; user_id: string; role: Role }>(
        'SELECT * FROM workspace_members WHERE user_id = $1 ORDER BY created_at',
        [userId],
      );
      return rows.map((r) => ({ workspaceId: r.workspace_id, userId: r.user_id, role: r.role }));
    },
  };
}
