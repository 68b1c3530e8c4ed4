import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PulseError } from '../errors/index.ts';
import type { SqlDriver } from '../metadata/index.ts';
import { translateConflict } from '../metadata/repositories/conflict.ts';
import { builtInRoles, isPermission, type Permission, permissions } from './permissions.ts';

export const builtInRoleNames = ['viewer', 'analyst', 'editor', 'admin'] as const;
export type BuiltInRole = (typeof builtInRoleNames)[number];
export const isBuiltInRole = (name: string): name is BuiltInRole =>
  (builtInRoleNames as readonly string[]).includes(name);

export interface CustomRole {
  id: string;
  workspaceId: string;
  name: string;
  description: string;
  permissions: Permission[];
}

export const customRoleInput = z.object({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _, starting with a letter')
    .refine((n) => !isBuiltInRole(n), 'that name belongs to a built-in role'),
  description: z.string().max(500).default(''),
  permissions: z
    .array(z.string().refine(isPermission, { message: `one of: ${permissions.join(', ')}` }))
    .max(permissions.length),
});
export type CustomRoleInput = z.input<typeof customRoleInput>;

type Row = { id: string; workspace_id: string; name: string; description: string; permissions: string[] };
const toRole = (r: Row): CustomRole => ({
  id: r.id,
  workspaceId: r.workspace_id,
  name: r.name,
  description: r.description,
  permissions: r.permissions.filter(isPermission),
});

/**
 * Roles of a workspace: the four built-in ones and custom roles made of named permissions. A
 * member's role column holds either kind of name.
 */
export function rolesRepository(db: SqlDriver) {
  return {
    async list(workspaceId: string): Promise<CustomRole[]> {
      const rows = await db.query<Row>('SELECT * FROM custom_roles WHERE workspace_id = $1 ORDER BY name', [
        workspaceId,
      ]);
      return rows.map(toRole);
    },
    async upsert(workspaceId: string, input: CustomRoleInput): Promise<CustomRole> {
      const parsed = customRoleInput.safeParse(input);
      if (!parsed.success)
        throw new PulseError('ROLE_INVALID', 'the custom role is not valid', {
          context: {
            issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
          },
          hint: 'GET /api/v1/roles lists the permissions a role can hold.',
        });
      const { name, description, permissions: perms } = parsed.data;
      const [row] = await translateConflict('role', 'Pick another name.', () =>
        db.query<Row>(
          `INSERT INTO custom_roles (id, workspace_id, name, description, permissions) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (workspace_id, name) DO UPDATE SET description = EXCLUDED.description,
             permissions = EXCLUDED.permissions, updated_at = now()
           RETURNING *`,
          [randomUUID(), workspaceId, name, description, [...new Set(perms)]],
        ),
      );
      return toRole(row!);
    },
    async remove(workspaceId: string, name: string): Promise<boolean> {
      const [used] = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM workspace_members WHERE workspace_id = $1 AND role = $2',
        [workspaceId, name],
      );
      if ((used?.n ?? 0) > 0)
        throw new PulseError('ROLE_CONFLICT', `role "${name}" is still given to ${used!.n} member(s)`, {
          hint: 'Give those members another role first.',
        });
      const rows = await db.query(
        'DELETE FROM custom_roles WHERE workspace_id = $1 AND name = $2 RETURNING id',
        [workspaceId, name],
      );
      return rows.length > 0;
    },
    /**
     * What a role may do in a workspace. An unknown role (a custom role deleted behind a
     * member's back) may do nothing: fail closed.
     */
    async permissionsOf(workspaceId: string, role: string): Promise<ReadonlySet<Permission>> {
      if (isBuiltInRole(role)) return builtInRoles[role];
      const [row] = await db.query<Row>('SELECT * FROM custom_roles WHERE workspace_id = $1 AND name = $2', [
        workspaceId,
        role,
      ]);
      return new Set(row ? toRole(row).permissions : []);
    },
    /** Refuses a role name that is neither built in nor a custom role of the workspace. */
    async assertExists(workspaceId: string, role: string): Promise<void> {
      if (isBuiltInRole(role)) return;
      const [row] = await db.query('SELECT 1 FROM custom_roles WHERE workspace_id = $1 AND name = $2', [
        workspaceId,
        role,
      ]);
      if (!row)
        throw new PulseError('ROLE_NOT_FOUND', `no role named "${role}" in this workspace`, {
          hint: `Use ${builtInRoleNames.join(', ')} or create the custom role first.`,
        });
    },
  };
}
export type RolesRepository = ReturnType<typeof rolesRepository>;
