export {
  applyRetention,
  retentionTables,
  startRetentionSchedule,
  type RetentionResult,
  type RetentionSchedule,
} from './apply-retention.ts';
export { eraseSubject, type ErasureResult } from './erase-subject.ts';
export { exportSubject, type SubjectExport } from './export-subject.ts';
export { rebuildRollupDays, rollupRebuilds } from './rebuild-rollups.ts';
export {
  parseSubject,
  resolveIdentities,
  subjectInput,
  type Subject,
  type SubjectIdentities,
} from './subject.ts';
export { subjectTables, tablesWithoutSubjects } from './subject-tables.ts';
export { verifyErasure, type ErasureVerification } from './verify-erasure.ts';
export {
  createPrivacyQueue,
  processPrivacyRequest,
  subjectOf,
  type PrivacyProcessorDeps,
  type PrivacyQueue,
} from './process-request.ts';
