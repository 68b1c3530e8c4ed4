export { startPostgres, type LocalPostgres } from './postgres/start-postgres.ts';
export { startKafka, type LocalKafka } from './kafka/start-kafka.ts';
