export { runSql, type SqlResult, type SqlRunOptions } from './run-sql.ts';
export { loadSqlCatalog, type SqlCatalog, type SqlColumn, type SqlTable } from './sql-catalog.ts';
export {
  mergePolicyRestrictions,
  type PolicyRestrictions,
  type SqlRestrictions,
  workspaceRestrictions,
} from './table-filters.ts';
