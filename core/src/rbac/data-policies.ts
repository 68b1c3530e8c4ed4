import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { PulseError } from '../errors/index.ts';
import type { SqlDriver } from '../metadata/index.ts';
import { iso, translateConflict } from '../metadata/repositories/conflict.ts';

/** Column classification, least sensitive first: a caller sees a level up to their clearance. */
export const classifications = ['public', 'internal', 'confidential', 'restricted'] as const;
export type Classification = (typeof classifications)[number];

export const classificationRank = (c: Classification): number => classifications.indexOf(c);
export const isCleared = (clearance: Classification, level: Classification): boolean =>
  classificationRank(level) <= classificationRank(clearance);

/** Clearances of the built-in roles; a custom role without one set gets the viewer's. */
export const builtInClearances: Record<string, Classification> = {
  viewer: 'internal',
  analyst: 'confidential',
  editor: 'confidential',
  admin: 'restricted',
};
const defaultCustomClearance: Classification = 'internal';

/**
 * What one principal may read, resolved once per request and handed to the metric compiler.
 * `rowFilters` combine with AND across dimensions; each lists the values allowed (OR within).
 * An empty `values` list allows nothing (a member without the attribute a policy reads).
 */
export interface DataPolicy {
  workspaceId: string;
  role: string;
  /** Admins are never row-filtered nor masked. */
  unrestricted: boolean;
  clearance: Classification;
  rowFilters: { dimension: string; values: string[] }[];
  /** Per-workspace overrides of the default classifications (name → level). */
  dimensionClassifications: Record<string, Classification>;
  metricClassifications: Record<string, Classification>;
}

export interface RowPolicy {
  id: string;
  workspaceId: string;
  name: string;
  appliesTo: { role: string } | { allExceptAdmin: true } | { userId: string };
  dimension: string;
  values?: string[];
  fromAttribute?: string;
  createdAt: string;
}

const identifier = z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower_snake_case, starting with a letter');

export const rowPolicyInput = z
  .object({
    name: z.string().trim().min(1).max(100),
    appliesTo: z.union([
      z
        .object({
          role: z
            .string()
            .min(1)
            .max(63)
            .refine((r) => r !== 'admin', 'admins are never restricted; pick another role'),
        })
        .strict(),
      z.object({ allExceptAdmin: z.literal(true) }).strict(),
      z.object({ userId: z.uuid() }).strict(),
    ]),
    dimension: identifier,
    values: z.array(z.string().min(1).max(200)).min(1).max(1000).optional(),
    /** Take the allowed values from this attribute of the member (comma-separated for several). */
    fromAttribute: identifier.optional(),
  })
  .strict()
  .refine((p) => (p.values === undefined) !== (p.fromAttribute === undefined), {
    message: 'give either values or fromAttribute, not both',
    path: ['values'],
  });
export type RowPolicyInput = z.input<typeof rowPolicyInput>;

export const memberAttributesInput = z
  .record(identifier, z.string().max(500))
  .refine((a) => Object.keys(a).length <= 50, 'at most 50 attributes');

export interface PrincipalForPolicy {
  workspaceId: string;
  userId: string | null;
  role: string;
  /** The member's attributes; read from workspace_members when omitted. */
  attributes?: Readonly<Record<string, string>>;
}

/**
 * The data policy of one principal: its clearance, the row filters of every policy that names its
 * role, every non-admin role or its user, and the workspace's classification overrides.
 */
export async function resolveDataPolicy(
  metadata: { db: SqlDriver },
  principal: PrincipalForPolicy,
): Promise<DataPolicy> {
  const repo = dataPoliciesRepository(metadata.db);
  const { workspaceId, role, userId } = principal;
  const overrides = await repo.listClassifications(workspaceId);
  const policy: DataPolicy = {
    workspaceId,
    role,
    unrestricted: role === 'admin',
    clearance: await repo.clearanceOf(workspaceId, role),
    rowFilters: [],
    dimensionClassifications: overrides.dimension,
    metricClassifications: overrides.metric,
  };
  if (policy.unrestricted) return policy;
  const attributes = principal.attributes ?? (userId ? await repo.attributesOf(workspaceId, userId) : {});
  const allowed = new Map<string, Set<string>>();
  for (const p of await repo.listRowPolicies(workspaceId)) {
    const applies =
      'allExceptAdmin' in p.appliesTo ||
      ('role' in p.appliesTo && p.appliesTo.role === role) ||
      ('userId' in p.appliesTo && p.appliesTo.userId === userId);
    if (!applies) continue;
    const values = p.values ?? splitAttribute(attributes[p.fromAttribute as string]);
    const set = allowed.get(p.dimension) ?? new Set<string>();
    for (const v of values) set.add(v);
    allowed.set(p.dimension, set);
  }
  policy.rowFilters = [...allowed]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([dimension, values]) => ({ dimension, values: [...values].sort() }));
  return policy;
}

