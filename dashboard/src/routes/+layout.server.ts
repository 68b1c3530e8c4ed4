import type { LayoutServerLoad } from './$types';

const adminPermissions = [
  'members:manage',
  'api_keys:manage',
  'roles:manage',
  'sources:manage',
  'audit:read',
];

/** Who is signed in, for the header: their e-mail, role and whether Administration is theirs. */
export const load: LayoutServerLoad = async ({ locals }) => {
  const p = locals.services.principal;
  if (p.kind !== 'user') return { user: null };
  return {
    user: {
      email: p.email ?? '',
      role: p.role,
      canAdminister: adminPermissions.some((perm) => p.permissions.has(perm as never)),
    },
  };
};
