export { builtInRoles, isPermission, type Permission, permissions } from './permissions.ts';
export {
  type BuiltInRole,
  builtInRoleNames,
  type CustomRole,
  type CustomRoleInput,
  customRoleInput,
  isBuiltInRole,
  type RolesRepository,
  rolesRepository,
} from './roles.ts';
export { type Member, type MembersRepository, membersRepository } from './members.ts';