/** The policy of a caller nobody restricts (admins, internal jobs that run as the system). */
export const unrestrictedPolicy = (workspaceId: string): DataPolicy => ({
  workspaceId,
  role: 'admin',
  unrestricted: true,
  clearance: 'restricted',
  rowFilters: [],
  dimensionClassifications: {},
  metricClassifications: {},
});

// A missing attribute allows nothing: a member nobody gave a region sees no regional rows.
const splitAttribute = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);

type PolicyRow = {
  id: string;
  workspace_id: string;
  name: string;
  applies_to: 'role' | 'non_admin' | 'user';
  role: string | null;
  user_id: string | null;
  dimension: string;
  allowed_values: string[] | null;
  from_attribute: string | null;
  created_at: unknown;
};
const toPolicy = (r: PolicyRow): RowPolicy => ({
  id: r.id,
  workspaceId: r.workspace_id,
  name: r.name,
  appliesTo:
    r.applies_to === 'role'
      ? { role: r.role as string }
      : r.applies_to === 'user'
        ? { userId: r.user_id as string }
        : { allExceptAdmin: true },
  dimension: r.dimension,
  ...(r.allowed_values ? { values: r.allowed_values } : {}),
  ...(r.from_attribute ? { fromAttribute: r.from_attribute } : {}),
  createdAt: iso(r.created_at),
});

