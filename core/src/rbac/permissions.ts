import type { Role } from '../metadata/repositories/users.ts';

/**
 * Every named permission a route, live stream, export or schedule can require. Custom roles are
 * sets of these; the four built-in roles are fixed sets below. Adding a surface means adding its
 * permission here first, so the RBAC matrix test sees it.
 */
export const permissions = [
  'metrics:read', // the metric catalog, metric queries, funnel and retention analyses
  'dashboards:read', // open dashboards and their live streams
  'dashboards:write', // create, edit, duplicate, delete, import dashboards
  'reports:read', // open saved reports and their run history
  'reports:write', // save and edit Explore reports
  'reports:schedule', // create and change schedules, "send now"
  'explore:use', // ad-hoc queries in Explore
  'sql:run', // the SQL tab and SQL endpoint (read-only, policies applied)
  'rows:read', // drill down to underlying events, posts and deals
  'exports:create', // download a tile, result or report as a file
  'pipeline:read', // ingest health: rate, lag, freshness, dead letters
  'sources:manage', // sources, write keys, connector credentials
  'api_keys:manage', // create, list and revoke API keys and service accounts
  'members:manage', // invite, remove and change roles of members; require MFA
  'roles:manage', // custom roles, row policies, column classifications
  'audit:read', // search and export the audit log
  'privacy:manage', // erasure and access requests, retention
] as const;
export type Permission = (typeof permissions)[number];

const viewer: Permission[] = ['metrics:read', 'dashboards:read', 'reports:read', 'pipeline:read'];
const analyst: Permission[] = [
  ...viewer,
  'reports:write',
  'explore:use',
  'sql:run',
  'rows:read',
  'exports:create',
];
const editor: Permission[] = [...analyst, 'dashboards:write', 'reports:schedule'];

/** What each built-in role may do; admin may do everything. */
export const builtInRoles: Record<Role, ReadonlySet<Permission>> = {
  viewer: new Set(viewer),
  analyst: new Set(analyst),
  editor: new Set(editor),
  admin: new Set(permissions),
};

export const isPermission = (p: string): p is Permission => (permissions as readonly string[]).includes(p);
