export * from './recipients.ts';
export * from './report-definition.ts';
export * from './report-file.ts';
export * from './schedule-definition.ts';
export * from './schedule-store.ts';