function invalid(what: string, error: z.ZodError, hint: string): PulseError {
  return new PulseError('POLICY_INVALID', `the ${what} is not valid`, {
    hint: `${error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}. ${hint}`,
    context: { issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
  });
}

/** Row policies, classification overrides, custom-role clearances and member attributes. */
export function dataPoliciesRepository(db: SqlDriver) {
  return {
    async listRowPolicies(workspaceId: string): Promise<RowPolicy[]> {
      const rows = await db.query<PolicyRow>(
        'SELECT * FROM row_policies WHERE workspace_id = $1 ORDER BY created_at, id',
        [workspaceId],
      );
      return rows.map(toPolicy);
    },
    /** Stores a row policy; the caller checks that the dimension exists in the warehouse. */
    async createRowPolicy(
      workspaceId: string,
      input: RowPolicyInput,
      createdBy?: string,
    ): Promise<RowPolicy> {
      const parsed = rowPolicyInput.safeParse(input);
      if (!parsed.success)
        throw invalid(
          'row policy',
          parsed.error,
          'A policy applies to {role}, {allExceptAdmin: true} or {userId}.',
        );
      const p = parsed.data;
      const kind = 'role' in p.appliesTo ? 'role' : 'userId' in p.appliesTo ? 'user' : 'non_admin';
      const [row] = await translateConflict('row policy', 'Check the user id.', () =>
        db.query<PolicyRow>(
          `INSERT INTO row_policies (id, workspace_id, name, applies_to, role, user_id, dimension,
             allowed_values, from_attribute, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
          [
            randomUUID(),
            workspaceId,
            p.name,
            kind,
            'role' in p.appliesTo ? p.appliesTo.role : null,
            'userId' in p.appliesTo ? p.appliesTo.userId : null,
            p.dimension,
            p.values ? [...new Set(p.values)] : null,
            p.fromAttribute ?? null,
            createdBy ?? null,
          ],
        ),
      );
      return toPolicy(row as PolicyRow);
    },
    async deleteRowPolicy(workspaceId: string, id: string): Promise<boolean> {
      if (!z.uuid().safeParse(id).success) return false;
      const rows = await db.query(
        'DELETE FROM row_policies WHERE workspace_id = $1 AND id = $2 RETURNING id',
        [workspaceId, id],
      );
      return rows.length > 0;
    },
    async listClassifications(
      workspaceId: string,
    ): Promise<Record<'dimension' | 'metric', Record<string, Classification>>> {
      const rows = await db.query<{
        kind: 'dimension' | 'metric';
        name: string;
        classification: Classification;
      }>(
        'SELECT kind, name, classification FROM data_classifications WHERE workspace_id = $1 ORDER BY name',
        [workspaceId],
      );
      const out = { dimension: {}, metric: {} } as Record<
        'dimension' | 'metric',
        Record<string, Classification>
      >;
      for (const r of rows) out[r.kind][r.name] = r.classification;
      return out;
    },
    /** Overrides a default classification; `null` goes back to the default. */
    async setClassification(
      workspaceId: string,
      kind: 'dimension' | 'metric',
      name: string,
      classification: Classification | null,
    ): Promise<void> {
      if (classification === null) {
        await db.query(
          'DELETE FROM data_classifications WHERE workspace_id = $1 AND kind = $2 AND name = $3',
          [workspaceId, kind, name],
        );
        return;
      }
      await db.query(
        `INSERT INTO data_classifications (workspace_id, kind, name, classification) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace_id, kind, name) DO UPDATE SET classification = EXCLUDED.classification, updated_at = now()`,
        [workspaceId, kind, name, classification],
      );
    },
    async clearanceOf(workspaceId: string, role: string): Promise<Classification> {
      const builtIn = builtInClearances[role];
      if (builtIn) return builtIn;
      const [row] = await db.query<{ clearance: Classification }>(
        'SELECT clearance FROM role_clearances WHERE workspace_id = $1 AND role = $2',
        [workspaceId, role],
      );
      return row?.clearance ?? defaultCustomClearance;
    },
    async listClearances(workspaceId: string): Promise<Record<string, Classification>> {
      const rows = await db.query<{ role: string; clearance: Classification }>(
        'SELECT role, clearance FROM role_clearances WHERE workspace_id = $1 ORDER BY role',
        [workspaceId],
      );
      return { ...builtInClearances, ...Object.fromEntries(rows.map((r) => [r.role, r.clearance])) };
    },
    /** Sets a custom role's clearance; built-in roles keep theirs. */
    async setClearance(workspaceId: string, role: string, clearance: Classification): Promise<void> {
      if (role in builtInClearances)
        throw new PulseError('POLICY_INVALID', `the clearance of the built-in role "${role}" is fixed`, {
          hint: 'Create a custom role with the permissions you need and set its clearance.',
          context: { role, builtIn: builtInClearances },
        });
      const [exists] = await db.query('SELECT 1 FROM custom_roles WHERE workspace_id = $1 AND name = $2', [
        workspaceId,
        role,
      ]);
      if (!exists)
        throw new PulseError('ROLE_NOT_FOUND', `no custom role named "${role}" in this workspace`, {
          hint: 'Create the custom role first.',
        });
      await db.query(
        `INSERT INTO role_clearances (workspace_id, role, clearance) VALUES ($1, $2, $3)
         ON CONFLICT (workspace_id, role) DO UPDATE SET clearance = EXCLUDED.clearance`,
        [workspaceId, role, clearance],
      );
    },
    async attributesOf(workspaceId: string, userId: string): Promise<Record<string, string>> {
      const [row] = await db.query<{ attributes: unknown }>(
        'SELECT attributes FROM workspace_members WHERE workspace_id = $1 AND user_id = $2',
        [workspaceId, userId],
      );
      const raw = typeof row?.attributes === 'string' ? JSON.parse(row.attributes) : row?.attributes;
      return (raw ?? {}) as Record<string, string>;
    },
    /** Replaces a member's attributes; false when the user is not a member of the workspace. */
    async setAttributes(
      workspaceId: string,
      userId: string,
      attributes: Record<string, string>,
    ): Promise<boolean> {
      const parsed = memberAttributesInput.safeParse(attributes);
      if (!parsed.success)
        throw invalid(
          'attribute set',
          parsed.error,
          'Send {"attributes": {"region": "emea", "team": "sales"}}.',
        );
      const rows = await db.query(
        'UPDATE workspace_members SET attributes = $3 WHERE workspace_id = $1 AND user_id = $2 RETURNING user_id',
        [workspaceId, userId, JSON.stringify(parsed.data)],
      );
      return rows.length > 0;
    },
  };
}
export type DataPoliciesRepository = ReturnType<typeof dataPoliciesRepository>;
