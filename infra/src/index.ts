export { startPostgres, type LocalPostgres } from './postgres/start-postgres.ts';
